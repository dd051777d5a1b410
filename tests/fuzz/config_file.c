/* Fuzz target: options from the command line and fml.conf (util/config.c):
 * argument parsing, the config file's sections, negations and lists, the
 * network selection and every lookup.
 *
 * Input: arguments | 0xff | file.  The bytes before the first 0xff are the
 * command-line arguments, separated by NUL bytes (at most 64); the bytes
 * after it are the config file (without a 0xff, the whole input is the file).
 * fmld's order is followed: arguments, then the file, then the section of
 * the selected network.  Properties: a refusal carries a message; an integer
 * lookup that succeeds is within its bounds; a key that is set has a value;
 * a list's count matches its entries. */
#include "tests/fuzz/fuzz.h"

#include "util/config.h"

#include <stdbool.h>
#include <string.h>

#define MAX_ARGS 64

static const char *const keys[] = {
    "regtest", "testnet", "chain",  "datadir", "port",       "rpcport", "connect",
    "addnode", "rpcallowip", "rpcbind", "debug", "conf", "genesis", "printtoconsole",
    "maxconnections", "dbcrashratio", "rpcuser", "rpcpassword", "listen", "-daemon", NULL,
};

static void query(const struct config *cfg)
{
    char err[512];
    for (size_t i = 0; keys[i]; i++) {
        int64_t v = 0;
        size_t n = 99;
        if (config_get_int(cfg, keys[i], 7, -1000, 1000000, &v, err, sizeof(err)))
            FUZZ_CHECK(v >= -1000 && v <= 1000000);
        else
            FUZZ_CHECK(err[0] != '\0');
        (void)config_get_bool(cfg, keys[i], false);
        if (config_is_set(cfg, keys[i]))
            FUZZ_CHECK(config_get(cfg, keys[i], NULL) != NULL);
        const char **all = config_get_multi(cfg, keys[i], &n);
        FUZZ_CHECK(all != NULL);
        for (size_t j = 0; j < n; j++)
            FUZZ_CHECK(all[j] != NULL);
        FUZZ_CHECK(all[n] == NULL);
        free(all);
    }
    err[0] = '\0';
    if (!config_check_args(cfg, keys, err, sizeof(err)))
        FUZZ_CHECK(err[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, 0xff, size);
    size_t args_len = sep ? (size_t)(sep - data) : 0;
    const char *file = sep ? (const char *)sep + 1 : (const char *)data;
    size_t file_len = sep ? size - args_len - 1 : size;
    char *args = malloc(args_len + 1);
    char *argv[MAX_ARGS + 2];
    int argc = 1, first = 0;
    char err[512] = "", chain[64];
    struct config *cfg = config_new();
    FUZZ_CHECK(args && cfg);

    /* argv[0] is the program; the rest are the NUL-separated arguments. */
    memcpy(args, data, args_len);
    args[args_len] = '\0';
    argv[0] = "fmld";
    for (size_t i = 0; i < args_len && argc <= MAX_ARGS; argc++) {
        argv[argc] = args + i;
        i += strlen(args + i) + 1;
    }
    argv[argc] = NULL;

    if (!config_parse_args(cfg, argc, argv, &first, err, sizeof(err))) {
        FUZZ_CHECK(err[0] != '\0');
        goto done;
    }
    FUZZ_CHECK(first >= 1 && first <= argc);
    if (!config_read_text(cfg, "fml.conf", file, file_len, err, sizeof(err))) {
        FUZZ_CHECK(err[0] != '\0');
        goto done;
    }
    query(cfg);
    if (config_get_chain(cfg, chain, sizeof(chain), err, sizeof(err))) {
        FUZZ_CHECK(strlen(chain) < sizeof(chain));
        FUZZ_CHECK(config_set_section(cfg, chain));
        query(cfg);
    } else {
        FUZZ_CHECK(err[0] != '\0');
    }
done:
    config_free(cfg);
    free(args);
    return 0;
}
