/* Undo data of a connected block: the value every changed state key had
 * before the block (or its absence), enough to restore the state exactly.
 *
 *   undo := CompactSize n | n x (key: CompactSize len, bytes | has_old u8
 *           | [old: CompactSize len, bytes])
 */
#ifndef FML_STATE_UNDO_H
#define FML_STATE_UNDO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/serialize.h"
#include "state/view.h"

#define UNDO_MAX_KEY 1024
#define UNDO_MAX_VALUE (64u * 1024 * 1024)

void undo_encode(const struct view_change *changes, size_t n, struct wbuf *w);

struct undo_entry {
    const uint8_t *key; /* point into the decoded buffer */
    size_t klen;
    bool has_old;
    const uint8_t *old;
    size_t old_len;
};

/* Decodes into a malloc'd array (the caller frees it). */
bool undo_decode(const uint8_t *data, size_t len, struct undo_entry **out, size_t *n) WARN_UNUSED;

#endif
