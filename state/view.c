/* State views (see view.h). */
#include "state/view.h"
#include "state/db.h"
#include "util/hmap.h"

#include <stdlib.h>
#include <string.h>

/* Key prefix of state pairs inside the chainstate database (other prefixes
 * hold undo data, the transaction index and metadata). */
#define STATE_DB_PREFIX 's'

struct entry {
    uint8_t *key; /* a copy: the map keeps its own */
    size_t klen;
    bool has_old;
    uint8_t *old;
    size_t old_len;
    bool has_cur;
    uint8_t *cur; /* == old until first written */
    size_t cur_len;
};

struct view {
    struct db *db;
    struct view *parent;
    struct hmap entries;
    bool failed;
    struct view_change *changes;
    size_t nchanges;
    /* The journal (see view.h): on only when enabled on the root. */
    bool journal_on;
    int64_t journal_cause; /* meaningful on the root */
    struct journal_entry *journal;
    size_t njournal, journal_cap;
};

struct view *view_new(struct db *db, struct view *parent)
{
    struct view *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->db = parent ? parent->db : db;
    v->parent = parent;
    v->journal_on = parent && parent->journal_on;
    hmap_init(&v->entries);
    return v;
}

static void entry_free(void *p)
{
    struct entry *e = p;
    if (e->cur != e->old)
        free(e->cur);
    free(e->old);
    free(e->key);
    free(e);
}

void view_free(struct view *v)
{
    if (!v)
        return;
    hmap_free(&v->entries, entry_free);
    free(v->changes);
    free(v->journal);
    free(v);
}

bool view_failed(const struct view *v)
{
    return v->failed;
}

void view_set_failed(struct view *v)
{
    v->failed = true;
}

static uint8_t *dup_bytes(const void *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

/* Reads key from below this view into a new entry. */
static struct entry *load(struct view *v, const void *key, size_t klen)
{
    struct entry *e = calloc(1, sizeof(*e));
    if (!e) {
        v->failed = true;
        return NULL;
    }
    if (v->parent) {
        const uint8_t *val;
        size_t vlen;
        if (view_get(v->parent, key, klen, &val, &vlen)) {
            e->old = dup_bytes(val, vlen);
            if (!e->old)
                goto fail;
            e->has_old = true;
            e->old_len = vlen;
        }
        if (v->parent->failed)
            goto fail;
    } else {
        uint8_t *dbkey = malloc(klen + 1), *val = NULL;
        size_t vlen = 0;
        if (!dbkey)
            goto fail;
        dbkey[0] = STATE_DB_PREFIX;
        memcpy(dbkey + 1, key, klen);
        enum db_result r = db_get(v->db, dbkey, klen + 1, &val, &vlen);
        free(dbkey);
        if (r == DB_ERROR)
            goto fail;
        if (r == DB_FOUND) {
            e->has_old = true;
            e->old = val;
            e->old_len = vlen;
        }
    }
    e->has_cur = e->has_old;
    e->cur = e->old;
    e->cur_len = e->old_len;
    e->key = dup_bytes(key, klen);
    e->klen = klen;
    if (!e->key || !hmap_put(&v->entries, key, klen, e, NULL))
        goto fail;
    return e;
fail:
    v->failed = true;
    free(e->old);
    free(e->key);
    free(e);
    return NULL;
}

static struct entry *lookup(struct view *v, const void *key, size_t klen)
{
    struct entry *e = hmap_get(&v->entries, key, klen);
    return e ? e : load(v, key, klen);
}

bool view_get(struct view *v, const void *key, size_t klen, const uint8_t **val, size_t *vlen)
{
    struct entry *e = lookup(v, key, klen);
    if (!e || !e->has_cur)
        return false;
    *val = e->cur;
    *vlen = e->cur_len;
    return true;
}

static void set_cur(struct view *v, struct entry *e, bool present, const void *val, size_t vlen)
{
    uint8_t *copy = NULL;
    if (present) {
        copy = dup_bytes(val, vlen);
        if (!copy) {
            v->failed = true;
            return;
        }
    }
    if (e->cur != e->old)
        free(e->cur);
    e->has_cur = present;
    e->cur = copy;
    e->cur_len = present ? vlen : 0;
    free(v->changes);
    v->changes = NULL;
}

void view_put(struct view *v, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct entry *e = lookup(v, key, klen);
    if (e)
        set_cur(v, e, true, val, vlen);
}

void view_put_wbuf(struct view *v, const void *key, size_t klen, struct wbuf *w)
{
    if (w->failed) {
        v->failed = true;
        return;
    }
    view_put(v, key, klen, w->data, w->len);
}

void view_del(struct view *v, const void *key, size_t klen)
{
    struct entry *e = lookup(v, key, klen);
    if (e)
        set_cur(v, e, false, NULL, 0);
}

static bool entry_changed(const struct entry *e)
{
    if (e->has_old != e->has_cur)
        return true;
    if (!e->has_cur)
        return false;
    return e->old_len != e->cur_len || memcmp(e->old, e->cur, e->cur_len) != 0;
}

static bool journal_append(struct view *v, const struct journal_entry *e, size_t n)
{
    if (v->njournal + n > v->journal_cap) {
        size_t cap = v->journal_cap ? v->journal_cap * 2 : 16;
        while (cap < v->njournal + n)
            cap *= 2;
        struct journal_entry *j = realloc(v->journal, cap * sizeof(*j));
        if (!j) {
            v->failed = true;
            return false;
        }
        v->journal = j;
        v->journal_cap = cap;
    }
    memcpy(v->journal + v->njournal, e, n * sizeof(*e));
    v->njournal += n;
    return true;
}

void view_journal_enable(struct view *v)
{
    v->journal_on = true;
    v->journal_cause = JOURNAL_CAUSE_BEGIN;
}

bool view_journaling(const struct view *v)
{
    return v->journal_on;
}

void view_journal_mark(struct view *v, int64_t cause)
{
    while (v->parent)
        v = v->parent;
    v->journal_cause = cause;
}

void view_journal_add(struct view *v, const uint8_t pub[PUBKEY_SIZE], enum journal_kind kind,
                      int64_t delta, uint64_t old_value, uint64_t new_value)
{
    if (!v->journal_on)
        return;
    const struct view *root = v;
    while (root->parent)
        root = root->parent;
    struct journal_entry e = {.kind = (uint8_t)kind, .cause = root->journal_cause,
                              .delta = delta, .old_value = old_value, .new_value = new_value};
    memcpy(e.pubkey, pub, PUBKEY_SIZE);
    (void)journal_append(v, &e, 1);
}

const struct journal_entry *view_journal(const struct view *v, size_t *n)
{
    *n = v->njournal;
    return v->journal;
}

void view_commit(struct view *v)
{
    const struct hmap_slot *slot;
    if (v->failed)
        v->parent->failed = true;
    if (v->njournal && v->parent->journal_on)
        (void)journal_append(v->parent, v->journal, v->njournal);
    v->njournal = 0;
    for (size_t i = 0; hmap_next(&v->entries, &i, &slot);) {
        const struct entry *e = slot->val;
        if (!entry_changed(e))
            continue;
        if (e->has_cur)
            view_put(v->parent, e->key, e->klen, e->cur, e->cur_len);
        else
            view_del(v->parent, e->key, e->klen);
    }
}

static int cmp_change(const void *a, const void *b)
{
    const struct view_change *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return (x->klen > y->klen) - (x->klen < y->klen);
}

const struct view_change *view_changes(struct view *v, size_t *n)
{
    const struct hmap_slot *slot;
    size_t count = 0;
    if (v->changes) {
        *n = v->nchanges;
        return v->changes;
    }
    v->changes = malloc((hmap_count(&v->entries) + 1) * sizeof(*v->changes));
    if (!v->changes) {
        v->failed = true;
        *n = 0;
        return NULL;
    }
    for (size_t i = 0; hmap_next(&v->entries, &i, &slot);) {
        const struct entry *e = slot->val;
        if (!entry_changed(e))
            continue;
        v->changes[count++] = (struct view_change){
            .key = e->key, .klen = e->klen,
            .has_old = e->has_old, .old = e->old, .old_len = e->old_len,
            .has_cur = e->has_cur, .cur = e->cur, .cur_len = e->cur_len,
        };
    }
    qsort(v->changes, count, sizeof(*v->changes), cmp_change);
    v->nchanges = count;
    *n = count;
    return v->changes;
}

uint64_t view_get_u64(struct view *v, const char *key)
{
    const uint8_t *val;
    size_t vlen;
    if (!view_get(v, key, strlen(key), &val, &vlen))
        return 0;
    if (vlen != 8) {
        v->failed = true;
        return 0;
    }
    return read_le64(val);
}

void view_put_u64(struct view *v, const char *key, uint64_t value)
{
    uint8_t b[8];
    write_le64(b, value);
    view_put(v, key, strlen(key), b, sizeof(b));
}
