/* Custom networks: chain parameters and genesis allocations from a JSON file
 * (-genesis=FILE).  Every node given the same file computes the same genesis
 * hash.  Format in doc/operator.md ("Custom networks"). */
#ifndef FML_NODE_GENESISFILE_H
#define FML_NODE_GENESISFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "consensus/params.h"

/* Fills p (NET_CUSTOM) from the file; false with a message naming the field. */
bool genesisfile_load(struct chain_params *p, const char *path, char *err, size_t errlen);

#endif
