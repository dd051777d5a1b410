/* A view of the state: (key, value) pairs read through from a parent (another
 * view or the committed state in LevelDB) with changes kept in memory.
 *
 * Block validation applies a block to a view over the committed state; the
 * view's changes then become one LevelDB batch, the block's undo data and the
 * state-root update.  Block building stacks a view per candidate transaction
 * so a failing one is dropped without touching the others.
 *
 * An I/O error while reading marks the view failed; callers check
 * view_failed() once at the end instead of after every read.
 */
#ifndef FML_STATE_VIEW_H
#define FML_STATE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/serialize.h"

struct db;
struct view;

/* A view over the committed state in db (parent NULL) or over parent. */
struct view *view_new(struct db *db, struct view *parent);
void view_free(struct view *v);

/* Looks key up; *val stays valid until the key is next written in this view
 * or the view is freed.  Returns false when absent (or on I/O error). */
bool view_get(struct view *v, const void *key, size_t klen, const uint8_t **val, size_t *vlen)
    WARN_UNUSED;
/* Copies val.  A failed allocation marks the view failed. */
void view_put(struct view *v, const void *key, size_t klen, const void *val, size_t vlen);
void view_put_wbuf(struct view *v, const void *key, size_t klen, struct wbuf *w);
void view_del(struct view *v, const void *key, size_t klen);

/* A u64 value stored little-endian under key (0 when absent).  A stored value
 * of the wrong size marks the view failed. */
uint64_t view_get_u64(struct view *v, const char *key);
void view_put_u64(struct view *v, const char *key, uint64_t value);

bool view_failed(const struct view *v);
void view_set_failed(struct view *v);

/* Moves this view's changes into its parent view (which must exist). */
void view_commit(struct view *v);

/* A changed key: its value before the view (old) and now (cur).  A missing
 * value has has_old / has_cur false. */
struct view_change {
    const uint8_t *key;
    size_t klen;
    bool has_old;
    const uint8_t *old;
    size_t old_len;
    bool has_cur;
    const uint8_t *cur;
    size_t cur_len;
};

/* The keys whose value differs from the parent's, in ascending key order.
 * The array is owned by the view and valid until it changes. */
const struct view_change *view_changes(struct view *v, size_t *n);

#endif
