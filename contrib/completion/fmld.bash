# bash completion of fmld: its options, from fmld -help.
# Installed as $(datadir)/bash-completion/completions/fmld; or source it.

_fmld()
{
    local cur=${COMP_WORDS[COMP_CWORD]}
    local daemon=${COMP_WORDS[0]}
    case $cur in
        -*=*)
            case ${cur%%=*} in
                -datadir) COMPREPLY=($(compgen -d -P "${cur%%=*}=" -- "${cur#*=}")) ;;
                -conf|-genesis) COMPREPLY=($(compgen -f -P "${cur%%=*}=" -- "${cur#*=}")) ;;
                -chain) COMPREPLY=($(compgen -W "main test regtest" -P "-chain=" -- "${cur#*=}")) ;;
                -debug|-debugexclude)
                    COMPREPLY=($(compgen -W "net rpc mempool validation wallet producer db fl http all" \
                                 -P "${cur%%=*}=" -- "${cur#*=}")) ;;
            esac
            return 0 ;;
        *)
            local helpopts
            # "-regtest / -testnet" lines give two options.
            helpopts=$("$daemon" -help 2>/dev/null |
                awk '$1 ~ /^-/ { for (i = 1; i <= NF && ($i ~ /^-/ || $i == "/"); i++)
                                   if ($i ~ /^-/) { o = $i; sub(/=.*/, "=", o); sub(/,$/, "", o); print o } }')
            COMPREPLY=($(compgen -W "$helpopts" -- "$cur"))
            [[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
            return 0 ;;
    esac
}

complete -F _fmld fmld
