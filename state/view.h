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
#include "consensus/key.h"

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

/* ---- the journal of balance changes (for the address index) ----
 *
 * Off unless view_journal_enable was called on a root view: then every
 * module that changes an amount held for an address (accounts_put for
 * balances and nonces, staking for self-stake and delegations) appends an
 * entry, tagged with the cause the state transition last set with
 * view_journal_mark.  A child view of a journaling view journals too; its
 * entries move into the parent on view_commit and are dropped by view_free
 * without commit.  The journal never changes the state (nor its root). */

enum journal_kind {
    JOURNAL_ACCOUNT = 1, /* an account's balance (and nonce): old and new balance */
    JOURNAL_STAKE = 2,   /* stake held for the address (self-stake, delegation): delta */
    JOURNAL_HELD = 3,    /* other amounts a module holds for the address: delta */
};

/* Causes: begin-of-block rules, transaction i (0-based), end-of-block rules. */
#define JOURNAL_CAUSE_BEGIN (-1)
#define JOURNAL_CAUSE_END (-2)

struct journal_entry {
    uint8_t pubkey[PUBKEY_SIZE];
    uint8_t kind;      /* enum journal_kind */
    int64_t cause;     /* JOURNAL_CAUSE_* or a transaction position */
    int64_t delta;     /* signed change of the amount */
    uint64_t old_value; /* JOURNAL_ACCOUNT: balance before and after */
    uint64_t new_value;
};

void view_journal_enable(struct view *v);
bool view_journaling(const struct view *v);
/* Sets the cause of the entries that follow (on the root view). */
void view_journal_mark(struct view *v, int64_t cause);
/* Appends an entry (nothing when the view does not journal). */
void view_journal_add(struct view *v, const uint8_t pub[PUBKEY_SIZE], enum journal_kind kind,
                      int64_t delta, uint64_t old_value, uint64_t new_value);
/* A stake of the address going from old_amount to new_amount. */
static inline void view_journal_stake(struct view *v, const uint8_t pub[PUBKEY_SIZE],
                                      uint64_t old_amount, uint64_t new_amount)
{
    if (view_journaling(v) && old_amount != new_amount)
        view_journal_add(v, pub, JOURNAL_STAKE,
                         new_amount >= old_amount ? (int64_t)(new_amount - old_amount)
                                                  : -(int64_t)(old_amount - new_amount),
                         old_amount, new_amount);
}

/* The entries in the order they were made (valid until the view changes). */
const struct journal_entry *view_journal(const struct view *v, size_t *n);

#endif
