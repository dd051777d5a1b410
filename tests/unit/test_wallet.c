/* The wallet: wallet.dat round trips, encryption (wrong passphrase, unlock,
 * lock, timeout, encryptwallet, passphrase change, no secret in the file or
 * the log), recovery from a torn last record at every byte offset, refusal
 * of a damaged middle record and of another network's wallet, import and
 * dump, RANDAO reveals against the regtest genesis commitments, signing,
 * the transaction history, compaction and the set of loaded wallets.
 *
 * Each test works in its own temporary directory.  Argon2id runs at its
 * minimum limits (wallet_set_kdf_limits) so the suite stays fast. */
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/arena.h"
#include "consensus/bech32.h"
#include "consensus/block.h"
#include "consensus/market.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "consensus/tx.h"
#include "util/log.h"
#include "util/time.h"
#include "wallet/internal.h"
#include "wallet/wallet.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/test_util.h"

static struct chain_params regtest, testnet;
static uint8_t vsec[REGTEST_VALIDATORS][SECKEY_SIZE];
static uint8_t vpub[REGTEST_VALIDATORS][PUBKEY_SIZE];
static char dir[256];
static char err[512];

#define PASS "correct horse battery staple"

static void setup_once(void)
{
    if (sodium_init() < 0 || !params_init(&regtest, NET_REGTEST) ||
        !params_init(&testnet, NET_TEST)) {
        fprintf(stderr, "setup failed\n");
        exit(EXIT_FAILURE);
    }
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++) {
        params_regtest_secret(i, vsec[i]);
        if (!key_pubkey(vpub[i], vsec[i]))
            exit(EXIT_FAILURE);
    }
    wallet_set_kdf_limits(1, 8192);
}

/* A fresh directory per test (tests run in forked children). */
static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/fml-test-wallet-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    err[0] = '\0';
}

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[1024];
            snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void teardown(void)
{
    rm_rf(dir);
}

static void wallet_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s/wallet.dat", dir, name);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    uint8_t *data = malloc((size_t)st.st_size + 1);
    ck_assert_ptr_nonnull(data);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    *len = fread(data, 1, (size_t)st.st_size, f);
    ck_assert_uint_eq(*len, (size_t)st.st_size);
    fclose(f);
    return data;
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static bool contains(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

static uint64_t file_size(const char *name)
{
    char path[512];
    struct stat st;
    wallet_path(path, sizeof(path), name);
    ck_assert_int_eq(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static struct wallet *create(const char *name, const char *pass)
{
    struct wallet *w = wallet_create(&regtest, dir, name, pass, err, sizeof(err));
    ck_assert_msg(w != NULL, "create %s: %s", name, err);
    return w;
}

static struct wallet *load(const char *name)
{
    struct wallet *w = wallet_load(&regtest, dir, name, err, sizeof(err));
    ck_assert_msg(w != NULL, "load %s: %s", name, err);
    return w;
}

static void new_key(struct wallet *w, const char *label, uint8_t pub[PUBKEY_SIZE])
{
    ck_assert_msg(wallet_new_key(w, label, pub, err, sizeof(err)), "new key: %s", err);
}

/* A TRANSFER from `from` (signed with sec when given) to `to`. */
static void make_transfer(struct tx *tx, const uint8_t from[PUBKEY_SIZE],
                          const uint8_t to[PUBKEY_SIZE], uint64_t amount, uint64_t nonce,
                          const uint8_t *sec)
{
    struct transfer t = {.amount = amount};
    struct wbuf w;
    tx_init(tx);
    tx->version = TX_VERSION;
    tx->type = TX_TRANSFER;
    memcpy(tx->sender, from, PUBKEY_SIZE);
    tx->nonce = nonce;
    tx->fee = 1550;
    memcpy(t.to, to, PUBKEY_SIZE);
    wbuf_init(&w);
    transfer_encode(&t, &w);
    ck_assert(tx_set_payload(tx, w.data, w.len));
    wbuf_free(&w);
    if (sec)
        ck_assert(tx_sign(tx, regtest.genesis_hash, sec, NULL));
}

/* ---- round trips ---- */

START_TEST(test_create_load_round_trip)
{
    uint8_t a[PUBKEY_SIZE], b[PUBKEY_SIZE], c[PUBKEY_SIZE], pub[PUBKEY_SIZE];
    struct wallet_key_info k;
    struct wallet *w = create("alpha", NULL);
    ck_assert(!wallet_is_encrypted(w));
    ck_assert(!wallet_is_locked(w));
    new_key(w, "savings", a);
    new_key(w, "", b);
    ck_assert(wallet_import_key(w, vsec[2], "imported", false, pub, err, sizeof(err)));
    ck_assert_mem_eq(pub, vpub[2], PUBKEY_SIZE);
    new_key(w, "last", c);
    ck_assert(wallet_set_label(w, b, "renamed", err, sizeof(err)));
    ck_assert(wallet_import_validator_key(w, vsec[0], 3, 5000, "validator", err, sizeof(err)));
    uint64_t size = wallet_file_size(w);
    wallet_free(w);

    w = load("alpha");
    ck_assert_uint_eq(wallet_file_size(w), size);
    ck_assert_uint_eq(wallet_key_count(w), 5);
    const uint8_t *order[5] = {a, b, vpub[2], c, vpub[0]};
    const char *labels[5] = {"savings", "renamed", "imported", "last", "validator"};
    for (size_t i = 0; i < 5; i++) {
        ck_assert(wallet_key_at(w, i, &k));
        ck_assert_mem_eq(k.pub, order[i], PUBKEY_SIZE);
        ck_assert_str_eq(k.label, labels[i]);
        ck_assert_int_eq(k.validator, i == 4);
    }
    ck_assert(!wallet_key_at(w, 5, &k));
    ck_assert(wallet_key_info(w, vpub[0], &k));
    ck_assert_uint_eq(k.onion_generation, 3);
    ck_assert_uint_eq(k.onion_length, 5000);
    uint8_t sec[SECKEY_SIZE];
    ck_assert(wallet_dump_key(w, vpub[2], sec, err, sizeof(err)));
    ck_assert_mem_eq(sec, vsec[2], SECKEY_SIZE);
    /* Generated keys carry secrets that match their public keys. */
    ck_assert(wallet_dump_key(w, a, sec, err, sizeof(err)));
    ck_assert(key_pubkey(pub, sec));
    ck_assert_mem_eq(pub, a, PUBKEY_SIZE);
    wallet_free(w);
}
END_TEST

START_TEST(test_names)
{
    const char *bad[] = {"", ".", "..", "../x", "a/b", ".hidden", "sp ace", "x\n",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!wallet_name_valid(bad[i]), "accepted \"%s\"", bad[i]);
        ck_assert(wallet_create(&regtest, dir, bad[i], NULL, err, sizeof(err)) == NULL);
        ck_assert(wallet_load(&regtest, dir, bad[i], err, sizeof(err)) == NULL);
    }
    const char *good[] = {"a", "default", "My_Wallet-2.0", "-x",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_msg(wallet_name_valid(good[i]), "refused \"%s\"", good[i]);
        wallet_free(create(good[i], NULL));
    }
    /* Creating twice never overwrites. */
    uint8_t pub[PUBKEY_SIZE];
    struct wallet *w = load("a");
    new_key(w, "", pub);
    wallet_free(w);
    ck_assert(wallet_create(&regtest, dir, "a", NULL, err, sizeof(err)) == NULL);
    ck_assert_msg(strstr(err, "already exists") != NULL, "%s", err);
    w = load("a");
    ck_assert(wallet_has_key(w, pub));
    /* A loaded wallet cannot be loaded a second time. */
    ck_assert(wallet_load(&regtest, dir, "a", err, sizeof(err)) == NULL);
    ck_assert_msg(strstr(err, "in use") != NULL, "%s", err);
    wallet_free(w);
    ck_assert(wallet_load(&regtest, dir, "missing", err, sizeof(err)) == NULL);
    ck_assert_msg(strstr(err, "does not exist") != NULL, "%s", err);
}
END_TEST

START_TEST(test_other_network_refused)
{
    struct wallet *w = wallet_create(&testnet, dir, "t", NULL, err, sizeof(err));
    ck_assert_msg(w != NULL, "%s", err);
    wallet_free(w);
    ck_assert(wallet_load(&regtest, dir, "t", err, sizeof(err)) == NULL);
    ck_assert_msg(strstr(err, "belongs to network \"test\"") != NULL, "%s", err);
    w = wallet_load(&testnet, dir, "t", err, sizeof(err));
    ck_assert_msg(w != NULL, "%s", err);
    wallet_free(w);
}
END_TEST

START_TEST(test_import_dump)
{
    uint8_t pub[PUBKEY_SIZE], sec[SECKEY_SIZE], zero[SECKEY_SIZE] = {0}, order[SECKEY_SIZE];
    struct wallet *w = create("imp", NULL);
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++) {
        ck_assert(wallet_import_key(w, vsec[i], "", false, pub, err, sizeof(err)));
        ck_assert(wallet_dump_key(w, vpub[i], sec, err, sizeof(err)));
        ck_assert_mem_eq(sec, vsec[i], SECKEY_SIZE);
    }
    /* Importing again changes nothing on disk. */
    uint64_t size = wallet_file_size(w);
    ck_assert(wallet_import_key(w, vsec[1], NULL, false, pub, err, sizeof(err)));
    ck_assert_uint_eq(wallet_file_size(w), size);
    ck_assert_uint_eq(wallet_key_count(w), REGTEST_VALIDATORS);
    /* Invalid secrets: zero and the curve order. */
    test_unhex_n(order, SECKEY_SIZE,
                 "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    ck_assert(!wallet_import_key(w, zero, "", false, pub, err, sizeof(err)));
    ck_assert(!wallet_import_key(w, order, "", false, pub, err, sizeof(err)));
    ck_assert_str_eq(err, "Invalid private key");
    /* An unknown key: the message names the address, never a secret. */
    uint8_t other[PUBKEY_SIZE];
    struct wallet *w2 = create("other", NULL);
    new_key(w2, "", other);
    ck_assert(!wallet_dump_key(w, other, sec, err, sizeof(err)));
    ck_assert_msg(strstr(err, "is not known") != NULL, "%s", err);
    wallet_free(w2);
    wallet_free(w);
    w = load("imp");
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++) {
        ck_assert(wallet_dump_key(w, vpub[i], sec, err, sizeof(err)));
        ck_assert_mem_eq(sec, vsec[i], SECKEY_SIZE);
    }
    wallet_free(w);
}
END_TEST

/* ---- encryption ---- */

START_TEST(test_encrypted_wallet)
{
    uint8_t pub[PUBKEY_SIZE], sec[SECKEY_SIZE];
    struct tx tx;
    struct validation v;
    struct wallet *w = create("enc", PASS);
    ck_assert(wallet_is_encrypted(w));
    ck_assert(wallet_is_locked(w));
    ck_assert_uint_eq(wallet_keypool_size(w), WALLET_KEYPOOL_SIZE);
    /* Locked: addresses come from the keypool, nothing can be signed. */
    new_key(w, "pool", pub);
    ck_assert_uint_eq(wallet_keypool_size(w), WALLET_KEYPOOL_SIZE - 1);
    make_transfer(&tx, pub, vpub[1], COIN, 0, NULL);
    ck_assert(!wallet_sign_tx(w, &tx, regtest.genesis_hash));
    ck_assert_msg(strstr(wallet_error(w), "walletpassphrase") != NULL, "%s", wallet_error(w));
    ck_assert(!wallet_dump_key(w, pub, sec, err, sizeof(err)));
    ck_assert(!wallet_import_key(w, vsec[3], "", false, sec, err, sizeof(err)));

    /* A wrong passphrase never unlocks. */
    const char *wrong[] = {"correct horse battery stapl", "Correct horse battery staple",
                           "correct horse battery staple ", "x"};
    for (size_t i = 0; i < 4; i++) {
        ck_assert(!wallet_unlock(w, wrong[i], 60, err, sizeof(err)));
        ck_assert_str_eq(err, "Error: The wallet passphrase entered was incorrect.");
        ck_assert(wallet_is_locked(w));
    }
    ck_assert(!wallet_unlock(w, "", 60, err, sizeof(err)));
    ck_assert(wallet_is_locked(w));

    /* The right one does; signing works; the signature verifies. */
    uint64_t now = 1700000000;
    time_set_mock(now);
    ck_assert_msg(wallet_unlock(w, PASS, 60, err, sizeof(err)), "%s", err);
    ck_assert(!wallet_is_locked(w));
    ck_assert_uint_eq(wallet_unlocked_until(w), now + 60);
    ck_assert_uint_eq(wallet_keypool_size(w), WALLET_KEYPOOL_SIZE); /* refilled */
    ck_assert(wallet_sign_tx(w, &tx, regtest.genesis_hash));
    val_init(&v);
    ck_assert_msg(tx_check(&tx, &regtest, &v), "%s", v.reason);
    ck_assert(wallet_dump_key(w, pub, sec, err, sizeof(err)));
    ck_assert(wallet_import_key(w, vsec[3], "v3", false, sec, err, sizeof(err)));

    /* Locking wipes the master key. */
    wallet_lock(w);
    ck_assert(wallet_is_locked(w));
    ck_assert_ptr_null(w->master);
    ck_assert(!wallet_sign_tx(w, &tx, regtest.genesis_hash));
    {
        uint8_t msg[HASH_SIZE] = {1}, sig[SIG_SIZE];
        ck_assert(!wallet_sign_hash(w, pub, msg, sig));
    }

    /* The timeout relocks (checked lazily). */
    ck_assert(wallet_unlock(w, PASS, 10, err, sizeof(err)));
    time_set_mock(now + 9);
    ck_assert(!wallet_is_locked(w));
    ck_assert(wallet_sign_tx(w, &tx, regtest.genesis_hash));
    time_set_mock(now + 10);
    ck_assert(!wallet_sign_tx(w, &tx, regtest.genesis_hash));
    ck_assert(wallet_is_locked(w));
    ck_assert_ptr_null(w->master);
    ck_assert(wallet_unlock(w, PASS, 0, err, sizeof(err)));
    ck_assert(wallet_is_locked(w));
    time_set_mock(0);
    tx_free(&tx);
    wallet_free(w);

    /* After a reload: still encrypted, locked, the same keys. */
    w = load("enc");
    ck_assert(wallet_is_encrypted(w) && wallet_is_locked(w));
    ck_assert_uint_eq(wallet_keypool_size(w), WALLET_KEYPOOL_SIZE);
    ck_assert(!wallet_unlock(w, "nope", 60, err, sizeof(err)));
    ck_assert(wallet_unlock(w, PASS, 60, err, sizeof(err)));
    ck_assert(wallet_dump_key(w, vpub[3], sec, err, sizeof(err)));
    ck_assert_mem_eq(sec, vsec[3], SECKEY_SIZE);
    struct wallet_key_info k;
    ck_assert(wallet_key_info(w, pub, &k));
    ck_assert_str_eq(k.label, "pool");
    wallet_free(w);
}
END_TEST

START_TEST(test_keypool_runs_out)
{
    uint8_t pub[PUBKEY_SIZE];
    struct wallet *w = create("pool", PASS);
    for (size_t i = 0; i < WALLET_KEYPOOL_SIZE; i++)
        new_key(w, "", pub);
    ck_assert(!wallet_new_key(w, "", pub, err, sizeof(err)));
    ck_assert_msg(strstr(err, "Keypool ran out") != NULL, "%s", err);
    ck_assert(!wallet_keypool_refill(w, 10, err, sizeof(err)));
    ck_assert(wallet_unlock(w, PASS, 60, err, sizeof(err)));
    ck_assert_uint_eq(wallet_keypool_size(w), WALLET_KEYPOOL_SIZE);
    wallet_lock(w);
    new_key(w, "", pub);
    ck_assert_uint_eq(wallet_key_count(w), WALLET_KEYPOOL_SIZE + 1);
    wallet_free(w);
    w = load("pool");
    ck_assert_uint_eq(wallet_key_count(w), WALLET_KEYPOOL_SIZE + 1);
    ck_assert_uint_eq(wallet_keypool_size(w), WALLET_KEYPOOL_SIZE - 1);
    wallet_free(w);
}
END_TEST

/* No secret of an encrypted wallet is anywhere in its file; a plain wallet
 * holds them in the clear (so the search can find what it looks for). */
START_TEST(test_no_secret_in_encrypted_file)
{
    uint8_t pub[PUBKEY_SIZE], secs[6][SECKEY_SIZE];
    char path[512];
    size_t len;
    struct wallet *w = create("plain", NULL);
    ck_assert(wallet_import_key(w, vsec[0], "", false, pub, err, sizeof(err)));
    wallet_free(w);
    wallet_path(path, sizeof(path), "plain");
    uint8_t *data = read_file(path, &len);
    ck_assert(contains(data, len, vsec[0], SECKEY_SIZE));
    free(data);

    w = create("sealed", PASS);
    ck_assert(wallet_unlock(w, PASS, 600, err, sizeof(err)));
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++) {
        ck_assert(wallet_import_key(w, vsec[i], "", false, pub, err, sizeof(err)));
        memcpy(secs[i], vsec[i], SECKEY_SIZE);
    }
    for (unsigned i = 4; i < 6; i++) {
        new_key(w, "", pub);
        ck_assert(wallet_dump_key(w, pub, secs[i], err, sizeof(err)));
    }
    wallet_free(w);
    wallet_path(path, sizeof(path), "sealed");
    data = read_file(path, &len);
    for (unsigned i = 0; i < 6; i++) {
        ck_assert_msg(!contains(data, len, secs[i], SECKEY_SIZE), "secret %u in the file", i);
        /* Not even as hex. */
        char *hex = test_hex(secs[i], SECKEY_SIZE);
        ck_assert(!contains(data, len, hex, 2 * SECKEY_SIZE));
        free(hex);
    }
    ck_assert(!contains(data, len, PASS, strlen(PASS)));
    free(data);
}
END_TEST

static void assert_dir_has_only_wallet(const char *name)
{
    char sub[512];
    struct dirent *e;
    snprintf(sub, sizeof(sub), "%s/%s", dir, name);
    DIR *d = opendir(sub);
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        ck_assert_msg(strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
                          strcmp(e->d_name, "wallet.dat") == 0,
                      "stray file %s", e->d_name);
    closedir(d);
}

START_TEST(test_encryptwallet)
{
    uint8_t a[PUBKEY_SIZE], b[PUBKEY_SIZE], pub[PUBKEY_SIZE], sa[SECKEY_SIZE], sb[SECKEY_SIZE];
    uint8_t sec[SECKEY_SIZE];
    char path[512];
    size_t len;
    struct wallet *w = create("conv", NULL);
    new_key(w, "a", a);
    new_key(w, "b", b);
    ck_assert(wallet_import_key(w, vsec[1], "v1", false, pub, err, sizeof(err)));
    ck_assert(wallet_dump_key(w, a, sa, err, sizeof(err)));
    ck_assert(wallet_dump_key(w, b, sb, err, sizeof(err)));
    ck_assert(!wallet_unlock(w, PASS, 60, err, sizeof(err)));
    ck_assert_msg(strstr(err, "unencrypted") != NULL, "%s", err);
    ck_assert(!wallet_encrypt(w, "", err, sizeof(err)));

    ck_assert_msg(wallet_encrypt(w, PASS, err, sizeof(err)), "%s", err);
    ck_assert(wallet_is_encrypted(w) && wallet_is_locked(w));
    ck_assert(!wallet_encrypt(w, PASS, err, sizeof(err)));
    ck_assert(!wallet_dump_key(w, a, sec, err, sizeof(err)));
    assert_dir_has_only_wallet("conv");
    wallet_path(path, sizeof(path), "conv");
    uint8_t *data = read_file(path, &len);
    ck_assert(!contains(data, len, sa, SECKEY_SIZE));
    ck_assert(!contains(data, len, sb, SECKEY_SIZE));
    ck_assert(!contains(data, len, vsec[1], SECKEY_SIZE));
    free(data);
    wallet_free(w);

    w = load("conv");
    ck_assert(wallet_is_encrypted(w) && wallet_is_locked(w));
    ck_assert_uint_eq(wallet_key_count(w), 3);
    ck_assert(!wallet_unlock(w, "wrong", 60, err, sizeof(err)));
    ck_assert(wallet_unlock(w, PASS, 60, err, sizeof(err)));
    ck_assert(wallet_dump_key(w, a, sec, err, sizeof(err)));
    ck_assert_mem_eq(sec, sa, SECKEY_SIZE);
    ck_assert(wallet_dump_key(w, b, sec, err, sizeof(err)));
    ck_assert_mem_eq(sec, sb, SECKEY_SIZE);
    ck_assert(wallet_dump_key(w, vpub[1], sec, err, sizeof(err)));
    ck_assert_mem_eq(sec, vsec[1], SECKEY_SIZE);
    wallet_lock(w);

    /* Passphrase change: only the new one opens the wallet afterwards. */
    ck_assert(!wallet_change_passphrase(w, "wrong", "new pass", err, sizeof(err)));
    ck_assert_str_eq(err, "Error: The wallet passphrase entered was incorrect.");
    ck_assert(wallet_change_passphrase(w, PASS, "new pass", err, sizeof(err)));
    ck_assert(wallet_is_locked(w));
    ck_assert(!wallet_unlock(w, PASS, 60, err, sizeof(err)));
    ck_assert(wallet_unlock(w, "new pass", 60, err, sizeof(err)));
    wallet_free(w);
    w = load("conv");
    ck_assert(!wallet_unlock(w, PASS, 60, err, sizeof(err)));
    ck_assert(wallet_unlock(w, "new pass", 60, err, sizeof(err)));
    ck_assert(wallet_dump_key(w, a, sec, err, sizeof(err)));
    ck_assert_mem_eq(sec, sa, SECKEY_SIZE);
    wallet_free(w);
    assert_dir_has_only_wallet("conv");
}
END_TEST

/* Keys and passphrases never reach the log, whatever fails. */
START_TEST(test_no_secret_in_log)
{
    char logpath[512];
    uint8_t pub[PUBKEY_SIZE], sec[SECKEY_SIZE];
    size_t len;
    snprintf(logpath, sizeof(logpath), "%s/debug.log", dir);
    ck_assert(log_open(logpath, false));
    ck_assert(log_enable_categories("all"));
    struct wallet *w = create("logged", NULL);
    ck_assert(wallet_import_key(w, vsec[2], "", false, pub, err, sizeof(err)));
    ck_assert(wallet_encrypt(w, PASS, err, sizeof(err)));
    ck_assert(!wallet_unlock(w, "a wrong passphrase", 60, err, sizeof(err)));
    ck_assert(wallet_unlock(w, PASS, 60, err, sizeof(err)));
    ck_assert(wallet_dump_key(w, vpub[2], sec, err, sizeof(err)));
    ck_assert(wallet_change_passphrase(w, PASS, "second passphrase", err, sizeof(err)));
    wallet_free(w);
    w = load("logged");
    wallet_free(w);
    log_close();
    uint8_t *data = read_file(logpath, &len);
    ck_assert_msg(len > 0, "nothing was logged: the test would prove nothing");
    char *hex = test_hex(vsec[2], SECKEY_SIZE);
    ck_assert(!contains(data, len, hex, strlen(hex)));
    ck_assert(!contains(data, len, vsec[2], SECKEY_SIZE));
    ck_assert(!contains(data, len, PASS, strlen(PASS)));
    ck_assert(!contains(data, len, "a wrong passphrase", 18));
    ck_assert(!contains(data, len, "second passphrase", 17));
    free(hex);
    free(data);
}
END_TEST

/* ---- crash safety ---- */

/* Cutting wallet.dat anywhere inside its last record (as a crash during the
 * append would) loses that record only: every earlier one loads, the torn
 * bytes are cut off, and the wallet keeps working. */
START_TEST(test_torn_last_record)
{
    uint8_t keys[4][PUBKEY_SIZE];
    char path[512];
    size_t len;
    struct wallet *w = create("torn", NULL);
    for (int i = 0; i < 3; i++)
        new_key(w, "k", keys[i]);
    uint64_t before = wallet_file_size(w);
    new_key(w, "the last one", keys[3]);
    uint64_t after = wallet_file_size(w);
    wallet_free(w);
    ck_assert_uint_gt(after, before);
    wallet_path(path, sizeof(path), "torn");
    uint8_t *full = read_file(path, &len);
    ck_assert_uint_eq(len, after);

    for (uint64_t cut = before; cut < after; cut++) {
        write_file(path, full, cut);
        w = wallet_load(&regtest, dir, "torn", err, sizeof(err));
        ck_assert_msg(w != NULL, "cut at %llu: %s", (unsigned long long)cut, err);
        ck_assert_uint_eq(wallet_key_count(w), 3);
        for (int i = 0; i < 3; i++)
            ck_assert(wallet_has_key(w, keys[i]));
        ck_assert(!wallet_has_key(w, keys[3]));
        ck_assert_uint_eq(walletdb_torn_bytes(w->db), cut - before);
        ck_assert_uint_eq(wallet_file_size(w), before);
        ck_assert_uint_eq(file_size("torn"), before);
        wallet_free(w);
    }

    /* The tail a crash leaves may also be zeros (size extended, data not
     * written). */
    uint8_t *zeros = calloc(1, after);
    memcpy(zeros, full, before);
    write_file(path, zeros, after);
    free(zeros);
    w = load("torn");
    ck_assert_uint_eq(wallet_key_count(w), 3);
    /* Appends after a recovery land on a record boundary. */
    uint8_t fresh[PUBKEY_SIZE];
    new_key(w, "after", fresh);
    wallet_free(w);
    w = load("torn");
    ck_assert_uint_eq(wallet_key_count(w), 4);
    ck_assert(wallet_has_key(w, fresh));
    ck_assert_uint_eq(walletdb_torn_bytes(w->db), 0);
    wallet_free(w);
    free(full);
}
END_TEST

/* A label record with bytes after the label is refused, and the label it
 * read is freed (under LeakSanitizer a leak fails this test). */
START_TEST(test_label_record_trailing_bytes)
{
    uint8_t pub[PUBKEY_SIZE];
    char path[512];
    size_t len;
    struct wallet *w = create("lbl", NULL);
    new_key(w, "first", pub);
    wallet_free(w);
    wallet_path(path, sizeof(path), "lbl");
    uint8_t *good = read_file(path, &len);

    struct wbuf body, file;
    wbuf_init(&body);
    wbuf_init(&file);
    put_bytes(&body, pub, PUBKEY_SIZE);
    wallet_put_str(&body, "second");
    put_u8(&body, 0);
    put_bytes(&file, good, len);
    walletdb_frame(&file, WREC_LABEL, body.data, body.len);
    ck_assert(!file.failed);
    write_file(path, file.data, file.len);
    ck_assert(wallet_load(&regtest, dir, "lbl", err, sizeof(err)) == NULL);
    ck_assert_msg(strstr(err, "label record") != NULL && strstr(err, "malformed") != NULL, "%s",
                  err);

    /* Without the extra byte the label applies. */
    wbuf_reset(&body);
    wbuf_reset(&file);
    put_bytes(&body, pub, PUBKEY_SIZE);
    wallet_put_str(&body, "second");
    put_bytes(&file, good, len);
    walletdb_frame(&file, WREC_LABEL, body.data, body.len);
    write_file(path, file.data, file.len);
    w = load("lbl");
    wallet_free(w);
    wbuf_free(&body);
    wbuf_free(&file);
    free(good);
}
END_TEST

/* Damage in the middle is not a torn write: the load refuses the file,
 * says so, and leaves it as it was. */
START_TEST(test_corrupt_middle_record)
{
    uint8_t pub[PUBKEY_SIZE];
    char path[512];
    size_t len;
    struct wallet *w = create("bad", NULL);
    uint64_t offs[4];
    for (int i = 0; i < 4; i++) {
        offs[i] = wallet_file_size(w);
        new_key(w, "label", pub);
    }
    wallet_free(w);
    wallet_path(path, sizeof(path), "bad");
    uint8_t *good = read_file(path, &len);
    /* A byte of the second key record's body, of its length field, and of
     * its checksum. */
    uint64_t where[3] = {offs[1] + 20, offs[1] + 5, offs[2] - 3};
    for (int i = 0; i < 3; i++) {
        uint8_t *bad = malloc(len);
        memcpy(bad, good, len);
        bad[where[i]] ^= 0x40;
        write_file(path, bad, len);
        ck_assert(wallet_load(&regtest, dir, "bad", err, sizeof(err)) == NULL);
        ck_assert_msg(strstr(err, "is damaged") != NULL && strstr(err, "backup") != NULL, "%s",
                      err);
        size_t now_len;
        uint8_t *now = read_file(path, &now_len);
        ck_assert_uint_eq(now_len, len);
        ck_assert_mem_eq(now, bad, len);
        free(now);
        free(bad);
    }
    /* A damaged header. */
    uint8_t *bad = malloc(len);
    memcpy(bad, good, len);
    bad[12] ^= 1;
    write_file(path, bad, len);
    ck_assert(wallet_load(&regtest, dir, "bad", err, sizeof(err)) == NULL);
    ck_assert_msg(strstr(err, "header is damaged") != NULL, "%s", err);
    /* Not a wallet at all. */
    write_file(path, (const uint8_t *)"hello", 5);
    ck_assert(wallet_load(&regtest, dir, "bad", err, sizeof(err)) == NULL);
    write_file(path, good, len);
    w = load("bad");
    ck_assert_uint_eq(wallet_key_count(w), 4);
    wallet_free(w);
    free(bad);
    free(good);
}
END_TEST

/* One damaged byte anywhere: inside the last record it is a torn append
 * (that record alone is dropped), anywhere before it the load refuses the
 * file.  Every offset of a small wallet, with a random non-zero XOR. */
START_TEST(test_every_byte_damaged)
{
    uint8_t keys[3][PUBKEY_SIZE];
    char path[512];
    size_t len;
    struct test_rng rng;
    test_rng_seed(&rng, test_seed("test_every_byte_damaged"));
    struct wallet *w = create("flip", NULL);
    new_key(w, "one", keys[0]);
    new_key(w, "two", keys[1]);
    uint64_t last = wallet_file_size(w);
    new_key(w, "three", keys[2]);
    wallet_free(w);
    wallet_path(path, sizeof(path), "flip");
    uint8_t *good = read_file(path, &len);
    uint8_t *bad = malloc(len);
    ck_assert_ptr_nonnull(bad);
    for (size_t off = 0; off < len; off++) {
        memcpy(bad, good, len);
        bad[off] ^= (uint8_t)(1 + test_rand_below(&rng, 255));
        write_file(path, bad, len);
        w = wallet_load(&regtest, dir, "flip", err, sizeof(err));
        if (off >= last) {
            ck_assert_msg(w != NULL, "byte %zu of the last record: %s", off, err);
            ck_assert_uint_eq(wallet_key_count(w), 2);
            ck_assert(!wallet_has_key(w, keys[2]));
            ck_assert_uint_eq(wallet_file_size(w), last);
            wallet_free(w);
        } else {
            ck_assert_msg(w == NULL, "byte %zu: a damaged file loaded", off);
            ck_assert_msg(strstr(err, "damaged") != NULL, "byte %zu: %s", off, err);
        }
    }
    free(bad);
    free(good);
}
END_TEST

/* Superseded records are compacted away; what the file means stays. */
START_TEST(test_compaction)
{
    uint8_t pub[PUBKEY_SIZE];
    char label[32];
    struct wallet *w = create("compact", NULL);
    new_key(w, "start", pub);
    uint64_t peak = 0;
    for (int i = 0; i < 2 * WALLET_COMPACT_MIN + 10; i++) {
        snprintf(label, sizeof(label), "label %d", i);
        ck_assert(wallet_set_label(w, pub, label, err, sizeof(err)));
        if (wallet_file_size(w) > peak)
            peak = wallet_file_size(w);
    }
    ck_assert_uint_lt(wallet_file_size(w), peak / 4);
    wallet_free(w);
    w = load("compact");
    struct wallet_key_info k;
    ck_assert(wallet_key_info(w, pub, &k));
    snprintf(label, sizeof(label), "label %d", 2 * WALLET_COMPACT_MIN + 9);
    ck_assert_str_eq(k.label, label);
    wallet_free(w);
    assert_dir_has_only_wallet("compact");
}
END_TEST

/* ---- RANDAO ---- */

/* Reveal k hashes to reveal k-1; the first hashes to the commitment of the
 * regtest genesis; the onion's innermost layer is the seed itself. */
START_TEST(test_randao_reveals)
{
    struct wallet *w = create("validator", NULL);
    uint8_t r[HASH_SIZE], prev[HASH_SIZE], h[HASH_SIZE], seed[HASH_SIZE];
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++) {
        ck_assert(wallet_import_validator_key(w, vsec[i], 0, REGTEST_ONION_LENGTH, "v", err,
                                              sizeof(err)));
        const struct genesis_validator *gv = NULL;
        for (size_t j = 0; j < regtest.n_validators; j++)
            if (memcmp(regtest.validators[j].pubkey, vpub[i], PUBKEY_SIZE) == 0)
                gv = &regtest.validators[j];
        ck_assert_ptr_nonnull(gv);
        ck_assert(wallet_randao_reveal(w, vpub[i], 0, r));
        ck_assert(randao_check(r, gv->randao_commit));
        randao_onion(h, r, 1);
        ck_assert_mem_eq(h, gv->randao_commit, HASH_SIZE);
    }
    const uint64_t ks[] = {1, 2, 3, 998, 999, 1000, 1001, 1999, 2000, 2001, 54321,
                           REGTEST_ONION_LENGTH - 1001, REGTEST_ONION_LENGTH - 1000,
                           REGTEST_ONION_LENGTH - 2, REGTEST_ONION_LENGTH - 1};
    for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
        ck_assert(wallet_randao_reveal(w, vpub[1], ks[i] - 1, prev));
        ck_assert(wallet_randao_reveal(w, vpub[1], ks[i], r));
        randao_onion(h, r, 1);
        ck_assert_msg(memcmp(h, prev, HASH_SIZE) == 0, "reveal %llu", (unsigned long long)ks[i]);
    }
    randao_onion_seed(seed, vsec[1], 0);
    ck_assert(wallet_randao_reveal(w, vpub[1], REGTEST_ONION_LENGTH - 1, r));
    ck_assert_mem_eq(r, seed, HASH_SIZE);
    ck_assert(!wallet_randao_reveal(w, vpub[1], REGTEST_ONION_LENGTH, r));
    ck_assert_msg(strstr(wallet_error(w), "used up") != NULL, "%s", wallet_error(w));

    /* Re-importing with the same parameters writes nothing; another
     * generation gives another onion. */
    uint64_t size = wallet_file_size(w);
    ck_assert(wallet_import_validator_key(w, vsec[1], 0, REGTEST_ONION_LENGTH, "v", err,
                                          sizeof(err)));
    ck_assert_uint_eq(wallet_file_size(w), size);
    ck_assert(wallet_import_validator_key(w, vsec[1], 1, 10, "v", err, sizeof(err)));
    ck_assert(wallet_randao_reveal(w, vpub[1], 9, r));
    randao_onion_seed(seed, vsec[1], 1);
    ck_assert_mem_eq(r, seed, HASH_SIZE);
    ck_assert(wallet_randao_reveal(w, vpub[1], 0, r));
    randao_onion(h, seed, 9);
    ck_assert_mem_eq(r, h, HASH_SIZE);
    /* A key that is not a validator key, a bad onion length. */
    uint8_t pub[PUBKEY_SIZE];
    new_key(w, "", pub);
    ck_assert(!wallet_randao_reveal(w, pub, 0, r));
    ck_assert(!wallet_import_validator_key(w, vsec[2], 0, 0, "", err, sizeof(err)));
    wallet_free(w);

    /* Parameters survive a reload. */
    w = load("validator");
    ck_assert(wallet_randao_reveal(w, vpub[1], 0, r));
    ck_assert_mem_eq(r, h, HASH_SIZE);
    wallet_free(w);
}
END_TEST

START_TEST(test_randao_locked)
{
    uint8_t r[HASH_SIZE];
    struct wallet *w = create("locked", PASS);
    ck_assert(wallet_unlock(w, PASS, 60, err, sizeof(err)));
    ck_assert(wallet_import_validator_key(w, vsec[0], 0, 5000, "", err, sizeof(err)));
    wallet_lock(w);
    ck_assert(!wallet_randao_reveal(w, vpub[0], 0, r));
    ck_assert(wallet_unlock(w, PASS, 60, err, sizeof(err)));
    ck_assert(wallet_randao_reveal(w, vpub[0], 0, r));
    wallet_free(w);
}
END_TEST

/* ---- signing ---- */

START_TEST(test_sign)
{
    uint8_t pub[PUBKEY_SIZE], other[PUBKEY_SIZE];
    struct tx tx;
    struct validation v;
    struct wallet *w = create("signer", NULL);
    new_key(w, "", pub);
    make_transfer(&tx, pub, vpub[0], 5 * COIN, 7, NULL);
    ck_assert(wallet_sign_tx(w, &tx, regtest.genesis_hash));
    val_init(&v);
    ck_assert_msg(tx_check(&tx, &regtest, &v), "%s", v.reason);
    /* Signed for regtest: another network's genesis makes it invalid. */
    val_init(&v);
    ck_assert(!tx_check(&tx, &testnet, &v));
    tx_free(&tx);

    /* Not our key. */
    struct wallet *w2 = create("else", NULL);
    new_key(w2, "", other);
    wallet_free(w2);
    make_transfer(&tx, other, pub, COIN, 0, NULL);
    ck_assert(!wallet_sign_tx(w, &tx, regtest.genesis_hash));
    ck_assert_msg(strstr(wallet_error(w), "is not in wallet") != NULL, "%s", wallet_error(w));
    tx_free(&tx);

    /* Headers. */
    struct block_header hdr;
    memset(&hdr, 0, sizeof(hdr));
    hdr.version = BLOCK_VERSION;
    hdr.height = 5;
    memcpy(hdr.proposer, pub, PUBKEY_SIZE);
    ck_assert(wallet_sign_header(w, &hdr, regtest.genesis_hash));
    ck_assert(header_check_sig(&hdr, regtest.genesis_hash));
    memcpy(hdr.proposer, other, PUBKEY_SIZE);
    ck_assert(!wallet_sign_header(w, &hdr, regtest.genesis_hash));

    /* A hash (a Market request): BIP340 over the 32 bytes, with the key asked
     * for only. */
    uint8_t msg[HASH_SIZE], sig[SIG_SIZE];
    market_request_hash(msg, vpub[0], other, 5, 7);
    ck_assert(wallet_sign_hash(w, pub, msg, sig));
    ck_assert(key_verify(sig, msg, sizeof(msg), pub));
    ck_assert(!key_verify(sig, msg, sizeof(msg), other));
    msg[0] ^= 1;
    ck_assert(!key_verify(sig, msg, sizeof(msg), pub));
    ck_assert(!wallet_sign_hash(w, other, msg, sig));
    ck_assert_msg(strstr(wallet_error(w), "is not in wallet") != NULL, "%s", wallet_error(w));
    wallet_free(w);
}
END_TEST

/* ---- history ---- */

static void make_block(struct block *b, uint64_t height, const struct tx *txs, size_t n,
                       uint8_t hash[HASH_SIZE])
{
    block_init(b);
    b->hdr.version = BLOCK_VERSION;
    b->hdr.height = height;
    b->hdr.time = 1700000000 + height;
    b->hdr.prev[0] = (uint8_t)(height - 1);
    for (size_t i = 0; i < n; i++)
        ck_assert(block_add_tx(b, &txs[i]));
    header_hash(&b->hdr, hash);
}

START_TEST(test_history)
{
    uint8_t mine[PUBKEY_SIZE], h1[HASH_SIZE], h2[HASH_SIZE], txid[3][HASH_SIZE];
    struct tx txs[3];
    struct block b;
    struct wallet *w = create("hist", NULL);
    new_key(w, "", mine);
    /* Ours to someone, someone to us, two strangers. */
    make_transfer(&txs[0], mine, vpub[0], COIN, 0, NULL);
    ck_assert(wallet_sign_tx(w, &txs[0], regtest.genesis_hash));
    make_transfer(&txs[1], vpub[1], mine, 2 * COIN, 0, vsec[1]);
    make_transfer(&txs[2], vpub[2], vpub[3], 3 * COIN, 0, vsec[2]);
    for (int i = 0; i < 3; i++)
        tx_txid(&txs[i], txid[i]);
    ck_assert(wallet_tx_is_mine(w, &txs[0]) && wallet_tx_is_mine(w, &txs[1]));
    ck_assert(!wallet_tx_is_mine(w, &txs[2]));

    /* A sent transaction is recorded before anything else. */
    ck_assert(wallet_record_sent(w, &txs[0], 1234, "rent", "landlord", err, sizeof(err)));
    ck_assert(!wallet_record_sent(w, &txs[0], 1234, "", "", err, sizeof(err)));
    ck_assert(!wallet_record_sent(w, &txs[1], 1234, "", "", err, sizeof(err)));
    wallet_free(w);
    w = load("hist");
    ck_assert_uint_eq(wallet_tx_count(w), 1);
    const struct wallet_tx *t = wallet_tx_find(w, txid[0]);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->state, WALLET_TX_UNCONFIRMED);
    ck_assert_str_eq(t->comment, "rent");
    ck_assert_str_eq(t->comment_to, "landlord");
    ck_assert_uint_eq(t->time, 1234);

    /* A block with all three. */
    make_block(&b, 7, txs, 3, h1);
    ck_assert(wallet_block_connected(w, &b, h1, err, sizeof(err)));
    uint64_t size = wallet_file_size(w);
    ck_assert(wallet_block_connected(w, &b, h1, err, sizeof(err)));
    ck_assert_uint_eq(wallet_file_size(w), size); /* idempotent */
    ck_assert_uint_eq(wallet_tx_count(w), 2);
    ck_assert_ptr_null(wallet_tx_find(w, txid[2]));
    t = wallet_tx_find(w, txid[1]);
    ck_assert_int_eq(t->state, WALLET_TX_CONFIRMED);
    ck_assert_uint_eq(t->block_height, 7);
    ck_assert_uint_eq(t->block_index, 1);
    ck_assert_mem_eq(t->block_hash, h1, HASH_SIZE);
    uint8_t best[HASH_SIZE];
    uint64_t height;
    ck_assert(wallet_best_block(w, best, &height));
    ck_assert_uint_eq(height, 7);
    ck_assert(!wallet_abandon_tx(w, txid[0], err, sizeof(err)));
    wallet_free(w);

    w = load("hist");
    ck_assert_uint_eq(wallet_tx_count(w), 2);
    ck_assert_mem_eq(wallet_tx_at(w, 0)->txid, txid[0], HASH_SIZE);
    ck_assert_mem_eq(wallet_tx_at(w, 1)->txid, txid[1], HASH_SIZE);
    t = wallet_tx_find(w, txid[0]);
    ck_assert_int_eq(t->state, WALLET_TX_CONFIRMED);
    ck_assert_uint_eq(t->block_time, 1700000007);
    ck_assert_str_eq(t->comment, "rent");
    ck_assert(wallet_best_block(w, best, &height));
    ck_assert_mem_eq(best, h1, HASH_SIZE);

    /* The block leaves the chain, the sent one is then abandoned. */
    ck_assert(wallet_block_disconnected(w, &b, h1, err, sizeof(err)));
    ck_assert_int_eq(wallet_tx_find(w, txid[0])->state, WALLET_TX_UNCONFIRMED);
    ck_assert_int_eq(wallet_tx_find(w, txid[1])->state, WALLET_TX_UNCONFIRMED);
    ck_assert(wallet_best_block(w, best, &height));
    ck_assert_uint_eq(height, 6);
    ck_assert(wallet_abandon_tx(w, txid[0], err, sizeof(err)));
    ck_assert(!wallet_abandon_tx(w, txid[0], err, sizeof(err)));
    block_free(&b);
    /* The other one confirms in another block. */
    make_block(&b, 8, &txs[1], 1, h2);
    ck_assert(wallet_block_connected(w, &b, h2, err, sizeof(err)));
    block_free(&b);
    wallet_free(w);

    w = load("hist");
    ck_assert_int_eq(wallet_tx_find(w, txid[0])->state, WALLET_TX_ABANDONED);
    t = wallet_tx_find(w, txid[1]);
    ck_assert_int_eq(t->state, WALLET_TX_CONFIRMED);
    ck_assert_mem_eq(t->block_hash, h2, HASH_SIZE);
    ck_assert_uint_eq(t->block_index, 0);
    ck_assert(wallet_best_block(w, best, &height));
    ck_assert_uint_eq(height, 8);
    /* A compacted file means the same. */
    ck_assert(wallet_compact(w, err, sizeof(err)));
    wallet_free(w);
    w = load("hist");
    ck_assert_uint_eq(wallet_tx_count(w), 2);
    ck_assert_int_eq(wallet_tx_find(w, txid[0])->state, WALLET_TX_ABANDONED);
    ck_assert_mem_eq(wallet_tx_find(w, txid[1])->block_hash, h2, HASH_SIZE);
    ck_assert_str_eq(wallet_tx_find(w, txid[0])->comment, "rent");
    wallet_free(w);
    for (int i = 0; i < 3; i++)
        tx_free(&txs[i]);
}
END_TEST

/* ---- the set of wallets ---- */

START_TEST(test_wallets_set)
{
    uint8_t pub[PUBKEY_SIZE];
    struct wallet *w;
    struct wallets *ws = wallets_new(&regtest, dir);
    ck_assert_ptr_nonnull(ws);
    ck_assert_ptr_null(wallets_get(ws, NULL));
    ck_assert(wallets_create(ws, "one", NULL, err, sizeof(err)));
    ck_assert_ptr_eq(wallets_get(ws, NULL), wallets_at(ws, 0));
    ck_assert(wallets_create(ws, "two", PASS, err, sizeof(err)));
    ck_assert(!wallets_create(ws, "two", NULL, err, sizeof(err)));
    ck_assert(!wallets_load(ws, "two", err, sizeof(err)));
    ck_assert_msg(strstr(err, "already loaded") != NULL, "%s", err);
    ck_assert(!wallets_create(ws, "../escape", NULL, err, sizeof(err)));
    ck_assert_uint_eq(wallets_count(ws), 2);
    ck_assert_ptr_null(wallets_get(ws, NULL)); /* several: none by default */
    ck_assert_ptr_null(wallets_get(ws, "three"));
    ck_assert(wallet_import_key(wallets_get(ws, "one"), vsec[0], "", false, pub, err,
                                sizeof(err)));
    ck_assert(wallets_find_key(ws, vpub[0], &w));
    ck_assert_ptr_eq(w, wallets_get(ws, "one"));
    ck_assert(!wallets_find_key(ws, vpub[1], &w));
    ck_assert(wallets_exists(ws, "one") && !wallets_exists(ws, "three"));

    size_t n;
    char **names = wallets_list_dir(ws, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(names[0], "one");
    ck_assert_str_eq(names[1], "two");
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);

    ck_assert(wallets_unload(ws, "one", err, sizeof(err)));
    ck_assert(!wallets_unload(ws, "one", err, sizeof(err)));
    ck_assert_ptr_eq(wallets_get(ws, NULL), wallets_get(ws, "two"));
    ck_assert(!wallets_find_key(ws, vpub[0], &w));

    /* Wallets to load at start. */
    ck_assert(wallets_set_load_on_startup(ws, "one", true, err, sizeof(err)));
    ck_assert(wallets_set_load_on_startup(ws, "gone", true, err, sizeof(err)));
    ck_assert(wallets_set_load_on_startup(ws, "one", true, err, sizeof(err)));
    ck_assert(wallets_load_startup(ws, err, sizeof(err)));
    ck_assert_uint_eq(wallets_count(ws), 2);
    ck_assert(wallets_find_key(ws, vpub[0], &w));
    wallets_free(ws);

    ws = wallets_new(&regtest, dir);
    ck_assert(wallets_set_load_on_startup(ws, "one", false, err, sizeof(err)));
    ck_assert(wallets_load_startup(ws, err, sizeof(err)));
    ck_assert_uint_eq(wallets_count(ws), 0);
    ck_assert(wallets_load(ws, "two", err, sizeof(err)));
    ck_assert(wallet_is_encrypted(wallets_get(ws, NULL)));
    wallets_free(ws);
}
END_TEST

/* ---- Arena secrets ---- */

/* ARENA records survive a reload and a compaction, the latest of an
 * identity wins, a dropped one stays dropped, and the kept sets give chunk
 * reveals whose paths lead to the sets' roots. */
START_TEST(test_arena_records)
{
    uint8_t pub[PUBKEY_SIZE], task[HASH_SIZE], other[HASH_SIZE];
    struct wallet *w = create("arena", NULL);
    new_key(w, "creator", pub);
    memset(task, 0xa1, sizeof(task));
    memset(other, 0xb2, sizeof(other));
    uint8_t sub1[36 + 12], sub2[36 + 12];
    memset(sub1, 1, sizeof(sub1));
    memset(sub2, 2, sizeof(sub2));
    write_le32(sub1 + 32, 3);
    write_le32(sub2 + 32, 3);
    ck_assert(wallet_arena_put(w, WALLET_ARENA_SUBMIT, task, pub, 7, sub1, sizeof(sub1), err, sizeof(err)));
    ck_assert(wallet_arena_put(w, WALLET_ARENA_SUBMIT, task, pub, 8, sub2, sizeof(sub2), err, sizeof(err)));
    ck_assert(wallet_arena_put(w, WALLET_ARENA_SCORE, other, pub, 9, sub1, sizeof(sub1), err, sizeof(err)));
    /* Two sets: 5 chunks of 12 bytes, then 1 chunk of 24. */
    struct wbuf v;
    wbuf_init(&v);
    put_u8(&v, 2);
    uint8_t salt0[32], salt1[32];
    memset(salt0, 0x30, 32);
    memset(salt1, 0x31, 32);
    put_bytes(&v, salt0, 32);
    put_u16(&v, 5);
    for (int i = 0; i < 5; i++)
        put_u32(&v, 12);
    put_bytes(&v, salt1, 32);
    put_u16(&v, 1);
    put_u32(&v, 24);
    for (int i = 0; i < 60 + 24; i++)
        put_u8(&v, (uint8_t)i);
    ck_assert(wallet_arena_put(w, WALLET_ARENA_VALSET, task, pub, 7, v.data, v.len, err, sizeof(err)));
    wallet_free(w);

    w = load("arena");
    ck_assert_uint_eq(w->narena, 3);
    const struct wallet_arena_rec *r = wallet_arena_find(w, WALLET_ARENA_SUBMIT, task, pub);
    ck_assert(r != NULL);
    ck_assert_uint_eq(r->stored_height, 8);
    ck_assert_mem_eq(r->data, sub2, sizeof(sub2));
    ck_assert(wallet_arena_find(w, WALLET_ARENA_SCORE, task, pub) == NULL);
    ck_assert(wallet_arena_find(w, WALLET_ARENA_SCORE, other, pub) != NULL);
    r = wallet_arena_find(w, WALLET_ARENA_VALSET, task, pub);
    ck_assert(r != NULL);
    ck_assert_mem_eq(r->data, v.data, v.len);

    /* The reveals of the kept sets verify against their roots. */
    struct wallet_arena_valsets vs;
    ck_assert(wallet_arena_valsets_parse(r, &vs));
    ck_assert_uint_eq(vs.k, 2);
    ck_assert_uint_eq(vs.sets[0].n_chunks, 5);
    ck_assert_uint_eq(vs.sets[1].len, 24);
    for (uint8_t k = 0; k < 2; k++) {
        uint8_t root[HASH_SIZE], leaf[HASH_SIZE];
        ck_assert(wallet_arena_set_root(k, &vs.sets[k], root));
        size_t off = 0;
        for (uint16_t c = 0; c < vs.sets[k].n_chunks; off += vs.sets[k].chunk_len[c], c++) {
            struct wbuf pl;
            struct arena_reveal_valset rv;
            wbuf_init(&pl);
            ck_assert(wallet_arena_chunk_payload(&pl, task, k, &vs.sets[k], c, off));
            ck_assert(arena_reveal_valset_decode(&rv, pl.data, pl.len));
            ck_assert_uint_eq(rv.set, k);
            ck_assert_uint_eq(rv.chunk, c);
            ck_assert_uint_eq(rv.len, vs.sets[k].chunk_len[c]);
            ck_assert_mem_eq(rv.data, vs.sets[k].bytes + off, rv.len);
            arena_leaf_hash(leaf, rv.salt, k, c, rv.data, rv.len);
            ck_assert(arena_merkle_verify(root, vs.sets[k].n_chunks, c, leaf, rv.path, rv.npath));
            /* Another chunk's bytes do not verify. */
            arena_leaf_hash(leaf, rv.salt, k, c, rv.data, rv.len - 4);
            ck_assert(!arena_merkle_verify(root, vs.sets[k].n_chunks, c, leaf, rv.path, rv.npath));
            wbuf_free(&pl);
        }
    }
    /* A cut that does not add up is refused. */
    struct wallet_arena_rec bad = *r;
    bad.len = r->len - 1;
    ck_assert(!wallet_arena_valsets_parse(&bad, &vs));

    ck_assert(wallet_arena_drop(w, WALLET_ARENA_SUBMIT, task, pub, err, sizeof(err)));
    ck_assert(wallet_arena_find(w, WALLET_ARENA_SUBMIT, task, pub) == NULL);
    wallet_free(w);
    w = load("arena");
    ck_assert_uint_eq(w->narena, 2);
    ck_assert(wallet_arena_find(w, WALLET_ARENA_SUBMIT, task, pub) == NULL);
    ck_assert(wallet_compact(w, err, sizeof(err)));
    wallet_free(w);
    w = load("arena");
    ck_assert_uint_eq(w->narena, 2);
    r = wallet_arena_find(w, WALLET_ARENA_VALSET, task, pub);
    ck_assert(r != NULL);
    ck_assert_mem_eq(r->data, v.data, v.len);
    wallet_free(w);
    wbuf_free(&v);
}
END_TEST

static Suite *wallet_suite(void)
{
    Suite *s = suite_create("wallet");
    TCase *tc = tcase_create("wallet");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_create_load_round_trip);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_other_network_refused);
    tcase_add_test(tc, test_import_dump);
    tcase_add_test(tc, test_encrypted_wallet);
    tcase_add_test(tc, test_keypool_runs_out);
    tcase_add_test(tc, test_no_secret_in_encrypted_file);
    tcase_add_test(tc, test_encryptwallet);
    tcase_add_test(tc, test_no_secret_in_log);
    tcase_add_test(tc, test_torn_last_record);
    tcase_add_test(tc, test_corrupt_middle_record);
    tcase_add_test(tc, test_label_record_trailing_bytes);
    tcase_add_test(tc, test_every_byte_damaged);
    tcase_add_test(tc, test_compaction);
    tcase_add_test(tc, test_randao_reveals);
    tcase_add_test(tc, test_randao_locked);
    tcase_add_test(tc, test_sign);
    tcase_add_test(tc, test_history);
    tcase_add_test(tc, test_wallets_set);
    tcase_add_test(tc, test_arena_records);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setup_once();
    return test_run_suite(wallet_suite());
}
