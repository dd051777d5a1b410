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

#endif
