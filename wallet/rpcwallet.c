/* The wallet's JSON-RPC methods: the table (arguments and help of every
 * method) and the handlers that manage wallets, keys and encryption.  The
 * handlers about balances and transactions are in wallet/rpcsend.c.
 *
 * Names, arguments, errors and result fields follow bitcoind wherever they
 * mean the same.  Keys and passphrases never appear in a log line or an
 * error message. */
#include "consensus/bech32.h"
#include "consensus/hash.h"
#include "consensus/key.h"
#include "rpc/util.h"
#include "util/log.h"
#include "wallet/rpcinternal.h"
#include "wallet/rpcwallet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNLOCK_NEEDED "Error: Please enter the wallet passphrase with walletpassphrase first."
#define NOT_FOUND "Requested wallet does not exist or is not loaded"

struct wallet *rpcw_wallet(struct rpc_call *call)
{
    struct wallets *ws = rpc_env(call)->wallets;
    const char *name = rpc_wallet_name(call);
    struct wallet *w;
    if (!ws) {
        rpc_error(call, RPC_METHOD_NOT_FOUND, "Method not found (wallet is disabled)");
        return NULL;
    }
    if (name) {
        w = wallets_get(ws, name);
        if (!w)
            rpc_error(call, RPC_WALLET_NOT_FOUND, NOT_FOUND);
        return w;
    }
    w = wallets_get(ws, NULL);
    if (w)
        return w;
    if (wallets_count(ws) == 0)
        rpc_error(call, RPC_WALLET_NOT_FOUND,
                  "No wallet is loaded. Load a wallet using loadwallet or create a new one with "
                  "createwallet.");
    else
        rpc_error(call, RPC_WALLET_NOT_SPECIFIED,
                  "Wallet file not specified (must request wallet RPC through /wallet/<filename> "
                  "uri-path).");
    return NULL;
}

const struct wallet_chain *rpcw_chain(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    return env->wallets ? wallets_chain(env->wallets) : NULL;
}

bool rpcw_has_mempool(struct rpc_call *call)
{
    const struct wallet_chain *c = rpcw_chain(call);
    return c && c->has_mempool(c->ctx);
}

uint64_t rpcw_tip_height(struct rpc_call *call)
{
    const struct wallet_chain *c = rpcw_chain(call);
    uint8_t hash[HASH_SIZE];
    uint64_t height = 0;
    if (c)
        c->tip(c->ctx, hash, &height);
    return height;
}

bool rpcw_account(struct rpc_call *call, const uint8_t pub[PUBKEY_SIZE], struct account *a)
{
    if (rpcw_peek_account(call, pub, a))
        return true;
    rpc_error(call, RPC_DATABASE_ERROR, "State read error");
    return false;
}

bool rpcw_peek_account(struct rpc_call *call, const uint8_t pub[PUBKEY_SIZE], struct account *a)
{
    const struct wallet_chain *c = rpcw_chain(call);
    return c && c->get_account(c->ctx, pub, a);
}

struct chain_snapshot *rpcw_snapshot(struct rpc_call *call)
{
    const struct wallet_chain *c = rpcw_chain(call);
    return c ? c->snapshot(c->ctx) : NULL;
}

void rpcw_snapshot_free(struct rpc_call *call, struct chain_snapshot *s)
{
    const struct wallet_chain *c = rpcw_chain(call);
    if (c)
        c->snapshot_free(s);
}

bool rpcw_own_address(struct rpc_call *call, struct wallet *w, size_t idx,
                      uint8_t pub[PUBKEY_SIZE])
{
    struct wallet_key_info k;
    if (!rpc_arg_address(call, idx, pub))
        return false;
    if (!wallet_key_info(w, pub, &k)) {
        rpc_error(call, RPC_WALLET_ERROR, "Address %.100s is not in the wallet",
                  rpc_str(call, idx, ""));
        return false;
    }
    return true;
}

bool rpcw_richest(struct rpc_call *call, struct wallet *w, uint64_t need,
                  bool (*skip)(void *arg, const uint8_t pub[PUBKEY_SIZE]), void *arg,
                  uint8_t out[PUBKEY_SIZE])
{
    struct wallet_key_info k;
    uint64_t best = 0;
    bool found = false;
    for (size_t i = 0; wallet_key_at(w, i, &k); i++) {
        struct account a;
        if (rpcw_peek_account(call, k.pub, &a) && a.balance > need &&
            a.balance > best && !(skip && skip(arg, k.pub))) {
            best = a.balance;
            memcpy(out, k.pub, PUBKEY_SIZE);
            found = true;
        }
    }
    if (!found)
        rpc_error(call, RPC_WALLET_INSUFFICIENT_FUNDS, "Insufficient funds");
    return found;
}

bool rpcw_unlocked(struct rpc_call *call, struct wallet *w)
{
    if (!wallet_is_locked(w))
        return true;
    rpc_error(call, RPC_WALLET_UNLOCK_NEEDED, UNLOCK_NEEDED);
    return false;
}

static json_t *name_warning(const char *name, const char *warning)
{
    json_t *o = json_object();
    if (name)
        json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "warning", json_string(warning));
    return o;
}

/* Applies the optional load_on_startup argument; a failure becomes a
 * warning, as in bitcoind. */
static void startup_setting(struct rpc_call *call, size_t idx, const char *name, char *warning,
                            size_t len)
{
    char err[256];
    if (!rpc_has(call, idx))
        return;
    if (!wallets_set_load_on_startup(rpc_env(call)->wallets, name, rpc_bool(call, idx, false), err,
                                     sizeof(err)))
        snprintf(warning, len, "Wallet load on startup setting could not be updated: %s", err);
}

/* ---- wallets ---- */

static json_t *createwallet(struct rpc_call *call)
{
    struct wallets *ws = rpc_env(call)->wallets;
    const char *name = rpc_str(call, 0, "");
    const char *pass = rpc_str(call, 1, NULL);
    char err[512], warning[400] = "";
    if (!ws)
        return rpc_error(call, RPC_METHOD_NOT_FOUND, "Method not found (wallet is disabled)");
    if (!wallet_name_valid(name))
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "Invalid wallet name: use 1 to %d letters, digits, '_', '.' or '-', not "
                         "starting with '.'",
                         WALLET_NAME_MAX);
    if (wallets_get(ws, name) || wallets_exists(ws, name))
        return rpc_error(call, RPC_WALLET_ERROR, "Wallet \"%s\" already exists.", name);
    if (pass && !*pass)
        snprintf(warning, sizeof(warning),
                 "Empty string given as passphrase, wallet will not be encrypted.");
    if (!wallets_create(ws, name, pass, err, sizeof(err)))
        return rpc_error(call, RPC_WALLET_ERROR, "%s", err);
    startup_setting(call, 2, name, warning, sizeof(warning));
    return name_warning(name, warning);
}

static json_t *loadwallet(struct rpc_call *call)
{
    struct wallets *ws = rpc_env(call)->wallets;
    const char *name = rpc_str(call, 0, "");
    char err[512], warning[400] = "";
    if (!ws)
        return rpc_error(call, RPC_METHOD_NOT_FOUND, "Method not found (wallet is disabled)");
    if (wallet_name_valid(name) && wallets_get(ws, name))
        return rpc_error(call, RPC_WALLET_ALREADY_LOADED, "Wallet \"%s\" is already loaded.",
                         name);
    if (!wallets_exists(ws, name))
        return rpc_error(call, RPC_WALLET_NOT_FOUND,
                         "Wallet file verification failed. Wallet \"%.80s\" does not exist in the "
                         "wallet directory.",
                         name);
    if (!wallets_load(ws, name, err, sizeof(err)))
        return rpc_error(call, RPC_WALLET_ERROR, "%s", err);
    startup_setting(call, 1, name, warning, sizeof(warning));
    return name_warning(name, warning);
}

static json_t *unloadwallet(struct rpc_call *call)
{
    struct wallets *ws = rpc_env(call)->wallets;
    const char *uri = rpc_wallet_name(call), *arg = rpc_str(call, 0, NULL);
    char err[256], warning[400] = "";
    if (!ws)
        return rpc_error(call, RPC_METHOD_NOT_FOUND, "Method not found (wallet is disabled)");
    if (uri && arg && strcmp(uri, arg) != 0)
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "RPC endpoint wallet and wallet_name parameter specify different wallets");
    struct wallet *w = arg ? wallets_get(ws, arg) : rpcw_wallet(call);
    if (!w)
        return arg ? rpc_error(call, RPC_WALLET_NOT_FOUND, NOT_FOUND) : NULL;
    char *name = strdup(wallet_name(w));
    if (!name)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    bool ok = wallets_unload(ws, name, err, sizeof(err));
    if (ok)
        startup_setting(call, 1, name, warning, sizeof(warning));
    free(name);
    if (!ok)
        return rpc_error(call, RPC_WALLET_ERROR, "%s", err);
    return name_warning(NULL, warning);
}

static json_t *listwallets(struct rpc_call *call)
{
    struct wallets *ws = rpc_env(call)->wallets;
    json_t *a = json_array();
    for (size_t i = 0; ws && i < wallets_count(ws); i++)
        json_array_append_new(a, json_string(wallet_name(wallets_at(ws, i))));
    return a;
}

static json_t *listwalletdir(struct rpc_call *call)
{
    struct wallets *ws = rpc_env(call)->wallets;
    size_t n = 0;
    if (!ws)
        return rpc_error(call, RPC_METHOD_NOT_FOUND, "Method not found (wallet is disabled)");
    char **names = wallets_list_dir(ws, &n);
    json_t *a = json_array();
    for (size_t i = 0; names && i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(names[i]));
        json_array_append_new(a, o);
        free(names[i]);
    }
    free(names);
    json_t *o = json_object();
    json_object_set_new(o, "wallets", a);
    return o;
}

static json_t *getwalletinfo(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct wallet *w = rpcw_wallet(call);
    uint64_t balance, height;
    uint8_t hash[HASH_SIZE];
    if (!w || !rpcw_balance(call, w, &balance))
        return NULL;
    uint64_t rate = wallet_pay_fee_rate(w);
    json_t *o = json_object();
    json_object_set_new(o, "walletname", json_string(wallet_name(w)));
    json_object_set_new(o, "walletversion", json_integer(wallet_version(w)));
    json_object_set_new(o, "format", json_string("fmlwallet"));
    json_object_set_new(o, "balance", json_amount(balance));
    json_object_set_new(o, "txcount", json_integer((json_int_t)wallet_tx_count(w)));
    json_object_set_new(o, "keycount", json_integer((json_int_t)wallet_key_count(w)));
    json_object_set_new(o, "keypoolsize", json_integer((json_int_t)wallet_keypool_size(w)));
    json_object_set_new(o, "encrypted", json_boolean(wallet_is_encrypted(w)));
    if (wallet_is_encrypted(w))
        json_object_set_new(o, "unlocked_until",
                            json_integer((json_int_t)wallet_unlocked_until(w)));
    json_object_set_new(o, "paytxfee", json_amount(rate));
    json_object_set_new(o, "walletfeerate", json_amount(rate ? rate : wallets_fee_rate(env->wallets)));
    json_object_set_new(o, "private_keys_enabled", json_true());
    json_object_set_new(o, "avoid_reuse", json_false());
    json_object_set_new(o, "scanning", json_false());
    json_object_set_new(o, "descriptors", json_false());
    json_object_set_new(o, "birthtime", json_integer((json_int_t)wallet_birth_time(w)));
    if (wallet_birth_height(w, &height))
        json_object_set_new(o, "birthheight", json_integer((json_int_t)height));
    if (wallet_best_block(w, hash, &height)) {
        json_t *b = json_object();
        json_object_set_new(b, "hash", json_hash(hash));
        json_object_set_new(b, "height", json_integer((json_int_t)height));
        json_object_set_new(o, "lastprocessedblock", b);
    }
    return o;
}

/* ---- keys ---- */

static bool label_arg(struct rpc_call *call, size_t idx, const char **label)
{
    *label = rpc_str(call, idx, "");
    if (strcmp(*label, "*") == 0) {
        rpc_error(call, RPC_WALLET_INVALID_LABEL_NAME, "Invalid label name");
        return false;
    }
    if (strlen(*label) > WALLET_LABEL_MAX) {
        rpc_error(call, RPC_WALLET_INVALID_LABEL_NAME, "Label too long (at most %d bytes)",
                  WALLET_LABEL_MAX);
        return false;
    }
    return true;
}

static json_t *getnewaddress(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    const char *label;
    uint8_t pub[PUBKEY_SIZE];
    char err[256];
    if (!w || !label_arg(call, 0, &label))
        return NULL;
    if (wallet_is_encrypted(w) && wallet_keypool_size(w) == 0 && wallet_is_locked(w))
        return rpc_error(call, RPC_WALLET_KEYPOOL_RAN_OUT,
                         "Error: Keypool ran out, please call keypoolrefill first");
    if (!wallet_new_key(w, label, pub, err, sizeof(err)))
        return rpc_error(call, RPC_WALLET_ERROR, "%s", err);
    return json_address(rpc_env(call)->params, pub);
}

static json_t *getaddressinfo(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t pub[PUBKEY_SIZE];
    struct wallet_key_info k;
    if (!w || !rpc_arg_address(call, 0, pub))
        return NULL;
    bool mine = wallet_key_info(w, pub, &k);
    json_t *o = json_object();
    json_object_set_new(o, "address", json_address(rpc_env(call)->params, pub));
    json_object_set_new(o, "pubkey", json_hex(pub, PUBKEY_SIZE));
    json_object_set_new(o, "ismine", json_boolean(mine));
    json_object_set_new(o, "solvable", json_boolean(mine));
    json_object_set_new(o, "iswatchonly", json_false());
    json_object_set_new(o, "isscript", json_false());
    json_object_set_new(o, "iswitness", json_false());
    json_object_set_new(o, "ischange", json_false());
    json_t *labels = json_array();
    if (mine) {
        json_object_set_new(o, "timestamp", json_integer((json_int_t)k.created));
        json_array_append_new(labels, json_string(k.label));
        json_object_set_new(o, "isvalidator", json_boolean(k.validator));
        if (k.validator) {
            json_t *r = json_object();
            json_object_set_new(r, "generation", json_integer((json_int_t)k.onion_generation));
            json_object_set_new(r, "onion_length", json_integer((json_int_t)k.onion_length));
            json_object_set_new(o, "randao", r);
        }
    }
    json_object_set_new(o, "labels", labels);
    return o;
}

static json_t *setlabel(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t pub[PUBKEY_SIZE];
    const char *label;
    char err[256];
    if (!w || !rpc_arg_address(call, 0, pub) || !label_arg(call, 1, &label))
        return NULL;
    if (!wallet_key_info(w, pub, &(struct wallet_key_info){0}))
        return rpc_error(call, RPC_WALLET_ERROR, "Address is not in the wallet");
    if (!wallet_set_label(w, pub, label, err, sizeof(err)))
        return rpc_error(call, RPC_WALLET_ERROR, "%s", err);
    return json_null();
}

static json_t *getaddressesbylabel(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    struct wallet_key_info k;
    if (!w)
        return NULL;
    const char *label = rpc_str(call, 0, "");
    json_t *o = json_object();
    for (size_t i = 0; wallet_key_at(w, i, &k); i++) {
        if (strcmp(k.label, label) != 0)
            continue;
        char addr[ADDRESS_MAX_LEN];
        if (!address_encode(addr, rpc_env(call)->params->hrp, k.pub))
            continue;
        json_t *e = json_object();
        json_object_set_new(e, "purpose", json_string("receive"));
        json_object_set_new(o, addr, e);
    }
    if (json_object_size(o) == 0) {
        json_decref(o);
        return rpc_error(call, RPC_WALLET_INVALID_LABEL_NAME, "No addresses with label %.200s",
                         label);
    }
    return o;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *listlabels(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    struct wallet_key_info k;
    if (!w)
        return NULL;
    size_t n = wallet_key_count(w), m = 0;
    const char **labels = calloc(n ? n : 1, sizeof(*labels));
    if (!labels)
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    for (size_t i = 0; wallet_key_at(w, i, &k); i++)
        labels[m++] = k.label;
    qsort(labels, m, sizeof(*labels), cmp_str);
    json_t *a = json_array();
    for (size_t i = 0; i < m; i++)
        if (i == 0 || strcmp(labels[i], labels[i - 1]) != 0)
            json_array_append_new(a, json_string(labels[i]));
    free(labels);
    return a;
}

/* 64 hex digits into sec; never echoes the input. */
static bool parse_secret(const char *s, uint8_t sec[SECKEY_SIZE])
{
    if (strlen(s) != 2 * SECKEY_SIZE)
        return false;
    for (size_t i = 0; i < SECKEY_SIZE; i++) {
        int v = 0;
        for (int j = 0; j < 2; j++) {
            char c = s[2 * i + j];
            int d = c >= '0' && c <= '9' ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0) {
                sodium_memzero(sec, SECKEY_SIZE);
                return false;
            }
            v = v << 4 | d;
        }
        sec[i] = (uint8_t)v;
    }
    return true;
}

static json_t *importprivkey(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct wallet *w = rpcw_wallet(call);
    uint8_t sec[SECKEY_SIZE], pub[PUBKEY_SIZE];
    const char *label;
    char err[256];
    if (!w || !label_arg(call, 1, &label) || !rpcw_unlocked(call, w))
        return NULL;
    bool rescan = rpc_bool(call, 2, true);
    if (!parse_secret(rpc_str(call, 0, ""), sec))
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Invalid private key encoding");
    bool ok = wallet_import_key(w, sec, label, rescan, pub, err, sizeof(err));
    sodium_memzero(sec, sizeof(sec));
    if (!ok)
        return rpc_error(call, strcmp(err, "Invalid private key") == 0 ? RPC_INVALID_ADDRESS_OR_KEY
                                                                       : RPC_WALLET_ERROR,
                         "%s", err);
    if (rescan && rpcw_chain(call) && !wallets_rescan(env->wallets, w, 0, err, sizeof(err)))
        return rpc_error(call, RPC_WALLET_ERROR, "Rescan failed: %s", err);
    return json_null();
}

static json_t *dumpprivkey(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t pub[PUBKEY_SIZE], sec[SECKEY_SIZE];
    char err[256], hex[2 * SECKEY_SIZE + 1];
    if (!w || !rpc_arg_address(call, 0, pub))
        return NULL;
    if (!wallet_has_key(w, pub))
        return rpc_error(call, RPC_WALLET_ERROR, "Private key for address %.100s is not known",
                         rpc_str(call, 0, ""));
    if (!rpcw_unlocked(call, w))
        return NULL;
    if (!wallet_dump_key(w, pub, sec, err, sizeof(err)))
        return rpc_error(call, RPC_WALLET_ERROR, "%s", err);
    sodium_bin2hex(hex, sizeof(hex), sec, sizeof(sec));
    sodium_memzero(sec, sizeof(sec));
    json_t *s = json_string(hex);
    sodium_memzero(hex, sizeof(hex));
    return s;
}

static json_t *signmessage(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t pub[PUBKEY_SIZE], sec[SECKEY_SIZE], h[HASH_SIZE], sig[SIG_SIZE];
    char err[256];
    if (!w || !rpc_arg_address(call, 0, pub))
        return NULL;
    if (!wallet_has_key(w, pub))
        return rpc_error(call, RPC_WALLET_ERROR, "Private key for address %.100s is not known",
                         rpc_str(call, 0, ""));
    if (!rpcw_unlocked(call, w))
        return NULL;
    if (!wallet_dump_key(w, pub, sec, err, sizeof(err)))
        return rpc_error(call, RPC_WALLET_ERROR, "%s", err);
    rpc_message_hash(h, rpc_str(call, 1, ""));
    bool ok = key_sign(sig, h, sec, NULL);
    sodium_memzero(sec, sizeof(sec));
    if (!ok)
        return rpc_error(call, RPC_WALLET_ERROR, "Sign failed");
    return json_hex(sig, sizeof(sig));
}

static json_t *keypoolrefill(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    char err[256];
    if (!w)
        return NULL;
    uint64_t size = rpc_uint(call, 0, WALLET_KEYPOOL_SIZE);
    if (size > WALLET_KEYPOOL_MAX)
        return rpc_error(call, RPC_INVALID_PARAMETER, "newsize must be at most %d",
                         WALLET_KEYPOOL_MAX);
    if (!rpcw_unlocked(call, w))
        return NULL;
    if (!wallet_keypool_refill(w, (size_t)size, err, sizeof(err)))
        return rpc_error(call, RPC_WALLET_ERROR, "Error refreshing keypool: %s", err);
    return json_null();
}

/* ---- encryption ---- */

static bool passphrase_arg(struct rpc_call *call, size_t idx, const char **pass)
{
    *pass = rpc_str(call, idx, "");
    if (**pass)
        return true;
    rpc_error(call, RPC_INVALID_PARAMETER, "passphrase cannot be empty");
    return false;
}

static json_t *walletpassphrase(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    const char *pass;
    char err[256];
    if (!w)
        return NULL;
    if (!wallet_is_encrypted(w))
        return rpc_error(call, RPC_WALLET_WRONG_ENC_STATE,
                         "Error: running with an unencrypted wallet, but walletpassphrase was "
                         "called.");
    int64_t timeout = rpc_int(call, 1, 0);
    if (timeout < 0)
        return rpc_error(call, RPC_INVALID_PARAMETER, "Timeout cannot be negative.");
    if (!passphrase_arg(call, 0, &pass))
        return NULL;
    if (!wallet_unlock(w, pass, (uint64_t)timeout, err, sizeof(err)))
        return rpc_error(call,
                         strstr(err, "incorrect") ? RPC_WALLET_PASSPHRASE_INCORRECT
                                                  : RPC_WALLET_ERROR,
                         "%s", err);
    LOG_DEBUG(LOG_WALLET, "Wallet %s unlocked for %lld seconds", wallet_name(w),
              (long long)timeout);
    return json_null();
}

static json_t *walletlock(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    if (!w)
        return NULL;
    if (!wallet_is_encrypted(w))
        return rpc_error(call, RPC_WALLET_WRONG_ENC_STATE,
                         "Error: running with an unencrypted wallet, but walletlock was called.");
    wallet_lock(w);
    return json_null();
}

static json_t *walletpassphrasechange(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    const char *old_pass, *new_pass;
    char err[256];
    if (!w)
        return NULL;
    if (!wallet_is_encrypted(w))
        return rpc_error(call, RPC_WALLET_WRONG_ENC_STATE,
                         "Error: running with an unencrypted wallet, but walletpassphrasechange "
                         "was called.");
    if (!passphrase_arg(call, 0, &old_pass) || !passphrase_arg(call, 1, &new_pass))
        return NULL;
    if (!wallet_change_passphrase(w, old_pass, new_pass, err, sizeof(err)))
        return rpc_error(call,
                         strstr(err, "incorrect") ? RPC_WALLET_PASSPHRASE_INCORRECT
                                                  : RPC_WALLET_ERROR,
                         "%s", err);
    return json_null();
}

static json_t *encryptwallet(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    const char *pass;
    char err[256];
    if (!w)
        return NULL;
    if (wallet_is_encrypted(w))
        return rpc_error(call, RPC_WALLET_WRONG_ENC_STATE,
                         "Error: running with an encrypted wallet, but encryptwallet was called.");
    if (!passphrase_arg(call, 0, &pass))
        return NULL;
    if (!wallet_encrypt(w, pass, err, sizeof(err)))
        return rpc_error(call, RPC_WALLET_ENCRYPTION_FAILED, "%s", err);
    return json_string("wallet encrypted; the keypool has been refilled with new keys. You need "
                       "to make a new backup.");
}

/* ---- the table ---- */

#define W "Wallet"

#define SIGNRAW_HELP                                                                            \
    .summary = "Sign a transaction built elsewhere (hex, as createrawtransaction tools produce "  \
               "it) with the key of its sender, if the wallet holds it.  The nonce and fee are "  \
               "left as they are.  Requires an unlocked wallet when it is encrypted.",            \
    .args = {{"hexstring", RPC_HEX, true, NULL, "The transaction hex string"}},                   \
    .result = "{\n"                                                                               \
              "  \"hex\": \"hex\",        (string) the transaction, signed if it could be\n"       \
              "  \"complete\": bool,    (boolean) whether it carries a valid signature\n"         \
              "  \"errors\": [          (array, only when not complete)\n"                        \
              "    {\"sender\": \"address\", \"nonce\": n, \"error\": \"str\"}\n"                 \
              "  ]\n"                                                                             \
              "}",                                                                                \
    .examples = "fml-cli signrawtransactionwithwallet \"hex\""

const struct rpc_method wallet_rpc_methods[] = {
    {
        .category = W,
        .name = "createwallet",
        .handler = createwallet,
        .summary = "Creates and loads a new wallet.  With a passphrase its keys are encrypted at "
                   "rest (Argon2id, XChaCha20-Poly1305).",
        .args = {{"wallet_name", RPC_STR, true, NULL,
                  "The name for the new wallet: 1 to 64 letters, digits, '_', '.' or '-'"},
                 {"passphrase", RPC_STR, false, NULL, "Encrypt the wallet with this passphrase"},
                 {"load_on_startup", RPC_BOOL, false, NULL,
                  "Save wallet name to the list of wallets loaded at start.  Omitted: left as it "
                  "is"}},
        .result = "{\n"
                  "  \"name\": \"str\",      (string) The wallet name if created successfully\n"
                  "  \"warning\": \"str\"    (string) Warning message if wallet was not loaded "
                  "cleanly\n"
                  "}",
        .examples = "fml-cli createwallet \"testwallet\"\n"
                    "fml-cli -named createwallet wallet_name=vault passphrase=\"my pass\"",
    },
    {
        .category = W,
        .name = "loadwallet",
        .handler = loadwallet,
        .summary = "Loads a wallet from the wallet directory (<datadir>/wallets/<name>).  A torn "
                   "last record (an interrupted write) is dropped; a damaged file or another "
                   "network's wallet is refused.",
        .args = {{"filename", RPC_STR, true, NULL, "The wallet name"},
                 {"load_on_startup", RPC_BOOL, false, NULL,
                  "Save wallet name to the list of wallets loaded at start"}},
        .result = "{\n"
                  "  \"name\": \"str\",      (string) The wallet name if loaded successfully\n"
                  "  \"warning\": \"str\"    (string) Warning message if wallet was not loaded "
                  "cleanly\n"
                  "}",
        .examples = "fml-cli loadwallet \"testwallet\"",
    },
    {
        .category = W,
        .name = "unloadwallet",
        .handler = unloadwallet,
        .summary = "Unloads the wallet referenced by the request endpoint, otherwise unloads the "
                   "wallet specified in the argument.  Its last synced block is written first.",
        .args = {{"wallet_name", RPC_STR, false, "the wallet name from the RPC endpoint",
                  "The name of the wallet to unload"},
                 {"load_on_startup", RPC_BOOL, false, NULL,
                  "Save (true) or remove (false) the wallet name in the list loaded at start"}},
        .result = "{\n  \"warning\": \"str\"    (string) Warning message if wallet was not unloaded "
                  "cleanly\n}",
        .examples = "fml-cli unloadwallet wallet_name",
    },
    {
        .category = W,
        .name = "listwallets",
        .handler = listwallets,
        .summary = "Returns a list of currently loaded wallets.",
        .result = "[\"walletname\", ...]    (array of strings)",
        .examples = "fml-cli listwallets",
    },
    {
        .category = W,
        .name = "listwalletdir",
        .handler = listwalletdir,
        .summary = "Returns a list of wallets in the wallet directory.",
        .result = "{\n  \"wallets\": [ {\"name\": \"str\"}, ... ]\n}",
        .examples = "fml-cli listwalletdir",
    },
    {
        .category = W,
        .name = "getwalletinfo",
        .handler = getwalletinfo,
        .summary = "Returns an object containing various wallet state info.",
        .result = "{\n"
                  "  \"walletname\": \"str\",        (string) the wallet name\n"
                  "  \"walletversion\": n,         (numeric) the wallet file format version\n"
                  "  \"format\": \"fmlwallet\",      (string) the database format\n"
                  "  \"balance\": n,               (numeric) confirmed balance in FML\n"
                  "  \"txcount\": n,               (numeric) transactions in the wallet\n"
                  "  \"keycount\": n,              (numeric) addresses handed out\n"
                  "  \"keypoolsize\": n,           (numeric) keys kept ready (encrypted wallets)\n"
                  "  \"encrypted\": bool,          (boolean) whether keys are encrypted at rest\n"
                  "  \"unlocked_until\": n,        (numeric, encrypted wallets only) unix time the "
                  "wallet relocks at, 0 when locked\n"
                  "  \"paytxfee\": n,              (numeric) fee rate set by settxfee, FML/kB (0: "
                  "none)\n"
                  "  \"walletfeerate\": n,         (numeric) fee rate sends use at least, FML/kB\n"
                  "  \"private_keys_enabled\": true, \"avoid_reuse\": false, \"scanning\": false, "
                  "\"descriptors\": false,\n"
                  "  \"birthtime\": n,             (numeric) unix time the wallet was created\n"
                  "  \"birthheight\": n,           (numeric) chain height at its first sync\n"
                  "  \"lastprocessedblock\": {\"hash\": \"hex\", \"height\": n}\n"
                  "}",
        .examples = "fml-cli getwalletinfo",
    },
    {
        .category = W,
        .name = "getnewaddress",
        .handler = getnewaddress,
        .summary = "Returns a new FML address for receiving payments (a fresh key; in a locked "
                   "encrypted wallet, the next keypool key).  If 'label' is specified, it is "
                   "added to the address book.",
        .args = {{"label", RPC_STR, false, "\"\"", "The label name for the address"}},
        .result = "\"address\"    (string) The new address",
        .examples = "fml-cli getnewaddress\nfml-cli getnewaddress \"savings\"",
    },
    {
        .category = W,
        .name = "getaddressinfo",
        .handler = getaddressinfo,
        .summary = "Return information about the given address.",
        .args = {{"address", RPC_STR, true, NULL, "The address"}},
        .result = "{\n"
                  "  \"address\": \"str\", \"pubkey\": \"hex\" (x-only key),\n"
                  "  \"ismine\": bool, \"solvable\": bool, \"iswatchonly\": false, \"isscript\": "
                  "false, \"iswitness\": false, \"ischange\": false,\n"
                  "  \"timestamp\": n          (when mine) key creation time\n"
                  "  \"isvalidator\": bool     (when mine)\n"
                  "  \"randao\": {\"generation\": n, \"onion_length\": n}   (validator keys)\n"
                  "  \"labels\": [\"str\"]\n"
                  "}",
        .examples = "fml-cli getaddressinfo rfml1q...",
    },
    {
        .category = W,
        .name = "setlabel",
        .handler = setlabel,
        .summary = "Sets the label associated with the given address.",
        .args = {{"address", RPC_STR, true, NULL, "The address of the wallet"},
                 {"label", RPC_STR, true, NULL, "The label to assign to the address"}},
        .result = "null",
        .examples = "fml-cli setlabel rfml1q... \"tabby\"",
    },
    {
        .category = W,
        .name = "getaddressesbylabel",
        .handler = getaddressesbylabel,
        .summary = "Returns the list of addresses assigned the specified label.",
        .args = {{"label", RPC_STR, true, NULL, "The label"}},
        .result = "{ \"address\": {\"purpose\": \"receive\"}, ... }",
        .examples = "fml-cli getaddressesbylabel \"tabby\"",
    },
    {
        .category = W,
        .name = "listlabels",
        .handler = listlabels,
        .summary = "Returns the list of all labels, sorted.",
        .result = "[\"label\", ...]",
        .examples = "fml-cli listlabels",
    },
    {
        .category = W,
        .name = "getbalance",
        .handler = rpcw_getbalance,
        .summary = "Returns the total confirmed balance of the wallet's accounts at the chain "
                   "tip.  Transactions in the mempool count once mined (see getbalances).",
        .args = {{"dummy", RPC_STR, false, NULL,
                  "Remains for backward compatibility. Must be excluded or set to \"*\"."},
                 {"minconf", RPC_UINT, false, "0",
                  "Accepted for compatibility: 0 and 1 give the balance at the tip; more is "
                  "refused (account balances exist at the tip only)"},
                 {"include_watchonly", RPC_BOOL, false, "false", "Ignored (no watch-only keys)"},
                 {"avoid_reuse", RPC_BOOL, false, "false", "Ignored"}},
        .result = "n    (numeric) The total amount in FML",
        .examples = "fml-cli getbalance",
    },
    {
        .category = W,
        .name = "getbalances",
        .handler = rpcw_getbalances,
        .summary = "Returns an object with all balances in FML.",
        .result = "{\n"
                  "  \"mine\": {\n"
                  "    \"trusted\": n,            (numeric) confirmed balance at the tip "
                  "(= getbalance)\n"
                  "    \"untrusted_pending\": n,  (numeric) mempool payments to the wallet from "
                  "other senders\n"
                  "    \"immature\": n            (numeric) always 0 (no coinbase maturity)\n"
                  "  },\n"
                  "  \"lastprocessedblock\": {\"hash\": \"hex\", \"height\": n}\n"
                  "}",
        .examples = "fml-cli getbalances",
    },
    {
        .category = W,
        .name = "sendtoaddress",
        .handler = rpcw_sendtoaddress,
        .summary = "Send an amount to a given address: builds a TRANSFER from from_address, or "
                   "from the wallet account with the largest spendable balance (confirmed, less "
                   "its pending mempool spends) that covers amount and fee (the recipient's own "
                   "account only if no other does); nonce from the "
                   "mempool; fee = ceil(size * rate / 1000) with rate the larger of the "
                   "mempool's required rate and the wallet's (settxfee, else -walletfeerate, "
                   "else 10000 units per 1000 bytes).  The transaction is recorded in the wallet "
                   "(on disk) once the mempool accepted it, before the call returns; one the "
                   "mempool refuses leaves no record.  Requires an unlocked wallet when "
                   "encrypted.",
        .args = {{"address", RPC_STR, true, NULL, "The FML address to send to"},
                 {"amount", RPC_AMOUNT, true, NULL, "The amount in FML to send. eg 0.1"},
                 {"comment", RPC_STR, false, NULL,
                  "A comment used to store what the transaction is for (wallet only)"},
                 {"comment_to", RPC_STR, false, NULL,
                  "A comment to store the name of the person or organization to which you're "
                  "sending the transaction (wallet only)"},
                 {"subtractfeefromamount", RPC_BOOL, false, "false",
                  "The fee will be deducted from the amount being sent"},
                 {"from_address", RPC_STR, false, NULL,
                  "Send from this wallet address (default: chosen as above)"}},
        .result = "\"hex\"    (string) The transaction id",
        .examples = "fml-cli sendtoaddress rfml1q... 0.1\n"
                    "fml-cli sendtoaddress rfml1q... 0.1 \"donation\" \"seans outpost\"",
    },
    {
        .category = W,
        .name = "sendmany",
        .handler = rpcw_sendmany,
        .summary = "Send to several addresses.  A transaction of this chain has one recipient, "
                   "so sendmany sends one TRANSFER per recipient, all from one wallet account "
                   "(the one with the most spendable funds that covers every amount and fee), "
                   "in consecutive nonces in the order the addresses are given, and returns "
                   "their txids in that order.  Every address and amount, and the total, are "
                   "checked before any transfer is sent.  At most 100 addresses.",
        .args = {{"dummy", RPC_STR, true, NULL, "Must be set to \"\" for backwards compatibility"},
                 {"amounts", RPC_OBJ, true, NULL,
                  "{\"address\": amount, ...}: the amount in FML to send to each address"},
                 {"minconf", RPC_UINT, false, "1", "Ignored (0 or 1): balances are at the tip"},
                 {"comment", RPC_STR, false, NULL, "A comment stored in the wallet (wallet only)"}},
        .result = "[\"hex\", ...]    (json array) The txids of the transfers, one per address, "
                  "in order",
        .examples = "fml-cli sendmany \"\" '{\"rfml1q...\": 0.01, \"rfml1q...\": 0.02}'",
    },
    {
        .category = W,
        .name = "listtransactions",
        .handler = rpcw_listtransactions,
        .summary = "Returns up to 'count' most recent transactions skipping the first 'from' "
                   "transactions, oldest first.  A transaction between two wallet addresses "
                   "shows as a send and a receive.",
        .args = {{"label", RPC_STR, false, "\"*\"",
                  "If set, only entries whose address (the recipient) carries this label"},
                 {"count", RPC_INT, false, "10", "The number of transactions to return"},
                 {"skip", RPC_INT, false, "0", "The number of transactions to skip"},
                 {"include_watchonly", RPC_BOOL, false, "false", "Ignored (no watch-only keys)"}},
        .result = "[\n"
                  "  {\n"
                  "    \"address\": \"str\",      (string) the recipient for sends, the wallet "
                  "address for receives\n"
                  "    \"category\": \"str\",     (string) \"send\" or \"receive\"\n"
                  "    \"amount\": n,           (numeric) FML, negative for send\n"
                  "    \"label\": \"str\",        (string) label of the address, if in the wallet\n"
                  "    \"fee\": n,              (numeric, send only) negative\n"
                  "    \"abandoned\": bool,     (boolean, send only)\n"
                  "    \"confirmations\": n,    (numeric) 0 when unconfirmed\n"
                  "    \"trusted\": bool,       (boolean, unconfirmed only) sent by the wallet\n"
                  "    \"blockhash\", \"blockheight\", \"blockindex\", \"blocktime\"   (when "
                  "confirmed)\n"
                  "    \"txid\": \"hex\", \"nonce\": n, \"time\": n, \"timereceived\": n,\n"
                  "    \"comment\": \"str\", \"to\": \"str\"   (when set)\n"
                  "  }, ...\n"
                  "]",
        .examples = "fml-cli listtransactions\nfml-cli listtransactions \"*\" 20 100",
    },
    {
        .category = W,
        .name = "gettransaction",
        .handler = rpcw_gettransaction,
        .summary = "Get detailed information about in-wallet transaction <txid>.",
        .args = {{"txid", RPC_STR, true, NULL, "The transaction id"},
                 {"include_watchonly", RPC_BOOL, false, "false", "Ignored (no watch-only keys)"},
                 {"verbose", RPC_BOOL, false, "false",
                  "Whether to include a `decoded` field with the decoded transaction"}},
        .result = "{\n"
                  "  \"amount\": n,        (numeric) net FML to the wallet, fee apart\n"
                  "  \"fee\": n,           (numeric, sent by the wallet) negative\n"
                  "  \"confirmations\", \"trusted\", \"blockhash\", \"blockheight\", "
                  "\"blockindex\", \"blocktime\",\n"
                  "  \"txid\", \"nonce\", \"time\", \"timereceived\", \"comment\", \"to\", "
                  "\"abandoned\"   (as listtransactions)\n"
                  "  \"details\": [ {\"address\", \"category\", \"amount\", \"label\", \"fee\", "
                  "\"abandoned\"}, ... ],\n"
                  "  \"hex\": \"hex\",       (string) raw transaction\n"
                  "  \"decoded\": {...}    (verbose only) as getrawtransaction\n"
                  "}",
        .examples = "fml-cli gettransaction \"1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80"
                    "e9d5fbf5d48d\"",
    },
    {
        .category = W,
        .name = "abandontransaction",
        .handler = rpcw_abandontransaction,
        .summary = "Mark an unconfirmed in-wallet transaction that is not in the mempool as "
                   "abandoned (its nonce may then be used by another transaction).",
        .args = {{"txid", RPC_STR, true, NULL, "The transaction id"}},
        .result = "null",
        .examples = "fml-cli abandontransaction \"1075db55d4...\"",
    },
    {
        .category = W,
        .name = "importprivkey",
        .handler = importprivkey,
        .summary = "Adds a private key (64 hex digits, as dumpprivkey returns it) to your "
                   "wallet.  With rescan, the chain is scanned for its transactions, which can "
                   "take time.  Requires an unlocked wallet when encrypted.",
        .args = {{"privkey", RPC_STR, true, NULL, "The private key (see dumpprivkey)"},
                 {"label", RPC_STR, false, "\"\"", "An optional label"},
                 {"rescan", RPC_BOOL, false, "true", "Scan the chain for transactions"}},
        .result = "null",
        .examples = "fml-cli importprivkey \"mykey\"\nfml-cli importprivkey \"mykey\" \"\" false",
    },
    {
        .category = W,
        .name = "dumpprivkey",
        .handler = dumpprivkey,
        .summary = "Reveals the private key of an address (64 hex digits).  Requires an unlocked "
                   "wallet when encrypted.",
        .args = {{"address", RPC_STR, true, NULL, "The FML address for the private key"}},
        .result = "\"str\"    (string) The private key",
        .examples = "fml-cli dumpprivkey rfml1q...",
    },
    {
        .category = W,
        .name = "signmessage",
        .handler = signmessage,
        .summary = "Sign a message with the private key of an address.  Requires an unlocked "
                   "wallet when encrypted.  The signature is a BIP340 Schnorr signature over "
                   "BLAKE2b-256 of the message with personalization \"FML/message\" (zero-padded "
                   "to 16 bytes); check it with verifymessage.",
        .args = {{"address", RPC_STR, true, NULL, "The address whose private key signs"},
                 {"message", RPC_STR, true, NULL, "The message to sign"}},
        .result = "\"hex\"    (string) The signature, 128 hex digits (64 bytes)",
        .examples = "fml-cli signmessage \"rfml1q...\" \"my message\"",
    },
    {
        .category = W,
        .name = "keypoolrefill",
        .handler = keypoolrefill,
        .summary = "Fills the keypool of an encrypted wallet, so that getnewaddress works while "
                   "it is locked.  Requires an unlocked wallet.",
        .args = {{"newsize", RPC_UINT, false, "100", "The new keypool size"}},
        .result = "null",
        .examples = "fml-cli keypoolrefill",
    },
    {
        .category = W,
        .name = "walletpassphrase",
        .handler = walletpassphrase,
        .summary = "Stores the wallet decryption key in memory for 'timeout' seconds (at most "
                   "100000000).  Needed before signing with an encrypted wallet.  Calling it "
                   "again resets the timeout.",
        .args = {{"passphrase", RPC_STR, true, NULL, "The wallet passphrase"},
                 {"timeout", RPC_INT, true, NULL,
                  "The time to keep the decryption key in seconds; 0 locks at once"}},
        .result = "null",
        .examples = "fml-cli walletpassphrase \"my pass phrase\" 60",
    },
    {
        .category = W,
        .name = "walletlock",
        .handler = walletlock,
        .summary = "Removes the wallet encryption key from memory, locking the wallet.",
        .result = "null",
        .examples = "fml-cli walletlock",
    },
    {
        .category = W,
        .name = "walletpassphrasechange",
        .handler = walletpassphrasechange,
        .summary = "Changes the wallet passphrase from 'oldpassphrase' to 'newpassphrase'.",
        .args = {{"oldpassphrase", RPC_STR, true, NULL, "The current passphrase"},
                 {"newpassphrase", RPC_STR, true, NULL, "The new passphrase"}},
        .result = "null",
        .examples = "fml-cli walletpassphrasechange \"old one\" \"new one\"",
    },
    {
        .category = W,
        .name = "encryptwallet",
        .handler = encryptwallet,
        .summary = "Encrypts the wallet with 'passphrase' (the file is rewritten atomically).  "
                   "After this, signing requires walletpassphrase.  Make a new backup.",
        .args = {{"passphrase", RPC_STR, true, NULL,
                  "The pass phrase to encrypt the wallet with. It must be at least 1 character"}},
        .result = "\"str\"    (string) A string with further instructions",
        .examples = "fml-cli encryptwallet \"my pass phrase\"",
    },
    {.category = W, .name = "signrawtransaction", .handler = rpcw_signrawtransaction, SIGNRAW_HELP},
    {.category = W,
     .name = "signrawtransactionwithwallet",
     .handler = rpcw_signrawtransaction,
     SIGNRAW_HELP},
    {
        .category = W,
        .name = "settxfee",
        .handler = rpcw_settxfee,
        .summary = "Set the fee rate of this wallet's sends in FML/kB (0: back to -walletfeerate "
                   "or the default).  The mempool's required rate still applies.  Not kept "
                   "across restarts.",
        .args = {{"amount", RPC_AMOUNT, true, NULL, "The transaction fee rate in FML/kB"}},
        .result = "true|false    (boolean) Returns true if successful",
        .examples = "fml-cli settxfee 0.0001",
    },
    {
        .category = W,
        .name = "rescanblockchain",
        .handler = rpcw_rescanblockchain,
        .summary = "Rescan the active chain from start_height to the tip for the wallet's "
                   "transactions.",
        .args = {{"start_height", RPC_UINT, false, "0", "block height where the rescan should start"}},
        .result = "{\"start_height\": n, \"stop_height\": n}",
        .examples = "fml-cli rescanblockchain 100",
    },
};
const size_t wallet_rpc_methods_count = sizeof(wallet_rpc_methods) / sizeof(wallet_rpc_methods[0]);
