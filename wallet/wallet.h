/* The wallet: keys, their encryption at rest, signing, RANDAO reveals, the
 * history of the transactions that concern its keys, and the set of wallets a
 * node has loaded.
 *
 * A wallet is a directory <walletdir>/<name>/ holding wallet.dat, an
 * append-only log of checksummed records (format in doc/wallet.md).  Every
 * function that writes the file has fsync'd it before it returns, so a crash
 * can at worst leave a torn last record, which the next load drops.
 *
 * With a passphrase, secrets are sealed with XChaCha20-Poly1305 under a
 * random master key, itself sealed under a key derived from the passphrase
 * with Argon2id.  Unlocking keeps only the master key (in sodium_malloc'd
 * memory) until the timeout passes (checked lazily at each use) or the
 * wallet is locked; a secret is decrypted into a stack buffer only to sign
 * and wiped right after.
 *
 * Errors: functions that create or change something take (err, errlen) and
 * write a message for the user there; the signing functions, which the block
 * producer calls every slot, leave theirs in wallet_error().  No message ever
 * contains a secret or a passphrase.
 *
 * Not thread-safe: callers hold the node lock.
 */
#ifndef FML_WALLET_WALLET_H
#define FML_WALLET_WALLET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/hash.h"
#include "consensus/key.h"
#include "consensus/params.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"

struct wallet;
struct wallets;
struct validation;
struct wallet_chain; /* wallet/chain_iface.h */

/* Wallet names: [A-Za-z0-9_.-]{1,64}, not starting with '.'. */
#define WALLET_NAME_MAX 64
#define WALLET_LABEL_MAX 1024
#define WALLET_COMMENT_MAX 1024
/* Fee rate of sent transactions when nothing else is set: units per 1,000
 * bytes. */
#define WALLET_DEFAULT_FEE_RATE 10000
/* Keys kept ready in an encrypted wallet so that getnewaddress works while
 * it is locked. */
#define WALLET_KEYPOOL_SIZE 100
#define WALLET_KEYPOOL_MAX 100000
/* Longest RANDAO hash onion a validator key may use. */
#define WALLET_ONION_MAX 100000000
/* Longest walletpassphrase timeout, in seconds (as bitcoind). */
#define WALLET_UNLOCK_MAX 100000000

bool wallet_name_valid(const char *name);

/* Argon2id limits of newly encrypted wallets (a wallet keeps the limits it
 * was encrypted with).  Default: libsodium's INTERACTIVE limits.  Tests set
 * the minimum (ops 1, 8 KiB) to stay fast; values are clamped to libsodium's
 * MIN..SENSITIVE range. */
void wallet_set_kdf_limits(uint64_t opslimit, size_t memlimit);

/* ---- One wallet ---- */

/* Creates <dir>/<name>/wallet.dat (the directory may exist but must not hold
 * a wallet).  passphrase NULL or "": unencrypted. */
struct wallet *wallet_create(const struct chain_params *params, const char *dir, const char *name,
                             const char *passphrase, char *err, size_t errlen);
/* Loads <dir>/<name>/wallet.dat: refuses another network's wallet, drops a
 * torn last record, refuses a damaged one in the middle. */
struct wallet *wallet_load(const struct chain_params *params, const char *dir, const char *name,
                           char *err, size_t errlen);
/* Writes the last synced block and closes the file. */
void wallet_free(struct wallet *w);

const char *wallet_name(const struct wallet *w);
/* The message of the last failed signing function. */
const char *wallet_error(const struct wallet *w);
/* Format version of the file. */
uint32_t wallet_version(const struct wallet *w);
/* Unix time of creation. */
uint64_t wallet_birth_time(const struct wallet *w);
/* Chain height when the wallet first synced (false before that). */
bool wallet_birth_height(const struct wallet *w, uint64_t *height);
/* The last block the wallet has processed (false before the first sync). */
bool wallet_best_block(const struct wallet *w, uint8_t hash[HASH_SIZE], uint64_t *height);
/* Size of wallet.dat in bytes. */
uint64_t wallet_file_size(const struct wallet *w);

/* ---- Encryption ---- */

bool wallet_is_encrypted(const struct wallet *w);
/* True for an encrypted wallet that is locked (relocking it first when its
 * timeout has passed). */
bool wallet_is_locked(struct wallet *w);
/* Unix time the wallet relocks at; 0 when locked or not encrypted. */
uint64_t wallet_unlocked_until(struct wallet *w);
/* Unlocks for timeout seconds (at most WALLET_UNLOCK_MAX; 0 relocks at
 * once), or extends an unlocked wallet's timeout.  False for a wrong
 * passphrase. */
bool wallet_unlock(struct wallet *w, const char *passphrase, uint64_t timeout, char *err,
                   size_t errlen) WARN_UNUSED;
/* Forgets the master key (wiped). */
void wallet_lock(struct wallet *w);
/* Encrypts an unencrypted wallet, rewriting its file atomically; the wallet
 * is locked afterwards. */
bool wallet_encrypt(struct wallet *w, const char *passphrase, char *err, size_t errlen)
    WARN_UNUSED;
bool wallet_change_passphrase(struct wallet *w, const char *old_pass, const char *new_pass,
                              char *err, size_t errlen) WARN_UNUSED;

/* ---- Keys ---- */

struct wallet_key_info {
    uint8_t pub[PUBKEY_SIZE];
    const char *label; /* borrowed, valid until the wallet changes */
    uint64_t created;  /* unix time */
    bool validator;
    uint64_t onion_generation;
    uint64_t onion_length;
};

/* A new address: a fresh random key, or, in a locked encrypted wallet, one
 * from the keypool. */
bool wallet_new_key(struct wallet *w, const char *label, uint8_t pub[PUBKEY_SIZE], char *err,
                    size_t errlen) WARN_UNUSED;
/* Adds a key (a no-op apart from the label when it is already there).
 * rescan: the next sync scans the chain from genesis for its history. */
bool wallet_import_key(struct wallet *w, const uint8_t sec[SECKEY_SIZE], const char *label,
                       bool rescan, uint8_t pub[PUBKEY_SIZE], char *err, size_t errlen)
    WARN_UNUSED;
/* Adds a validator key with the parameters of its RANDAO hash onion
 * (commitment H^onion_length(randao_onion_seed(sec, onion_generation))).
 * Idempotent: importing the same key with the same parameters writes
 * nothing. */
bool wallet_import_validator_key(struct wallet *w, const uint8_t sec[SECKEY_SIZE],
                                 uint64_t onion_generation, uint64_t onion_length,
                                 const char *label, char *err, size_t errlen)
    WARN_UNUSED;
/* Copies a secret out (for dumpprivkey); the caller wipes it. */
bool wallet_dump_key(struct wallet *w, const uint8_t pub[PUBKEY_SIZE], uint8_t sec[SECKEY_SIZE],
                     char *err, size_t errlen) WARN_UNUSED;
bool wallet_set_label(struct wallet *w, const uint8_t pub[PUBKEY_SIZE], const char *label,
                      char *err, size_t errlen) WARN_UNUSED;
/* True for any key of the wallet, keypool keys included. */
bool wallet_has_key(const struct wallet *w, const uint8_t pub[PUBKEY_SIZE]);
/* Handed-out keys (not the keypool), in creation order. */
size_t wallet_key_count(const struct wallet *w);
bool wallet_key_at(const struct wallet *w, size_t i, struct wallet_key_info *out) WARN_UNUSED;
/* False when pub is not a handed-out key of the wallet. */
bool wallet_key_info(const struct wallet *w, const uint8_t pub[PUBKEY_SIZE],
                     struct wallet_key_info *out) WARN_UNUSED;
size_t wallet_keypool_size(const struct wallet *w);
/* Tops the keypool of an encrypted wallet up to target keys (unlock needed). */
bool wallet_keypool_refill(struct wallet *w, size_t target, char *err, size_t errlen)
    WARN_UNUSED;

/* ---- Signing ---- */

/* Signs with the key of tx->sender.  False (see wallet_error) when the key
 * is not in the wallet or the wallet is locked. */
bool wallet_sign_tx(struct wallet *w, struct tx *tx, const uint8_t genesis[HASH_SIZE])
    WARN_UNUSED;
/* A BIP340 signature of a 32-byte hash with the key of pub (a Market
 * request a compute provider checks: consensus/market.h
 * market_request_hash).  False (see wallet_error) as wallet_sign_tx. */
bool wallet_sign_hash(struct wallet *w, const uint8_t pub[PUBKEY_SIZE],
                      const uint8_t msg[HASH_SIZE], uint8_t sig[SIG_SIZE]) WARN_UNUSED;
/* Signs with the key of hdr->proposer. */
bool wallet_sign_header(struct wallet *w, struct block_header *hdr,
                        const uint8_t genesis[HASH_SIZE]) WARN_UNUSED;
/* The RANDAO reveal of a validator key that has made reveals_done reveals:
 * H^(N-1-reveals_done)(seed), the preimage of its commitment
 * H^(N-reveals_done)(seed).  Checkpoints of the onion are computed once per
 * key (unlock needed then), so a reveal costs at most 1,000 hashes. */
bool wallet_randao_reveal(struct wallet *w, const uint8_t pub[PUBKEY_SIZE], uint64_t reveals_done,
                          uint8_t out[HASH_SIZE]) WARN_UNUSED;

/* ---- Transaction history ---- */

enum wallet_tx_state {
    WALLET_TX_UNCONFIRMED = 0, /* sent or seen, not in the active chain */
    WALLET_TX_CONFIRMED = 1,   /* in the block named below */
    WALLET_TX_ABANDONED = 2,   /* sent, but can no longer be valid */
};

struct wallet_tx {
    uint8_t txid[HASH_SIZE];
    struct tx tx;
    uint64_t time; /* unix time the wallet first learned of it */
    char *comment;    /* never NULL */
    char *comment_to; /* never NULL */
    enum wallet_tx_state state;
    /* When confirmed. */
    uint8_t block_hash[HASH_SIZE];
    uint64_t block_height;
    uint64_t block_time;
    uint32_t block_index;
};

/* Transactions in the order the wallet learned of them. */
size_t wallet_tx_count(const struct wallet *w);
const struct wallet_tx *wallet_tx_at(const struct wallet *w, size_t i);
const struct wallet_tx *wallet_tx_find(const struct wallet *w, const uint8_t txid[HASH_SIZE]);
/* True when a transaction is sent by, or pays, a key of the wallet. */
bool wallet_tx_is_mine(const struct wallet *w, const struct tx *tx);
/* Whether wallet_record_sent would take tx: its sender is a key of the
 * wallet, the comments fit, and the wallet does not hold it yet. */
bool wallet_check_sent(const struct wallet *w, const struct tx *tx, const char *comment,
                       const char *comment_to, char *err, size_t errlen)
    WARN_UNUSED;
/* Records a signed transaction the wallet sent; fsync'd when this returns
 * true.  Senders go through wallet_submit_tx, which records only what the
 * mempool accepted. */
bool wallet_record_sent(struct wallet *w, const struct tx *tx, uint64_t now, const char *comment,
                        const char *comment_to, char *err, size_t errlen)
    WARN_UNUSED;
/* Sends a transaction the wallet signed: checks that the wallet can record
 * it (wallet_check_sent), hands it to the mempool, and only when the mempool
 * accepted it records it, fsync'd, before returning.  A transaction the
 * mempool refuses leaves no record (false, the reason in v); one whose record
 * cannot be written leaves the mempool again (false, v->code REJECT_NONE, the
 * error in err).  The caller holds the node lock for the whole call, so no
 * peer, block or RPC sees the transaction before its record is on disk, and
 * a crash in between loses a transaction nobody learned of (wallet/sync.c). */
bool wallet_submit_tx(struct wallet *w, const struct wallet_chain *c, const struct tx *tx,
                      uint64_t now, const char *comment, const char *comment_to,
                      struct validation *v, char *err, size_t errlen)
    WARN_UNUSED;
/* Marks an unconfirmed transaction as abandoned (its nonce can be reused). */
bool wallet_abandon_tx(struct wallet *w, const uint8_t txid[HASH_SIZE], char *err, size_t errlen)
    WARN_UNUSED;

/* Chain events (wallets_attach forwards them; tests call them directly).
 * A connected block records the wallet's transactions in it as confirmed;
 * a disconnected one makes them unconfirmed again. */
bool wallet_block_connected(struct wallet *w, const struct block *b,
                            const uint8_t hash[HASH_SIZE], char *err, size_t errlen)
    WARN_UNUSED;
bool wallet_block_disconnected(struct wallet *w, const struct block *b,
                               const uint8_t hash[HASH_SIZE], char *err, size_t errlen)
    WARN_UNUSED;
/* Persists the last processed block (force: even if written recently). */
bool wallet_write_best_block(struct wallet *w, bool force, char *err, size_t errlen)
    WARN_UNUSED;

/* The fee rate set by settxfee (0: none), units per 1,000 bytes; not
 * persisted, as in bitcoind. */
uint64_t wallet_pay_fee_rate(const struct wallet *w);
void wallet_set_pay_fee_rate(struct wallet *w, uint64_t rate);

/* ---- The loaded wallets of a node ---- */

struct wallets *wallets_new(const struct chain_params *params, const char *walletdir);
/* Writes each wallet's last synced block, unloads all, detaches from the
 * chain. */
void wallets_free(struct wallets *ws);
const struct chain_params *wallets_params(const struct wallets *ws);
const char *wallets_dir(const struct wallets *ws);

/* True when <walletdir>/<name>/wallet.dat exists. */
bool wallets_exists(const struct wallets *ws, const char *name);
bool wallets_create(struct wallets *ws, const char *name, const char *passphrase, char *err,
                    size_t errlen) WARN_UNUSED;
bool wallets_load(struct wallets *ws, const char *name, char *err, size_t errlen)
    WARN_UNUSED;
bool wallets_unload(struct wallets *ws, const char *name, char *err, size_t errlen)
    WARN_UNUSED;
/* name NULL: the only loaded wallet, or NULL when none or several are. */
struct wallet *wallets_get(const struct wallets *ws, const char *name);
size_t wallets_count(const struct wallets *ws);
struct wallet *wallets_at(const struct wallets *ws, size_t i);
/* Which loaded wallet holds this key. */
bool wallets_find_key(const struct wallets *ws, const uint8_t pub[PUBKEY_SIZE], struct wallet **w)
    WARN_UNUSED;
/* Names of the wallets in the wallet directory (the caller frees the array
 * and each name). */
char **wallets_list_dir(const struct wallets *ws, size_t *n);

/* The node's wallet fee rate (-walletfeerate), units per 1,000 bytes. */
void wallets_set_fee_rate(struct wallets *ws, uint64_t rate);
uint64_t wallets_fee_rate(const struct wallets *ws);

/* The wallets to load at start (<walletdir>/.load_on_startup, one name a
 * line): set or clear one name, or load them all (skipping missing ones with
 * a log line). */
bool wallets_set_load_on_startup(struct wallets *ws, const char *name, bool on, char *err,
                                 size_t errlen) WARN_UNUSED;
bool wallets_load_startup(struct wallets *ws, char *err, size_t errlen)
    WARN_UNUSED;

/* Connects the wallets to the chain and mempool through the interface node/
 * fills in (wallet/chain_iface.h), which must outlive them: listens to it,
 * brings each wallet up to the tip (from its last synced block, walking back
 * to the fork point when that block left the active chain), and resubmits
 * its sent-but-unconfirmed transactions (marking those that can no longer be
 * valid as abandoned).  Wallets loaded later are synced the same way. */
bool wallets_attach(struct wallets *ws, const struct wallet_chain *chain, char *err, size_t errlen)
    WARN_UNUSED;
/* The chain interface the wallets were attached to (NULL before). */
const struct wallet_chain *wallets_chain(const struct wallets *ws);
/* Rescans the active chain from a height for one wallet (after an import). */
bool wallets_rescan(struct wallets *ws, struct wallet *w, uint64_t from_height, char *err,
                    size_t errlen) WARN_UNUSED;

#endif
