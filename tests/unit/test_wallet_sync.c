/* The wallets attached to a real chain and mempool on a temporary data
 * directory: blocks produced with the wallet's validator keys (signatures
 * and RANDAO reveals), a sent transaction confirmed, unconfirmed by a
 * reorganization and confirmed again, a wallet loaded after blocks it missed
 * (rescan), a restart (resubmission of unconfirmed sends, abandonment of
 * those that can no longer be valid), a wallet whose last synced block
 * left the active chain while it was unloaded (walk back to the fork), and
 * a crash in the middle of a reorganization back to a branch seen before,
 * and sends the mempool refuses, which leave no record. */
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/params.h"
#include "consensus/stakingtx.h"
#include "state/chain.h"
#include "state/mempool.h"
#include "node/staker.h"
#include "node/wallet_chain.h"
#include "wallet/internal.h"
#include "wallet/wallet.h"
#include "wallet/walletdb.h"
#include "tests/arena_fixture.h"

#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/test_util.h"

static struct chain_params params;
static uint8_t vsec[REGTEST_VALIDATORS][SECKEY_SIZE];
static uint8_t vpub[REGTEST_VALIDATORS][PUBKEY_SIZE];
static char datadir[256], walletdir[300];
static char err[512];

static struct chain *c;
static struct mempool *mp;
static struct node_wallet_chain wc;
static struct wallets *ws;

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    ck_assert(sodium_init() >= 0);
    ck_assert(params_init(&params, NET_REGTEST));
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++) {
        params_regtest_secret(i, vsec[i]);
        ck_assert(key_pubkey(vpub[i], vsec[i]));
    }
    snprintf(datadir, sizeof(datadir), "%s/fml-test-wsync-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(datadir));
    snprintf(walletdir, sizeof(walletdir), "%s/wallets", datadir);
    ck_assert_int_eq(mkdir(walletdir, 0700), 0);
    wallet_set_kdf_limits(1, 8192);
}

static void teardown(void)
{
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", datadir);
    ck_assert_int_eq(system(cmd), 0);
    params_free(&params);
}

/* Opens the chain, the mempool and the wallets, loading (or creating) the
 * named wallets, then attaches them. */
static void start(const char *const *names, size_t n)
{
    c = chain_open(&params, datadir, false, err, sizeof(err));
    ck_assert_msg(c != NULL, "chain_open: %s", err);
    mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    ck_assert_ptr_nonnull(mp);
    ws = wallets_new(&params, walletdir);
    ck_assert_ptr_nonnull(ws);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(wallets_load(ws, names[i], err, sizeof(err)) ||
                          wallets_create(ws, names[i], NULL, err, sizeof(err)),
                      "%s: %s", names[i], err);
    node_wallet_chain_init(&wc, c, mp);
    ck_assert_msg(wallets_attach(ws, &wc.iface, err, sizeof(err)), "attach: %s", err);
}

static void stop(void)
{
    wallets_free(ws);
    mempool_free(mp);
    chain_close(c);
    ws = NULL;
    mp = NULL;
    c = NULL;
}

/* One block by whichever wallet validator key leads the next slot. */
static void produce(void)
{
    uint64_t slot;
    uint8_t pub[PUBKEY_SIZE], hash[HASH_SIZE];
    struct validation v;
    ck_assert(staker_next_slot(ws, c, chain_tip(c)->hdr.slot + 1, 1000, &slot, pub));
    ck_assert_msg(staker_produce(ws, c, mp, pub, slot, hash, &v), "produce: %s %s", v.reason,
                  v.detail);
    ck_assert_mem_eq(chain_tip(c)->hash, hash, HASH_SIZE);
}

/* A TRANSFER from validator `from`, signed by the wallet that holds it. */
static void transfer(struct tx *tx, struct wallet *signer, unsigned from,
                     const uint8_t to[PUBKEY_SIZE], uint64_t amount, uint64_t nonce, uint64_t fee)
{
    struct transfer t = {.amount = amount};
    struct wbuf w;
    tx_init(tx);
    tx->version = TX_VERSION;
    tx->type = TX_TRANSFER;
    memcpy(tx->sender, vpub[from], PUBKEY_SIZE);
    tx->nonce = nonce;
    tx->fee = fee;
    memcpy(t.to, to, PUBKEY_SIZE);
    wbuf_init(&w);
    transfer_encode(&t, &w);
    ck_assert(tx_set_payload(tx, w.data, w.len));
    wbuf_free(&w);
    ck_assert_msg(wallet_sign_tx(signer, tx, params.genesis_hash), "%s", wallet_error(signer));
}

static void submit(const struct tx *tx)
{
    struct validation v;
    val_init(&v);
    ck_assert_msg(mempool_add(mp, tx, 0, &v), "mempool: %s %s", v.reason, v.detail);
}

/* Back to the mempool after a disconnection.  The mempool re-adds the
 * transactions of disconnected blocks when the chain reports the new tip,
 * which chain_invalidate does not do (yet): do it here when needed. */
static void readd(const struct tx *tx)
{
    uint8_t txid[HASH_SIZE];
    tx_txid(tx, txid);
    if (!mempool_has(mp, txid))
        submit(tx);
}

static const struct wallet_tx *find(struct wallet *w, const struct tx *tx)
{
    uint8_t txid[HASH_SIZE];
    tx_txid(tx, txid);
    const struct wallet_tx *t = wallet_tx_find(w, txid);
    ck_assert_ptr_nonnull(t);
    return t;
}

/* Confirmed in a block of the active chain, at that block's height. */
#define assert_confirmed(w, tx) assert_confirmed_at(w, tx, __LINE__)
static void assert_confirmed_at(struct wallet *w, const struct tx *tx, int line)
{
    const struct wallet_tx *t = find(w, tx);
    ck_assert_msg(t->state == WALLET_TX_CONFIRMED, "line %d: state %d", line, t->state);
    const struct block_index *bi = chain_lookup(c, t->block_hash);
    ck_assert_ptr_nonnull(bi);
    ck_assert(chain_contains(c, bi));
    ck_assert_uint_eq(bi->hdr.height, t->block_height);
}

static void assert_synced(struct wallet *w)
{
    uint8_t hash[HASH_SIZE];
    uint64_t height;
    ck_assert(wallet_best_block(w, hash, &height));
    ck_assert_uint_eq(height, chain_height(c));
    ck_assert_mem_eq(hash, chain_tip(c)->hash, HASH_SIZE);
}

static const char *const both[] = {"validators", "user"};

START_TEST(test_sync)
{
    struct tx tx1, tx2, tx3, tx4, tx5, tx5b;
    uint8_t a[PUBKEY_SIZE];
    start(both, 2);
    struct wallet *vw = wallets_get(ws, "validators"), *uw = wallets_get(ws, "user");
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++)
        ck_assert(wallet_import_validator_key(vw, vsec[i], 0, REGTEST_ONION_LENGTH, "v", err,
                                              sizeof(err)));
    for (int i = 0; i < 3; i++)
        produce();
    assert_synced(vw);
    assert_synced(uw);
    ck_assert(wallet_new_key(uw, "mine", a, err, sizeof(err)));

    /* A send, recorded first, confirmed in the next block on both sides. */
    transfer(&tx1, vw, 0, a, 10 * COIN, mempool_next_nonce(mp, vpub[0]), 2000);
    ck_assert(wallet_record_sent(vw, &tx1, 1, "first", "", err, sizeof(err)));
    submit(&tx1);
    produce();
    assert_confirmed(vw, &tx1);
    assert_confirmed(uw, &tx1);
    ck_assert_uint_eq(find(uw, &tx1)->block_height, chain_height(c));
    assert_synced(uw);

    /* A reorganization takes it out and puts it back in another block. */
    uint8_t old[HASH_SIZE];
    struct validation v;
    memcpy(old, chain_tip(c)->hash, HASH_SIZE);
    ck_assert(chain_invalidate(c, old, &v));
    ck_assert_int_eq(find(uw, &tx1)->state, WALLET_TX_UNCONFIRMED);
    ck_assert_int_eq(find(vw, &tx1)->state, WALLET_TX_UNCONFIRMED);
    assert_synced(uw);
    readd(&tx1);
    produce();
    assert_confirmed(uw, &tx1);
    ck_assert(memcmp(find(uw, &tx1)->block_hash, old, HASH_SIZE) != 0);
    ck_assert_str_eq(find(vw, &tx1)->comment, "first");

    /* Blocks the user wallet misses while unloaded are rescanned. */
    ck_assert(wallets_unload(ws, "user", err, sizeof(err)));
    transfer(&tx2, vw, 1, a, 5 * COIN, mempool_next_nonce(mp, vpub[1]), 2000);
    submit(&tx2);
    produce();
    produce();
    assert_confirmed(vw, &tx2); /* seen in a block though never recorded as sent */
    ck_assert(wallets_load(ws, "user", err, sizeof(err)));
    uw = wallets_get(ws, "user");
    assert_confirmed(uw, &tx2);
    assert_synced(uw);

    /* Sent but not in the mempool at a restart: resubmitted; one whose
     * nonce is already used: abandoned. */
    transfer(&tx3, vw, 2, a, COIN, mempool_next_nonce(mp, vpub[2]), 2000);
    ck_assert(wallet_record_sent(vw, &tx3, 2, "", "", err, sizeof(err)));
    transfer(&tx4, vw, 0, a, COIN, 0, 2000);
    ck_assert(wallet_record_sent(vw, &tx4, 3, "", "", err, sizeof(err)));
    stop();
    start(both, 2);
    vw = wallets_get(ws, "validators");
    uw = wallets_get(ws, "user");
    uint8_t txid[HASH_SIZE];
    tx_txid(&tx3, txid);
    ck_assert(mempool_has(mp, txid));
    ck_assert_int_eq(find(vw, &tx4)->state, WALLET_TX_ABANDONED);
    assert_confirmed(uw, &tx1);
    assert_confirmed(uw, &tx2);
    assert_synced(vw);
    produce();
    assert_confirmed(vw, &tx3);
    assert_confirmed(uw, &tx3);

    /* A send replaced in the mempool by another with the same nonce: once
     * that one is mined, the first is abandoned. */
    uint64_t nonce = mempool_next_nonce(mp, vpub[3]);
    transfer(&tx5, vw, 3, a, COIN, nonce, 2000);
    ck_assert(wallet_record_sent(vw, &tx5, 4, "", "", err, sizeof(err)));
    submit(&tx5);
    transfer(&tx5b, vw, 3, vpub[0], COIN, nonce, 20000);
    submit(&tx5b);
    produce();
    assert_confirmed(vw, &tx5b);
    ck_assert_int_eq(find(vw, &tx5)->state, WALLET_TX_ABANDONED);

    /* The user wallet's last block leaves the active chain while it is
     * unloaded (the fork takes out the block of tx3): the load walks back
     * to the fork point and finds tx3 again in the new branch. */
    const struct wallet_tx *t3 = find(uw, &tx3);
    uint64_t fork = t3->block_height - 1;
    memcpy(old, t3->block_hash, HASH_SIZE);
    ck_assert(wallets_unload(ws, "user", err, sizeof(err)));
    ck_assert(chain_invalidate(c, old, &v));
    ck_assert_uint_eq(chain_height(c), fork);
    ck_assert_int_eq(find(vw, &tx3)->state, WALLET_TX_UNCONFIRMED);
    readd(&tx3);
    readd(&tx5b);
    for (int i = 0; i < 3; i++)
        produce();
    ck_assert(wallets_load(ws, "user", err, sizeof(err)));
    uw = wallets_get(ws, "user");
    assert_synced(uw);
    assert_confirmed(uw, &tx3);
    ck_assert(memcmp(find(uw, &tx3)->block_hash, old, HASH_SIZE) != 0);
    assert_confirmed(uw, &tx1);
    assert_confirmed(vw, &tx5b);
    ck_assert_int_eq(find(vw, &tx5)->state, WALLET_TX_ABANDONED);
    stop();

    tx_free(&tx1);
    tx_free(&tx2);
    tx_free(&tx3);
    tx_free(&tx4);
    tx_free(&tx5);
    tx_free(&tx5b);
}
END_TEST

/* A wallet created after the chain grew starts at the tip (nothing to
 * scan); an imported key with rescan finds its history. */
START_TEST(test_import_rescan)
{
    struct tx tx;
    uint8_t a[PUBKEY_SIZE], pub[PUBKEY_SIZE];
    static const char *const vals[] = {"validators"};
    start(vals, 1);
    struct wallet *vw = wallets_get(ws, "validators");
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++)
        ck_assert(wallet_import_validator_key(vw, vsec[i], 0, REGTEST_ONION_LENGTH, "v", err,
                                              sizeof(err)));
    produce();
    ck_assert(wallet_new_key(vw, "", a, err, sizeof(err)));
    transfer(&tx, vw, 1, a, COIN, mempool_next_nonce(mp, vpub[1]), 2000);
    submit(&tx);
    produce();
    produce();

    ck_assert(wallets_create(ws, "late", NULL, err, sizeof(err)));
    struct wallet *late = wallets_get(ws, "late");
    uint64_t birth;
    ck_assert(wallet_birth_height(late, &birth));
    ck_assert_uint_eq(birth, chain_height(c));
    assert_synced(late);
    ck_assert(wallet_import_key(late, vsec[1], "", true, pub, err, sizeof(err)));
    ck_assert_uint_eq(wallet_tx_count(late), 0);
    ck_assert(wallets_rescan(ws, late, 0, err, sizeof(err)));
    assert_confirmed(late, &tx);
    assert_synced(late);
    stop();
    tx_free(&tx);
}
END_TEST

/* What wallet.dat held when a block of one branch was disconnected: the
 * file as a crash at that instant would leave it. */
static uint8_t crash_hash[HASH_SIZE];
static char crash_copy[400];

static void copy_file(const char *from, const char *to)
{
    char cmd[1000];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
    ck_assert_int_eq(system(cmd), 0);
}

static void on_disconnected_copy(void *arg, const struct block *b, const struct block_index *bi)
{
    char path[400];
    (void)arg;
    (void)b;
    if (memcmp(bi->hash, crash_hash, HASH_SIZE) != 0)
        return;
    snprintf(path, sizeof(path), "%s/validators/wallet.dat", walletdir);
    copy_file(path, crash_copy);
}

/* A crash in the middle of a reorganization back to a branch the wallet had
 * already synced: the last synced block on file must not skip the block that
 * confirms a sent transaction again, or the restart would take the
 * transaction for one whose nonce another used, and abandon it.  Branch B is
 * built on a copy of the data directory and handed to the chain as a peer
 * would, so the wallet sees A give way to a longer B without a lower tip. */
START_TEST(test_crash_mid_reorg)
{
    struct tx tx;
    struct validation v;
    struct block bb[3];
    uint8_t a[PUBKEY_SIZE], a1[HASH_SIZE], b1[HASH_SIZE];
    static const char *const vals[] = {"validators"};
    char path[400], main_dir[sizeof(datadir)], cmd[1400];
    start(vals, 1);
    struct wallet *vw = wallets_get(ws, "validators");
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++)
        ck_assert(wallet_import_validator_key(vw, vsec[i], 0, REGTEST_ONION_LENGTH, "v", err,
                                              sizeof(err)));
    ck_assert(wallet_new_key(vw, "", a, err, sizeof(err)));
    produce();
    produce();
    transfer(&tx, vw, 0, a, COIN, mempool_next_nonce(mp, vpub[0]), 2000);
    ck_assert(wallet_record_sent(vw, &tx, 1, "", "", err, sizeof(err)));
    stop();
    memcpy(main_dir, datadir, sizeof(main_dir));
    snprintf(cmd, sizeof(cmd), "mkdir '%s/b' && cp -r '%s/blocks' '%s/chainstate' '%s/wallets' "
                               "'%s/b/'",
             main_dir, main_dir, main_dir, main_dir, main_dir);
    ck_assert_int_eq(system(cmd), 0);

    /* Branch A: the send confirmed in A1, then A2; A2 is written as the
     * wallet's last synced block (stopping writes it). */
    start(vals, 1);
    readd(&tx);
    produce();
    memcpy(a1, chain_tip(c)->hash, HASH_SIZE);
    produce();
    stop();

    /* Branch B, one block longer, confirming the send in B1. */
    snprintf(datadir, sizeof(datadir), "%.200s/b", main_dir);
    snprintf(walletdir, sizeof(walletdir), "%s/wallets", datadir);
    start(vals, 1);
    readd(&tx);
    for (int i = 0; i < 3; i++) {
        produce();
        ck_assert(chain_read_block(c, chain_tip(c), &bb[i]));
    }
    memcpy(b1, chain_at(c, chain_height(c) - 2)->hash, HASH_SIZE);
    stop();
    memcpy(datadir, main_dir, sizeof(datadir));
    snprintf(walletdir, sizeof(walletdir), "%s/wallets", datadir);

    /* A gives way to B; then back to A, with wallet.dat copied as it is
     * when B1 goes: the file a crash at that instant leaves. */
    start(vals, 1);
    vw = wallets_get(ws, "validators");
    for (int i = 0; i < 3; i++)
        ck_assert_msg(chain_process_block(c, &bb[i], &v), "block %d: %s", i, v.reason);
    ck_assert_mem_eq(chain_at(c, chain_height(c) - 2)->hash, b1, HASH_SIZE);
    assert_confirmed(vw, &tx);
    snprintf(crash_copy, sizeof(crash_copy), "%s/crash.dat", datadir);
    memcpy(crash_hash, b1, HASH_SIZE);
    struct chain_listener l = {.disconnected = on_disconnected_copy};
    chain_add_listener(c, &l);
    ck_assert(chain_invalidate(c, b1, &v));
    ck_assert_mem_eq(chain_at(c, chain_height(c) - 1)->hash, a1, HASH_SIZE);
    stop();

    /* Restart from the file the crash left. */
    snprintf(path, sizeof(path), "%s/validators/wallet.dat", walletdir);
    copy_file(crash_copy, path);
    start(vals, 1);
    vw = wallets_get(ws, "validators");
    assert_synced(vw);
    assert_confirmed(vw, &tx);
    ck_assert_mem_eq(find(vw, &tx)->block_hash, a1, HASH_SIZE);
    stop();
    for (int i = 0; i < 3; i++)
        block_free(&bb[i]);
    tx_free(&tx);
}
END_TEST

/* Disconnecting a block that confirmed several of a wallet's transactions
 * syncs wallet.dat at most twice (the last synced block moved down, then
 * every transaction's new state in one append), not once per transaction;
 * the states are durable: a restart finds them unconfirmed. */
START_TEST(test_disconnect_one_sync)
{
    enum { NTX = 5 };
    struct tx txs[NTX];
    struct validation v;
    uint8_t a[PUBKEY_SIZE], tip[HASH_SIZE];
    static const char *const vals[] = {"validators"};
    start(vals, 1);
    struct wallet *vw = wallets_get(ws, "validators");
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++)
        ck_assert(wallet_import_validator_key(vw, vsec[i], 0, REGTEST_ONION_LENGTH, "v", err,
                                              sizeof(err)));
    ck_assert(wallet_new_key(vw, "", a, err, sizeof(err)));
    produce();
    for (int i = 0; i < NTX; i++) {
        transfer(&txs[i], vw, 0, a, COIN, mempool_next_nonce(mp, vpub[0]), 2000);
        submit(&txs[i]);
    }
    produce();
    memcpy(tip, chain_tip(c)->hash, HASH_SIZE);
    for (int i = 0; i < NTX; i++)
        assert_confirmed(vw, &txs[i]);
    uint64_t before = walletdb_appends;
    ck_assert(chain_invalidate(c, tip, &v));
    ck_assert_uint_le(walletdb_appends - before, 2);
    for (int i = 0; i < NTX; i++)
        ck_assert_int_eq(find(vw, &txs[i])->state, WALLET_TX_UNCONFIRMED);
    stop();
    start(vals, 1);
    vw = wallets_get(ws, "validators");
    for (int i = 0; i < NTX; i++) {
        ck_assert_int_eq(find(vw, &txs[i])->state, WALLET_TX_UNCONFIRMED);
        tx_free(&txs[i]);
    }
    stop();
}
END_TEST

/* At load, a wallet whose file still has transactions confirmed in a block
 * that left the active chain (a crash before the disconnection reached
 * wallet.dat) marks them unconfirmed in one synced append, not one per
 * transaction. */
START_TEST(test_load_unconfirms_one_sync)
{
    enum { NTX = 5 };
    struct tx txs[NTX];
    struct validation v;
    uint8_t a[PUBKEY_SIZE], tip[HASH_SIZE];
    char path[400], saved[400];
    static const char *const vals[] = {"validators"};
    start(vals, 1);
    struct wallet *vw = wallets_get(ws, "validators");
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++)
        ck_assert(wallet_import_validator_key(vw, vsec[i], 0, REGTEST_ONION_LENGTH, "v", err,
                                              sizeof(err)));
    ck_assert(wallet_new_key(vw, "", a, err, sizeof(err)));
    produce();
    for (int i = 0; i < NTX; i++) {
        transfer(&txs[i], vw, 0, a, COIN, mempool_next_nonce(mp, vpub[0]), 2000);
        submit(&txs[i]);
    }
    produce();
    memcpy(tip, chain_tip(c)->hash, HASH_SIZE);
    stop();
    snprintf(path, sizeof(path), "%s/validators/wallet.dat", walletdir);
    snprintf(saved, sizeof(saved), "%s/saved.dat", datadir);
    copy_file(path, saved);

    /* A start with nothing to repair: its appends are the baseline. */
    uint64_t before = walletdb_appends;
    start(vals, 1);
    uint64_t baseline = walletdb_appends - before;
    ck_assert(chain_invalidate(c, tip, &v));
    stop();

    copy_file(saved, path);
    before = walletdb_appends;
    start(vals, 1);
    ck_assert_uint_le(walletdb_appends - before, baseline + 2);
    vw = wallets_get(ws, "validators");
    for (int i = 0; i < NTX; i++) {
        ck_assert_int_eq(find(vw, &txs[i])->state, WALLET_TX_UNCONFIRMED);
        tx_free(&txs[i]);
    }
    stop();
}
END_TEST

/* The size of a wallet's wallet.dat. */
static off_t dat_size(const char *name)
{
    char path[400];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s/wallet.dat", walletdir, name);
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_size;
}

/* Sends the mempool refuses: evidence of a double proposal signed by a key
 * that is not a validator (what any peer can make the node report), and a
 * transfer of more than the account holds.  Neither may leave a record in
 * the wallet, nor any byte in wallet.dat; a send the mempool takes is
 * recorded before the call returns. */
START_TEST(test_rejected_send_no_record)
{
    static const char *const vals[] = {"validators"};
    uint8_t sec[SECKEY_SIZE], txid[HASH_SIZE];
    struct evidence e;
    struct transfer t;
    struct wbuf w;
    start(vals, 1);
    struct wallet *vw = wallets_get(ws, "validators");
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++)
        ck_assert(wallet_import_validator_key(vw, vsec[i], 0, REGTEST_ONION_LENGTH, "v", err,
                                              sizeof(err)));
    produce();
    produce();
    size_t records = wallet_tx_count(vw);
    off_t size = dat_size("validators");

    memset(&e, 0, sizeof(e));
    randombytes_buf(sec, sizeof(sec));
    e.a.version = BLOCK_VERSION;
    e.a.height = chain_height(c) + 1;
    memcpy(e.a.prev, chain_tip(c)->hash, HASH_SIZE);
    e.a.slot = chain_tip(c)->hdr.slot + 1;
    e.a.time = params_slot_start(&params, e.a.slot);
    ck_assert(key_pubkey(e.a.proposer, sec));
    e.b = e.a;
    wbuf_init(&w);
    for (int i = 0; i < 20; i++) {
        e.b.state_root[0] = (uint8_t)(i + 1);
        ck_assert(header_sign(&e.a, params.genesis_hash, sec, NULL));
        ck_assert(header_sign(&e.b, params.genesis_hash, sec, NULL));
        wbuf_reset(&w);
        evidence_encode(&e, &w);
        ck_assert(!staker_submit(ws, c, mp, TX_EVIDENCE, &w, txid, err, sizeof(err)));
        ck_assert_msg(strstr(err, "bad-evidence-validator"), "%s", err);
    }
    ck_assert_uint_eq(wallet_tx_count(vw), records);
    ck_assert_int_eq(dat_size("validators"), size);
    ck_assert_uint_eq(mempool_count(mp), 0);

    /* A transfer of more than the largest account holds. */
    memcpy(t.to, vpub[1], PUBKEY_SIZE);
    t.amount = 1000000000 * COIN;
    wbuf_reset(&w);
    transfer_encode(&t, &w);
    ck_assert(!staker_submit(ws, c, mp, TX_TRANSFER, &w, txid, err, sizeof(err)));
    ck_assert_msg(strstr(err, "rejected"), "%s", err);
    ck_assert_uint_eq(wallet_tx_count(vw), records);
    ck_assert_int_eq(dat_size("validators"), size);

    /* One the mempool takes is in the wallet (and on disk) on return. */
    t.amount = COIN;
    wbuf_reset(&w);
    transfer_encode(&t, &w);
    ck_assert_msg(staker_submit(ws, c, mp, TX_TRANSFER, &w, txid, err, sizeof(err)), "%s", err);
    ck_assert(mempool_has(mp, txid));
    ck_assert_uint_eq(wallet_tx_count(vw), records + 1);
    ck_assert_ptr_nonnull(wallet_tx_find(vw, txid));
    ck_assert_int_gt(dat_size("validators"), size);
    wbuf_free(&w);
    stop();

    /* And still after a restart. */
    start(vals, 1);
    vw = wallets_get(ws, "validators");
    ck_assert_uint_eq(wallet_tx_count(vw), records + 1);
    ck_assert_ptr_nonnull(wallet_tx_find(vw, txid));
    stop();
}
END_TEST

/* A transaction signed with a validator's secret, into the mempool. */
static void send_signed(unsigned from, uint8_t type, const struct wbuf *pl, uint8_t txid[HASH_SIZE])
{
    struct tx tx;
    tx_init(&tx);
    tx.type = type;
    tx.nonce = mempool_next_nonce(mp, vpub[from]);
    tx.fee = 100000;
    memcpy(tx.sender, vpub[from], PUBKEY_SIZE);
    ck_assert(tx_set_payload(&tx, pl->data, pl->len));
    ck_assert(tx_sign(&tx, params.genesis_hash, vsec[from], NULL));
    submit(&tx);
    if (txid)
        tx_txid(&tx, txid);
    tx_free(&tx);
}

static bool pooled_reveal(uint8_t txid[HASH_SIZE])
{
    size_t n;
    bool found = false;
    const struct mempool_entry **e = mempool_entries(mp, &n);
    for (size_t i = 0; e && i < n; i++)
        if (e[i]->tx.type == TX_ARENA_SUBMIT_REVEAL) {
            memcpy(txid, e[i]->txid, HASH_SIZE);
            found = true;
        }
    free(e);
    return found;
}

static struct wallet_arena_operator arena_op(const uint8_t task[HASH_SIZE], unsigned who)
{
    struct wallet_arena_operator op;
    struct chain_snapshot *s = wc.iface.snapshot(wc.iface.ctx);
    ck_assert_ptr_nonnull(s);
    ck_assert(wc.iface.arena_operator(s, task, vpub[who], &op));
    wc.iface.snapshot_free(s);
    return op;
}

/* The automatic reveal of a committed submission leaves the mempool before
 * a block takes it (evicted by better-paying transactions, as anyone can
 * make happen by filling the pool): the wallet must send it again, not wait
 * for ever on a transaction no node holds while the trainer is slashed. */
START_TEST(test_arena_reveal_sent_again_when_dropped)
{
    static const char *const vals[] = {"validators"};
    const int32_t weights[4] = {65536, -32768, 1000, 7};
    uint8_t task[HASH_SIZE], salt[32], commitment[HASH_SIZE], txid[HASH_SIZE];
    struct wbuf w;
    start(vals, 1);
    struct wallet *vw = wallets_get(ws, "validators");
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++)
        ck_assert(wallet_import_validator_key(vw, vsec[i], 0, REGTEST_ONION_LENGTH, "v", err,
                                              sizeof(err)));
    produce();
    struct arena_task_params tp = fixture_arena_task(10 * COIN);
    wbuf_init(&w);
    fixture_arena_create_payload(&w, &tp);
    send_signed(0, TX_ARENA_TASK_CREATE, &w, task);
    produce();
    const uint64_t submit_end = chain_height(c) + tp.submit_blocks;
    wbuf_reset(&w);
    fixture_arena_stake_payload(&w, task, ARENA_ROLE_TRAINER, 10 * COIN);
    send_signed(1, TX_ARENA_STAKE, &w, NULL);
    randombytes_buf(salt, sizeof(salt));
    ck_assert(fixture_arena_sub_commitment(commitment, task, vpub[1], weights, 4, salt));
    wbuf_reset(&w);
    fixture_arena_commit_payload(&w, task, commitment);
    send_signed(1, TX_ARENA_SUBMIT_COMMIT, &w, NULL);
    /* What arenasubmit keeps: salt | n | weights. */
    uint8_t secret[32 + 4 + 16];
    memcpy(secret, salt, 32);
    write_le32(secret + 32, 4);
    fixture_arena_weight_bytes(secret + 36, weights, 4);
    ck_assert_msg(wallet_arena_put(vw, WALLET_ARENA_SUBMIT, task, vpub[1], chain_height(c), secret,
                                   sizeof(secret), err, sizeof(err)),
                  "%s", err);
    wbuf_free(&w);
    produce();
    ck_assert(arena_op(task, 1).committed);
    while (chain_height(c) < submit_end)
        produce();
    /* The tip at submit_end: the wallet sent the reveal; it is dropped. */
    ck_assert_msg(pooled_reveal(txid), "no reveal sent at the end of the submit window");
    mempool_remove(mp, txid);
    ck_assert(!pooled_reveal(txid));
    produce();
    ck_assert(!arena_op(task, 1).revealed);
    ck_assert_msg(pooled_reveal(txid), "the dropped reveal was not sent again (%llu blocks left)",
                  (unsigned long long)(submit_end + tp.reveal_blocks - chain_height(c)));
    produce();
    ck_assert(arena_op(task, 1).revealed);
    stop();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("wallet_sync");
    TCase *tc = tcase_create("wallet_sync");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sync);
    tcase_add_test(tc, test_import_rescan);
    tcase_add_test(tc, test_crash_mid_reorg);
    tcase_add_test(tc, test_disconnect_one_sync);
    tcase_add_test(tc, test_load_unconfirms_one_sync);
    tcase_add_test(tc, test_rejected_send_no_record);
    tcase_add_test(tc, test_arena_reveal_sent_again_when_dropped);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
