/* What the files of wallet/ share and nothing else sees: the wallet object,
 * the set of loaded wallets, and the record helpers.  Include only from
 * the .c files of wallet/. */
#ifndef FML_WALLET_INTERNAL_H
#define FML_WALLET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/serialize.h"
#include "util/hmap.h"
#include "wallet/chain_iface.h"
#include "wallet/crypt.h"
#include "wallet/wallet.h"
#include "wallet/walletdb.h"

#define WALLET_FORMAT_VERSION 1
#define WALLET_FILE_NAME "wallet.dat"
#define WALLET_HEADER_MAGIC "FMLWALET"
/* The last synced block is written at least this often (in blocks). */
#define WALLET_BEST_INTERVAL 100
/* Compaction: when at least this many records were superseded, and they
 * are more than half of the file. */
#define WALLET_COMPACT_MIN 1024
/* RANDAO onion checkpoints: one every this many layers. */
#define WALLET_ONION_CHECKPOINT 1000

struct wkey {
    uint8_t pub[PUBKEY_SIZE];
    uint64_t created;
    bool pool; /* in the keypool: not handed out yet */
    char *label;
    bool sealed;
    uint8_t sealed_secret[CRYPT_SEALED_SIZE]; /* when sealed */
    size_t clear_idx;                         /* in wallet->clear, when not */
    bool validator;
    uint64_t onion_generation;
    uint64_t onion_length;
    uint8_t *checkpoints; /* sodium_malloc'd H^(i*1000)(seed), NULL until needed */
    size_t ncheckpoints;
};

/* An Arena secret kept until its reveal (wallet/arenarecs.c). */
enum {
    WALLET_ARENA_SUBMIT = 1, /* salt and weights of a submission */
    WALLET_ARENA_SCORE = 2,  /* salt and losses of a score commitment */
    WALLET_ARENA_VALSET = 3, /* salts, chunk cut and bytes of a created task's sets */
    /* The FL Alliance's secrets (wallet/rpcfl.c), revealed on demand by
     * flrevealupdate and flrevealvote; the Arena's tick leaves them alone. */
    WALLET_FL_UPDATE = 4, /* round, salt and weights of an update commitment */
    WALLET_FL_VOTE = 5,   /* round, salt and verdicts of a vote commitment */
};
struct wallet_arena_rec {
    uint8_t kind;
    uint8_t task[HASH_SIZE];
    uint8_t key[PUBKEY_SIZE]; /* the signer of the reveals */
    uint64_t stored_height;
    uint8_t *data;
    size_t len;
};

struct wallet {
    char *name;
    const struct chain_params *params;
    struct walletdb *db;

    /* Header. */
    uint32_t version;
    uint64_t created;
    bool encrypted;
    struct crypt_kdf kdf;
    uint8_t *master; /* guarded, no-access between uses; NULL when locked */
    uint64_t unlocked_until;

    /* Handed-out keys in the order they were handed out, and the keypool
     * (oldest first). */
    struct wkey **keys;
    size_t nkeys, capkeys;
    struct wkey **pool;
    size_t npool, cappool;
    struct hmap by_pub; /* pub -> struct wkey *, both kinds */
    struct crypt_arena clear;

    /* History, in the order the wallet learned of it. */
    struct wallet_tx **txs;
    size_t ntxs, captxs;
    struct hmap by_txid; /* txid -> struct wallet_tx * */

    /* Sync. */
    bool has_best;
    uint8_t best_hash[HASH_SIZE];
    uint64_t best_height;
    bool has_written_best;
    uint8_t written_best_hash[HASH_SIZE];
    uint64_t written_best_height;
    bool write_failed; /* a chain event could not be recorded: keep the old best block */
    bool has_birth;
    uint64_t birth_height;
    bool rescan_pending;
    uint64_t rescan_from;

    uint64_t pay_fee_rate;

    /* Arena secrets awaiting their reveals, in the order stored. */
    struct wallet_arena_rec **arena;
    size_t narena, caparena;

    /* Compaction bookkeeping. */
    size_t records;
    size_t superseded;

    char error[192];
};

struct wallets {
    const struct chain_params *params;
    char *dir;
    struct wallet **v;
    size_t n;
    uint64_t fee_rate;
    /* Set by wallets_attach (wallet/sync.c), so that this file and the
     * wallets it loads need no chain code until a node attaches them. */
    const struct wallet_chain *chain;
    bool (*sync_wallet)(struct wallets *ws, struct wallet *w, char *err, size_t errlen);
    void (*detach)(struct wallets *ws);
};

/* ---- wallet.c ---- */

/* Appends a batch of framed records (n of them) and fsyncs.  Callers
 * commit first and change the wallet in memory after, then call
 * wallet_settle. */
bool wallet_commit(struct wallet *w, struct wbuf *batch, size_t n, char *err, size_t errlen)
    WARN_UNUSED;
/* Counts records that a change made obsolete and compacts the file when
 * enough of it is (a failure is logged: the file stays valid). */
void wallet_settle(struct wallet *w, size_t superseded);
/* Frames body (a record) into batch. */
void wallet_put_record(struct wbuf *batch, uint8_t type, const struct wbuf *body);
/* Rewrites the file with only the live records. */
bool wallet_compact(struct wallet *w, char *err, size_t errlen) WARN_UNUSED;
/* A buffer for bytes that include secrets, allocated at cap up front so
 * that it does not grow (a realloc would leave a copy behind unwiped) for
 * contents up to cap; wallet_wbuf_wipe wipes and frees it. */
void wallet_wbuf_secure(struct wbuf *b, size_t cap);
void wallet_wbuf_wipe(struct wbuf *b);
void wallet_set_error(struct wallet *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A SETTING record into batch. */
void wallet_put_setting(struct wbuf *batch, const char *name, uint64_t value);
#define WALLET_SETTING_BIRTH "birthheight"
#define WALLET_SETTING_RESCAN "rescanfrom"
#define WALLET_NO_RESCAN UINT64_MAX
/* The master key, readable until wallet_master_end; NULL (and the error
 * set) when the wallet is locked. */
const uint8_t *wallet_master_begin(struct wallet *w);
void wallet_master_end(struct wallet *w);

/* ---- keys.c ---- */

struct wkey *wallet_find_key(const struct wallet *w, const uint8_t pub[PUBKEY_SIZE]);
/* KEY, LABEL and VALIDATOR records. */
bool keys_apply_record(struct wallet *w, uint8_t type, const uint8_t *body, size_t len, char *err,
                       size_t errlen) WARN_UNUSED;
/* The live key records, for a rewritten file; *n counts them. */
void keys_image(const struct wallet *w, struct wbuf *img, size_t *n);
void keys_free_all(struct wallet *w);
/* Seals every clear secret under master (for encryptwallet); keys_unseal
 * undoes it when the rewrite fails. */
void keys_seal_all(struct wallet *w, const uint8_t *master);
void keys_unseal_all(struct wallet *w);

/* Strings in records: CompactSize length then bytes, no NUL inside. */
void wallet_put_str(struct wbuf *w, const char *s);
bool wallet_get_str(struct rbuf *r, char **out, size_t max) WARN_UNUSED;

/* ---- txrecords.c ---- */

bool wtx_apply_record(struct wallet *w, uint8_t type, const uint8_t *body, size_t len, char *err,
                      size_t errlen) WARN_UNUSED;
/* The live transaction records, for a compacted file; *n counts them. */
void wtx_image(const struct wallet *w, struct wbuf *img, size_t *n);
void wtx_free_all(struct wallet *w);
/* Marks a transaction whose block left the active chain unconfirmed. */
bool wtx_set_unconfirmed(struct wallet *w, struct wallet_tx *wtx, char *err, size_t errlen)
    WARN_UNUSED;
/* The same for n transactions in one synced append. */
bool wtx_set_unconfirmed_all(struct wallet *w, struct wallet_tx *const *txs, size_t n, char *err,
                             size_t errlen) WARN_UNUSED;
/* Marks a transaction confirmed in a block (when it already is elsewhere or
 * not at all). */
bool wtx_set_confirmed(struct wallet *w, struct wallet_tx *wtx, const uint8_t hash[HASH_SIZE],
                       uint64_t height, uint64_t time, uint32_t index, char *err, size_t errlen)
    WARN_UNUSED;

/* ---- arenarecs.c ---- */

/* An ARENA record (replayed at load). */
bool arena_apply_record(struct wallet *w, const uint8_t *body, size_t len, char *err,
                        size_t errlen) WARN_UNUSED;
/* The live ARENA records, for a compacted file; *n counts them. */
void arena_image(const struct wallet *w, struct wbuf *img, size_t *n);
void arena_free_all(struct wallet *w);
/* Stores (replacing) or deletes the record of (kind, task, key). */
bool wallet_arena_put(struct wallet *w, uint8_t kind, const uint8_t task[HASH_SIZE],
                      const uint8_t key[PUBKEY_SIZE], uint64_t height, const uint8_t *data,
                      size_t len, char *err, size_t errlen) WARN_UNUSED;
bool wallet_arena_drop(struct wallet *w, uint8_t kind, const uint8_t task[HASH_SIZE],
                       const uint8_t key[PUBKEY_SIZE], char *err, size_t errlen) WARN_UNUSED;
const struct wallet_arena_rec *wallet_arena_find(const struct wallet *w, uint8_t kind,
                                                 const uint8_t task[HASH_SIZE],
                                                 const uint8_t key[PUBKEY_SIZE]);
/* A validation set as the creator keeps it: its salt and chunk cut, its
 * bytes (pointing into the record). */
struct wallet_arena_set {
    uint8_t salt[32];
    uint16_t n_chunks;
    uint32_t chunk_len[64];
    size_t len;
    const uint8_t *bytes;
};
struct wallet_arena_valsets {
    uint8_t k;
    struct wallet_arena_set sets[WALLET_ARENA_MAX_SETS];
};
bool wallet_arena_valsets_parse(const struct wallet_arena_rec *r, struct wallet_arena_valsets *out)
    WARN_UNUSED;
/* The Merkle root of a set's chunks; the ARENA_REVEAL_VALSET payload of one
 * chunk (off: its first byte in the set). */
bool wallet_arena_set_root(uint8_t set, const struct wallet_arena_set *s, uint8_t root[HASH_SIZE])
    WARN_UNUSED;
bool wallet_arena_chunk_payload(struct wbuf *pl, const uint8_t task[HASH_SIZE], uint8_t set,
                                const struct wallet_arena_set *s, uint16_t chunk, size_t off)
    WARN_UNUSED;
/* Sends every reveal the wallet owes whose window is open at the next
 * block (only_task: that task's only), at fee_rate or the mempool's
 * required rate; calls sent with each txid.  Records whose window has
 * passed are deleted (not before: a reorg can take a reveal back).  Returns
 * how many records still owe a reveal not on chain (sent now, on its way,
 * or waiting for its window).  err is set when a send or a write failed (a
 * locked wallet, a refusal). */
size_t wallet_arena_tick(struct wallet *w, const struct wallet_chain *c, uint64_t fee_rate,
                         const uint8_t *only_task, uint8_t only_kind,
                         void (*sent)(void *arg, const uint8_t txid[HASH_SIZE]), void *arg,
                         char *err, size_t errlen);

#endif
