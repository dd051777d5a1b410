# bash completion of fml-cli: its options (from fml-cli -help), the node's
# commands (from `fml-cli help`, asked of the node with the connection
# options already on the line) and the launch commands.
# Installed as $(datadir)/bash-completion/completions/fml-cli; or source it.

_fml_cli()
{
    local cur prev words cword
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    local cli=${words[0]}

    # The options that select the node, to ask it for its commands.
    local i opts=() command=
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            -datadir=*|-conf=*|-chain=*|-regtest|-testnet|-rpcconnect=*|-rpcport=*|\
            -rpcuser=*|-rpcpassword=*|-rpccookiefile=*|-rpcwallet=*)
                opts+=("${words[i]}") ;;
            -*) ;;
            *) command=${words[i]}; break ;;
        esac
    done

    case $cur in
        -*=*)
            # A value: complete file names for paths, nothing else.
            case ${cur%%=*} in
                -datadir) COMPREPLY=($(compgen -d -P "${cur%%=*}=" -- "${cur#*=}")) ;;
                -conf|-rpccookiefile) COMPREPLY=($(compgen -f -P "${cur%%=*}=" -- "${cur#*=}")) ;;
                -chain) COMPREPLY=($(compgen -W "main test regtest" -P "-chain=" -- "${cur#*=}")) ;;
            esac
            return 0 ;;
        -*)
            local helpopts
            # "-?, -h, -help" lines give several options.
            helpopts=$("$cli" -help 2>/dev/null |
                awk '$1 ~ /^-/ { for (i = 1; i <= NF && $i ~ /^-/; i++) {
                                   o = $i; sub(/=.*/, "=", o); sub(/,$/, "", o); print o } }')
            COMPREPLY=($(compgen -W "$helpopts" -- "$cur"))
            [[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
            return 0 ;;
    esac

    if [[ -z $command ]]; then
        local commands
        # The node's commands, and the launch commands fml-cli runs itself.
        commands="genvalidatorkey creategenesis checkgenesis
$("$cli" "${opts[@]}" help 2>/dev/null | awk '/^[a-z]/ { print $1 }')"
        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    elif [[ $command == help && $prev == help ]]; then
        local commands
        commands=$("$cli" "${opts[@]}" help 2>/dev/null | awk '/^[a-z]/ { print $1 }')
        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    fi
    return 0
}

complete -F _fml_cli fml-cli
