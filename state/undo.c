/* Undo records (see undo.h). */
#include "state/undo.h"

#include <stdlib.h>

void undo_encode(const struct view_change *changes, size_t n, struct wbuf *w)
{
    put_compact(w, n);
    for (size_t i = 0; i < n; i++) {
        put_varbytes(w, changes[i].key, changes[i].klen);
        put_u8(w, changes[i].has_old);
        if (changes[i].has_old)
            put_varbytes(w, changes[i].old, changes[i].old_len);
    }
}

bool undo_decode(const uint8_t *data, size_t len, struct undo_entry **out, size_t *n)
{
    struct rbuf r;
    uint64_t count;
    rbuf_init(&r, data, len);
    *out = NULL;
    /* Each entry takes at least two bytes, which bounds the count. */
    if (!get_compact(&r, &count, len / 2))
        return false;
    struct undo_entry *e = calloc((size_t)count + 1, sizeof(*e));
    if (!e)
        return false;
    for (size_t i = 0; i < count; i++) {
        if (!get_varbytes(&r, &e[i].key, &e[i].klen, UNDO_MAX_KEY) ||
            !get_bool(&r, &e[i].has_old) ||
            (e[i].has_old && !get_varbytes(&r, &e[i].old, &e[i].old_len, UNDO_MAX_VALUE))) {
            free(e);
            return false;
        }
    }
    if (!rbuf_done(&r)) {
        free(e);
        return false;
    }
    *out = e;
    *n = (size_t)count;
    return true;
}
