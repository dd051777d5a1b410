/* Custom networks: chain parameters and genesis allocations from a JSON file
 * (-genesis=FILE).  Every node given the same file computes the same genesis
 * hash.  Format in doc/protocol.md §11.1. */
#ifndef FML_NODE_GENESISFILE_H
#define FML_NODE_GENESISFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "consensus/params.h"

/* Genesis files larger than this are refused. */
#define GENESIS_FILE_MAX (8u * 1024 * 1024)

/* Fills p (NET_CUSTOM) from the file; false with a message naming the field
 * (and the file).  On failure p holds nothing to free. */
bool genesisfile_load(struct chain_params *p, const char *path, char *err, size_t errlen);

/* The same from the file's bytes (len ≤ GENESIS_FILE_MAX). */
bool genesisfile_parse(struct chain_params *p, const char *text, size_t len, char *err,
                       size_t errlen);

/* The same for a built-in network whose genesis comes from a file of the
 * repository (share/genesis/test.json for NET_TEST): the name must be the
 * network's, and the magic and ports are the built-in ones. */
bool genesisfile_parse_network(struct chain_params *p, enum network net, const char *text,
                               size_t len, char *err, size_t errlen);

/* An amount as a genesis file writes it: whole FML, or a decimal string with
 * the trailing zeros of its 8 decimals dropped ("1000", "0.5"). */
void genesisfile_format_amount(uint64_t units, char out[32]);

/* An amount of FML as a genesis file takes it ("1000", "0.5"): false when
 * malformed, with more than 8 decimals or above the supply cap. */
bool genesisfile_amount(const char *s, uint64_t *out);

/* One operator's public part of the launch ceremony (node/validatorkey.h),
 * named for the messages (usually its file name). */
struct genesis_fragment {
    const char *name;
    const char *text;
    size_t len;
};

/* The launch ceremony's genesis file: base (a genesis file without
 * "validators": name, hrp, genesis_time, params, allocations) and one
 * validator per fragment.  The output depends only on the content of the
 * inputs, not on their order or spacing: keys in a fixed order, params by
 * name, allocations and validators by public key, amounts in
 * genesisfile_format_amount's form.  A fragment with a bad key or
 * commitment, a stake below min_validator_stake, a commission above
 * max_commission_bps, another fragment's validator, or a secret key is
 * refused with a message naming it.  *out (malloc'ed text ending in a
 * newline) and hash (the genesis hash) on success. */
bool genesisfile_create(const char *base, size_t base_len, const struct genesis_fragment *frags,
                        size_t n, char **out, uint8_t hash[HASH_SIZE], char *err, size_t errlen);

#endif
