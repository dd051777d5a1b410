/* bitcoind-style options for fmld and fml-cli.
 *
 * Sources, highest priority first:
 *   1. the command line: -key=value, -key (= "1"), -nokey (= "0"), --key,
 *      and -section.key=value for one network only;
 *   2. the active network's section of the config file ([main], [test],
 *      [regtest] or a custom chain name, or section.key=value lines);
 *   3. the top of the config file.
 * For a single value the command line's last occurrence wins, then the
 * file's first.  Repeated keys form a list (config_get_multi), merged from
 * all sources; a negation (-nokey) drops everything before it and every
 * lower source.  Keys are stored without the leading '-'; the lookup
 * functions accept either form.
 *
 * The node never writes the config file.  Nothing here logs or exits.
 */
#ifndef FML_UTIL_CONFIG_H
#define FML_UTIL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_FILE_NAME "fml.conf"
/* Config files larger than this are refused. */
#define CONFIG_MAX_FILE_SIZE (1u << 20)

struct config;

struct config *config_new(void);
void config_free(struct config *cfg);

/* Parses argv[1..] up to the first argument that is not an option ("--"
 * also ends the options); *first_non_option receives its index (argc when
 * there is none).  False with a message on a malformed option. */
bool config_parse_args(struct config *cfg, int argc, char *const argv[], int *first_non_option,
                       char *err, size_t errlen) __attribute__((warn_unused_result));

/* Reads a config file and makes section the active network section (NULL:
 * keep the current one).  A missing file is not an error unless -conf was
 * given on the command line (then path is that file).  Errors name the file
 * and the line. */
bool config_read_file(struct config *cfg, const char *path, const char *section, char *err,
                      size_t errlen) __attribute__((warn_unused_result));

/* The same for a file's bytes already in memory (at most
 * CONFIG_MAX_FILE_SIZE); name is the file named in errors. */
bool config_read_text(struct config *cfg, const char *name, const char *text, size_t len,
                      char *err, size_t errlen) __attribute__((warn_unused_result));

/* Changes the active network section (NULL: none). */
bool config_set_section(struct config *cfg, const char *section);

/* Path of the config file: -conf (relative to datadir when not absolute) or
 * datadir/fml.conf.  The caller frees it. */
char *config_conf_path(const struct config *cfg, const char *datadir);

/* The selected chain from -chain, -regtest and -testnet: "main" by default,
 * "test", "regtest" or a custom name.  False when they contradict. */
bool config_get_chain(const struct config *cfg, char *out, size_t outlen, char *err,
                      size_t errlen) __attribute__((warn_unused_result));

/* The value of key, "0" when negated, def when not set.  The string is owned
 * by cfg. */
const char *config_get(const struct config *cfg, const char *key, const char *def);

/* An integer in [min, max]; def when not set.  False with a message naming
 * the option (and its file and line) when malformed or out of range. */
bool config_get_int(const struct config *cfg, const char *key, int64_t def, int64_t min,
                    int64_t max, int64_t *out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* A flag: "0", "false", "no", "off" and negations are false; "", "1", "true",
 * "yes", "on" and other non-zero numbers are true; anything else false. */
bool config_get_bool(const struct config *cfg, const char *key, bool def);

/* Every value of a list option, in priority order.  Returns a
 * NULL-terminated array the caller frees (the strings are owned by cfg);
 * NULL only on allocation failure.  *n (if given) receives the count. */
const char **config_get_multi(const struct config *cfg, const char *key, size_t *n);

/* True when key appears anywhere (negated or not) for the active section. */
bool config_is_set(const struct config *cfg, const char *key);

/* False with "Invalid parameter -KEY" when a command-line option is not in
 * known (a NULL-terminated list of names without '-'). */
bool config_check_args(const struct config *cfg, const char *const *known, char *err,
                       size_t errlen) __attribute__((warn_unused_result));

#endif
