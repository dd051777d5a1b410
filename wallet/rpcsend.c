/* Wallet RPCs that touch balances and transactions: getbalance,
 * getbalances, sendtoaddress, listtransactions, gettransaction,
 * abandontransaction, signrawtransaction, settxfee, rescanblockchain.
 * Their table entries (arguments and help) are in wallet/rpcwallet.c.
 *
 * Amounts follow bitcoind: FML decimals, negative for what leaves the
 * wallet.  No reply or error carries a secret. */
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/bech32.h"
#include "rpc/util.h"
#include "util/hmap.h"
#include "util/log.h"
#include "util/time.h"
#include "wallet/rpcinternal.h"
#include "wallet/txkinds.h"

#include <stdlib.h>
#include <string.h>

json_t *rpcw_amount(uint64_t units, bool negative)
{
    return json_amount_signed(units, negative);
}

/* What a transaction moves: the recipient and amount of a payment
 * (wallet/txkinds.c says which types are payments). */
struct flow {
    bool has_to;
    uint8_t to[PUBKEY_SIZE];
    uint64_t amount;
};

static void tx_flow(const struct tx *tx, struct flow *f)
{
    memset(f, 0, sizeof(*f));
    f->has_to = wallet_tx_payment(tx, f->to, &f->amount);
}

/* A handed-out key of the wallet (the keypool is not the user's yet). */
static bool is_mine(const struct wallet *w, const uint8_t pub[PUBKEY_SIZE])
{
    struct wallet_key_info info;
    return wallet_key_info(w, pub, &info);
}

bool rpcw_balance(struct rpc_call *call, struct wallet *w, uint64_t *total)
{
    struct wallet_key_info k;
    *total = 0;
    for (size_t i = 0; wallet_key_at(w, i, &k); i++) {
        struct account a;
        if (!rpcw_account(call, k.pub, &a))
            return false;
        if (!amount_add(total, a.balance)) {
            rpc_error(call, RPC_INTERNAL_ERROR, "Balance overflow");
            return false;
        }
    }
    return true;
}

json_t *rpcw_getbalance(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint64_t total;
    if (!w)
        return NULL;
    const char *dummy = rpc_str(call, 0, NULL);
    if (dummy && strcmp(dummy, "*") != 0)
        return rpc_error(call, RPC_METHOD_DEPRECATED,
                         "dummy first argument must be excluded or set to \"*\".");
    if (rpc_uint(call, 1, 0) > 1)
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "minconf above 1 is not supported: account balances exist at the tip only");
    if (!rpcw_balance(call, w, &total))
        return NULL;
    return json_amount(total);
}

struct untrusted {
    const struct wallet *w;
    uint64_t sum;
};

static bool add_untrusted(void *arg, const struct tx *tx)
{
    struct untrusted *u = arg;
    struct flow f;
    tx_flow(tx, &f);
    if (f.has_to && is_mine(u->w, f.to) && !is_mine(u->w, tx->sender))
        (void)amount_add(&u->sum, f.amount);
    return true;
}

/* Incoming mempool payments to the wallet from senders outside it. */
static uint64_t untrusted_pending(struct rpc_call *call, struct wallet *w)
{
    const struct wallet_chain *c = rpcw_chain(call);
    struct untrusted u = {w, 0};
    if (!rpcw_has_mempool(call))
        return 0;
    (void)c->each_tx(c->ctx, add_untrusted, &u);
    return u.sum;
}

static json_t *last_block(struct wallet *w)
{
    uint8_t hash[HASH_SIZE];
    uint64_t height;
    if (!wallet_best_block(w, hash, &height))
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "hash", json_hash(hash));
    json_object_set_new(o, "height", json_integer((json_int_t)height));
    return o;
}

json_t *rpcw_getbalances(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint64_t total;
    if (!w || !rpcw_balance(call, w, &total))
        return NULL;
    json_t *mine = json_object();
    json_object_set_new(mine, "trusted", json_amount(total));
    json_object_set_new(mine, "untrusted_pending", json_amount(untrusted_pending(call, w)));
    json_object_set_new(mine, "immature", json_amount(0));
    json_t *o = json_object();
    json_object_set_new(o, "mine", mine);
    json_object_set_new(o, "lastprocessedblock", last_block(w));
    return o;
}

/* ---- sendtoaddress ---- */

struct spends {
    const struct wallet *w;
    struct hmap *out;
};

static bool add_spend(void *arg, const struct tx *tx)
{
    struct spends *sp = arg;
    if (!wallet_has_key(sp->w, tx->sender))
        return true;
    struct flow f;
    tx_flow(tx, &f);
    uint64_t *sum = hmap_get(sp->out, tx->sender, PUBKEY_SIZE);
    if (!sum) {
        sum = calloc(1, sizeof(*sum));
        if (!sum || !hmap_put(sp->out, tx->sender, PUBKEY_SIZE, sum, NULL)) {
            free(sum);
            return false;
        }
    }
    /* Saturating: more than the supply means "nothing available". */
    if (!amount_add(sum, tx->fee) || !amount_add(sum, f.amount))
        *sum = MAX_SUPPLY;
    return true;
}

/* What each wallet sender has pending in the mempool (amounts and fees). */
static bool pending_spends(const struct wallet_chain *c, const struct wallet *w, struct hmap *out)
{
    struct spends sp = {w, out};
    return c->each_tx(c->ctx, add_spend, &sp);
}

/* Spendable now: the confirmed balance less what the mempool already
 * spends from the account. */
static bool available(struct rpc_call *call, const struct hmap *pending,
                      const uint8_t pub[PUBKEY_SIZE], uint64_t *avail)
{
    struct account a;
    if (!rpcw_account(call, pub, &a))
        return false;
    const uint64_t *p = hmap_get(pending, pub, PUBKEY_SIZE);
    *avail = a.balance;
    if (p && !amount_sub(avail, *p))
        *avail = 0;
    return true;
}

uint64_t rpcw_fee_for(uint64_t rate, size_t size)
{
    return (uint64_t)(((unsigned __int128)rate * size + 999) / 1000);
}

json_t *rpcw_sendtoaddress(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t to[PUBKEY_SIZE], from[PUBKEY_SIZE];
    if (!w || !rpc_arg_address(call, 0, to))
        return NULL;
    uint64_t amount = rpc_amount(call, 1, 0);
    const char *comment = rpc_str(call, 2, "");
    const char *comment_to = rpc_str(call, 3, "");
    bool subtract = rpc_bool(call, 4, false);
    bool from_given = rpc_has(call, 5);
    if (amount == 0)
        return rpc_error(call, RPC_TYPE_ERROR, "Invalid amount for send");
    if (strlen(comment) > WALLET_COMMENT_MAX || strlen(comment_to) > WALLET_COMMENT_MAX)
        return rpc_error(call, RPC_INVALID_PARAMETER, "Comment too long (at most %d bytes)",
                         WALLET_COMMENT_MAX);
    if (from_given) {
        if (!rpc_arg_address(call, 5, from))
            return NULL;
        if (!is_mine(w, from))
            return rpc_error(call, RPC_WALLET_ERROR, "from_address %.100s is not in the wallet",
                             rpc_str(call, 5, ""));
    }
    if (!rpcw_has_mempool(call))
        return rpc_error(call, RPC_MISC_ERROR, "The node has no mempool");
    if (!rpcw_unlocked(call, w))
        return NULL;

    /* The fee: every TRANSFER has the same size, so size it before
     * choosing the account. */
    struct tx tx;
    struct transfer t = {.amount = amount};
    struct wbuf pl;
    tx_init(&tx);
    tx.version = TX_VERSION;
    tx.type = TX_TRANSFER;
    memcpy(t.to, to, PUBKEY_SIZE);
    wbuf_init(&pl);
    transfer_encode(&t, &pl);
    if (pl.failed || !tx_set_payload(&tx, pl.data, pl.len)) {
        wbuf_free(&pl);
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    }
    uint64_t fee = rpcw_fee_for(rpcw_fee_rate(call, w), tx_encoded_size(&tx));
    uint64_t need = amount;
    if (subtract && amount <= fee) {
        wbuf_free(&pl);
        tx_free(&tx);
        return rpc_error(call, RPC_WALLET_ERROR, "The transaction amount is too small to pay the fee");
    }
    if (!subtract && !amount_add(&need, fee)) {
        wbuf_free(&pl);
        tx_free(&tx);
        return rpc_error(call, RPC_TYPE_ERROR, "Amount out of range");
    }

    /* The account: the one given, or the largest that covers it. */
    struct hmap pending;
    hmap_init(&pending);
    bool found = false, ok = pending_spends(rpcw_chain(call), w, &pending);
    uint64_t best = 0, avail;
    if (!ok)
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    if (ok && from_given) {
        ok = available(call, &pending, from, &avail);
        found = ok && avail >= need;
    }
    /* Paying oneself from the recipient account is the last resort. */
    struct wallet_key_info k;
    for (int pass = 0; ok && !from_given && !found && pass < 2; pass++) {
        for (size_t i = 0; ok && wallet_key_at(w, i, &k); i++) {
            if ((memcmp(k.pub, to, PUBKEY_SIZE) == 0) != (pass == 1))
                continue;
            ok = available(call, &pending, k.pub, &avail);
            if (ok && avail >= need && (!found || avail > best)) {
                found = true;
                best = avail;
                memcpy(from, k.pub, PUBKEY_SIZE);
            }
        }
    }
    hmap_free(&pending, free);
    if (ok && !found)
        rpc_error(call, RPC_WALLET_INSUFFICIENT_FUNDS, "Insufficient funds");
    if (!ok || !found) {
        wbuf_free(&pl);
        tx_free(&tx);
        return NULL;
    }

    if (subtract) {
        t.amount = amount - fee;
        wbuf_reset(&pl);
        transfer_encode(&t, &pl);
        ok = !pl.failed && tx_set_payload(&tx, pl.data, pl.len);
    }
    wbuf_free(&pl);
    memcpy(tx.sender, from, PUBKEY_SIZE);
    tx.fee = fee;
    if (!ok) {
        tx_free(&tx);
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    }
    json_t *res = rpcw_sign_and_submit(call, w, &tx, comment, comment_to);
    tx_free(&tx);
    return res;
}

/* ---- sendmany ---- */

#define SENDMANY_MAX 100

json_t *rpcw_sendmany(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    if (!w)
        return NULL;
    if (strcmp(rpc_str(call, 0, ""), "") != 0)
        return rpc_error(call, RPC_INVALID_PARAMETER, "Dummy value must be set to \"\"");
    const json_t *amounts = rpc_json(call, 1);
    const char *comment = rpc_str(call, 3, "");
    size_t n = json_object_size(amounts);
    if (n == 0 || n > SENDMANY_MAX)
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "Invalid parameter, amounts must name between 1 and %d addresses",
                         SENDMANY_MAX);
    if (rpc_uint(call, 2, 1) > 1)
        return rpc_error(call, RPC_INVALID_PARAMETER,
                         "minconf above 1 is not supported: account balances exist at the tip only");
    if (strlen(comment) > WALLET_COMMENT_MAX)
        return rpc_error(call, RPC_INVALID_PARAMETER, "Comment too long (at most %d bytes)",
                         WALLET_COMMENT_MAX);
    uint8_t(*to)[PUBKEY_SIZE] = calloc(n, PUBKEY_SIZE);
    uint64_t *amt = calloc(n, sizeof(*amt));
    json_t *res = NULL;
    struct tx tx;
    tx_init(&tx);
    if (!to || !amt) {
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
        goto out;
    }
    /* Every recipient and amount is checked before anything is sent. */
    const char *key;
    const json_t *val;
    size_t i = 0;
    json_object_foreach((json_t *)amounts, key, val) {
        const char *err = NULL;
        if (!address_decode(to[i], rpc_env(call)->params->hrp, key)) {
            rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Invalid FML address: %.100s", key);
            goto out;
        }
        if (!rpc_parse_amount_err(val, &amt[i], &err) || amt[i] == 0) {
            rpc_error(call, RPC_TYPE_ERROR, "%s", err ? err : "Invalid amount for send");
            goto out;
        }
        i++;
    }
    if (!rpcw_has_mempool(call)) {
        rpc_error(call, RPC_MISC_ERROR, "The node has no mempool");
        goto out;
    }
    if (!rpcw_unlocked(call, w))
        goto out;

    /* All transfers have the same size: the fee of one sizes them all. */
    struct transfer t = {.amount = amt[0]};
    struct wbuf pl;
    tx.version = TX_VERSION;
    tx.type = TX_TRANSFER;
    memcpy(t.to, to[0], PUBKEY_SIZE);
    wbuf_init(&pl);
    transfer_encode(&t, &pl);
    bool ok = !pl.failed && tx_set_payload(&tx, pl.data, pl.len);
    wbuf_free(&pl);
    if (!ok) {
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
        goto out;
    }
    uint64_t fee = rpcw_fee_for(rpcw_fee_rate(call, w), tx_encoded_size(&tx)), need = 0;
    for (i = 0; i < n; i++)
        if (!amount_add(&need, amt[i]) || !amount_add(&need, fee)) {
            rpc_error(call, RPC_TYPE_ERROR, "Amount out of range");
            goto out;
        }

    /* One account pays all: the largest that covers the total. */
    struct hmap pending;
    uint8_t from[PUBKEY_SIZE];
    uint64_t best = 0, avail;
    bool found = false;
    struct wallet_key_info k;
    hmap_init(&pending);
    ok = pending_spends(rpcw_chain(call), w, &pending);
    if (!ok)
        rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    for (i = 0; ok && wallet_key_at(w, i, &k); i++) {
        ok = available(call, &pending, k.pub, &avail);
        if (ok && avail >= need && (!found || avail > best)) {
            found = true;
            best = avail;
            memcpy(from, k.pub, PUBKEY_SIZE);
        }
    }
    hmap_free(&pending, free);
    if (ok && !found)
        rpc_error(call, RPC_WALLET_INSUFFICIENT_FUNDS, "Insufficient funds");
    if (!ok || !found)
        goto out;

    res = json_array();
    for (i = 0; i < n; i++) {
        struct tx one;
        tx_init(&one);
        one.version = TX_VERSION;
        one.type = TX_TRANSFER;
        one.fee = fee;
        memcpy(one.sender, from, PUBKEY_SIZE);
        t.amount = amt[i];
        memcpy(t.to, to[i], PUBKEY_SIZE);
        wbuf_init(&pl);
        transfer_encode(&t, &pl);
        ok = !pl.failed && tx_set_payload(&one, pl.data, pl.len);
        wbuf_free(&pl);
        json_t *txid = ok ? rpcw_sign_and_submit(call, w, &one, comment, "") : NULL;
        tx_free(&one);
        if (!ok)
            rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
        if (!txid) {
            json_decref(res);
            res = NULL;
            goto out;
        }
        json_array_append_new(res, txid);
    }
out:
    tx_free(&tx);
    free(to);
    free(amt);
    return res;
}

uint64_t rpcw_fee_rate(struct rpc_call *call, struct wallet *w)
{
    struct rpc_env *env = rpc_env(call);
    uint64_t rate = wallet_pay_fee_rate(w) ? wallet_pay_fee_rate(w) : wallets_fee_rate(env->wallets);
    const struct wallet_chain *c = rpcw_chain(call);
    if (rpcw_has_mempool(call) && c->required_fee_rate(c->ctx) > rate)
        rate = c->required_fee_rate(c->ctx);
    return rate;
}

json_t *rpcw_sign_and_submit(struct rpc_call *call, struct wallet *w, struct tx *tx,
                             const char *comment, const char *comment_to)
{
    struct rpc_env *env = rpc_env(call);
    const struct wallet_chain *c = rpcw_chain(call);
    struct validation v;
    uint8_t txid[HASH_SIZE];
    char err[256];
    if (!rpcw_has_mempool(call))
        return rpc_error(call, RPC_MISC_ERROR, "The node has no mempool");
    tx->nonce = c->next_nonce(c->ctx, tx->sender);
    if (!wallet_sign_tx(w, tx, env->params->genesis_hash))
        return rpc_error(call, wallet_is_locked(w) ? RPC_WALLET_UNLOCK_NEEDED : RPC_WALLET_ERROR,
                         "%s", wallet_error(w));
    /* Recorded (fsync'd) only once the mempool took it, and before the
     * node lock is released: what the mempool refuses leaves no record. */
    if (!wallet_submit_tx(w, c, tx, time_now(), comment, comment_to, &v, err,
                          sizeof(err))) {
        if (v.code != REJECT_NONE)
            return rpc_error(call, RPC_VERIFY_REJECTED, "%s", err);
        return rpc_error(call, RPC_WALLET_ERROR, "Error: %s", err);
    }
    tx_txid(tx, txid);
    return json_hash(txid);
}

json_t *rpcw_submit_payload(struct rpc_call *call, struct wallet *w,
                            const uint8_t sender[PUBKEY_SIZE], uint8_t type,
                            const struct wbuf *payload)
{
    struct tx tx;
    tx_init(&tx);
    tx.type = type;
    memcpy(tx.sender, sender, PUBKEY_SIZE);
    if (payload->failed || !tx_set_payload(&tx, payload->data, payload->len)) {
        tx_free(&tx);
        return rpc_error(call, RPC_OUT_OF_MEMORY, "Out of memory");
    }
    tx.fee = rpcw_fee_for(rpcw_fee_rate(call, w), tx_encoded_size(&tx));
    json_t *res = rpcw_sign_and_submit(call, w, &tx, "", "");
    tx_free(&tx);
    return res;
}

/* ---- history ---- */

static int64_t confirmations(struct rpc_call *call, const struct wallet_tx *t)
{
    const struct wallet_chain *c = rpcw_chain(call);
    uint64_t height;
    if (t->state != WALLET_TX_CONFIRMED || !c ||
        !c->in_active_chain(c->ctx, t->block_hash, &height))
        return 0;
    return (int64_t)(rpcw_tip_height(call) - t->block_height + 1);
}

/* The fields every entry of a transaction shares (bitcoind's
 * WalletTxToJSON). */
static void tx_fields(struct rpc_call *call, const struct wallet *w, const struct wallet_tx *t,
                      json_t *o)
{
    int64_t conf = confirmations(call, t);
    json_object_set_new(o, "confirmations", json_integer(conf));
    if (conf == 0 && t->state != WALLET_TX_ABANDONED)
        json_object_set_new(o, "trusted", json_boolean(wallet_has_key(w, t->tx.sender)));
    if (conf > 0) {
        json_object_set_new(o, "blockhash", json_hash(t->block_hash));
        json_object_set_new(o, "blockheight", json_integer((json_int_t)t->block_height));
        json_object_set_new(o, "blockindex", json_integer(t->block_index));
        json_object_set_new(o, "blocktime", json_integer((json_int_t)t->block_time));
    }
    json_object_set_new(o, "txid", json_hash(t->txid));
    json_object_set_new(o, "nonce", json_integer((json_int_t)t->tx.nonce));
    json_object_set_new(o, "time", json_integer((json_int_t)t->time));
    json_object_set_new(o, "timereceived", json_integer((json_int_t)t->time));
    if (t->comment[0])
        json_object_set_new(o, "comment", json_string(t->comment));
    if (t->comment_to[0])
        json_object_set_new(o, "to", json_string(t->comment_to));
}

static void put_label(const struct wallet *w, const uint8_t pub[PUBKEY_SIZE], json_t *o)
{
    struct wallet_key_info k;
    if (wallet_key_info(w, pub, &k))
        json_object_set_new(o, "label", json_string(k.label));
}

/* One detail entry (send or receive) of a transaction. */
static json_t *detail(struct rpc_call *call, const struct wallet *w, const struct wallet_tx *t,
                      bool send)
{
    const struct chain_params *p = rpc_env(call)->params;
    struct flow f;
    tx_flow(&t->tx, &f);
    json_t *o = json_object();
    if (send) {
        json_object_set_new(o, "address", f.has_to ? json_address(p, f.to) : json_null());
        json_object_set_new(o, "category", json_string("send"));
        json_object_set_new(o, "amount", rpcw_amount(f.amount, true));
        if (f.has_to)
            put_label(w, f.to, o);
        json_object_set_new(o, "fee", rpcw_amount(t->tx.fee, true));
        json_object_set_new(o, "abandoned", json_boolean(t->state == WALLET_TX_ABANDONED));
    } else {
        json_object_set_new(o, "address", json_address(p, f.to));
        json_object_set_new(o, "category", json_string("receive"));
        json_object_set_new(o, "amount", json_amount(f.amount));
        put_label(w, f.to, o);
    }
    return o;
}

/* Whether a send / receive entry exists, and its label filter. */
static bool entry_matches(const struct wallet *w, const struct wallet_tx *t, bool send,
                          const char *label)
{
    struct flow f;
    struct wallet_key_info k;
    tx_flow(&t->tx, &f);
    if (send ? !is_mine(w, t->tx.sender) : !(f.has_to && is_mine(w, f.to)))
        return false;
    if (!label)
        return true;
    return f.has_to && wallet_key_info(w, f.to, &k) && strcmp(k.label, label) == 0;
}

json_t *rpcw_listtransactions(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    if (!w)
        return NULL;
    const char *label = rpc_str(call, 0, "*");
    int64_t count = rpc_int(call, 1, 10), skip = rpc_int(call, 2, 0);
    if (strcmp(label, "*") == 0)
        label = NULL;
    if (count < 0)
        return rpc_error(call, RPC_INVALID_PARAMETER, "Negative count");
    if (skip < 0)
        return rpc_error(call, RPC_INVALID_PARAMETER, "Negative from");

    /* Entries newest last; the window is the last `count` after skipping
     * `skip` from the end, shown oldest first (as bitcoind). */
    size_t total = 0;
    for (size_t i = 0; i < wallet_tx_count(w); i++)
        for (int send = 1; send >= 0; send--)
            total += entry_matches(w, wallet_tx_at(w, i), send, label);
    uint64_t end = total > (uint64_t)skip ? total - (uint64_t)skip : 0;
    uint64_t begin = end > (uint64_t)count ? end - (uint64_t)count : 0;
    json_t *out = json_array();
    size_t pos = 0;
    for (size_t i = 0; i < wallet_tx_count(w) && pos < end; i++) {
        const struct wallet_tx *t = wallet_tx_at(w, i);
        for (int send = 1; send >= 0; send--) {
            if (!entry_matches(w, t, send, label))
                continue;
            if (pos >= begin && pos < end) {
                json_t *o = detail(call, w, t, send);
                tx_fields(call, w, t, o);
                json_array_append_new(out, o);
            }
            pos++;
        }
    }
    return out;
}

json_t *rpcw_gettransaction(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct wallet *w = rpcw_wallet(call);
    uint8_t txid[HASH_SIZE];
    if (!w || !rpc_arg_hash(call, 0, "txid", txid))
        return NULL;
    const struct wallet_tx *t = wallet_tx_find(w, txid);
    if (!t)
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Invalid or non-wallet transaction id");
    struct flow f;
    tx_flow(&t->tx, &f);
    bool from_me = is_mine(w, t->tx.sender), to_me = f.has_to && is_mine(w, f.to);
    /* Net effect on the wallet, fee apart (as bitcoind). */
    uint64_t in = to_me ? f.amount : 0, out = from_me ? f.amount : 0;
    json_t *o = json_object();
    json_object_set_new(o, "amount", in >= out ? json_amount(in - out) : rpcw_amount(out - in, true));
    if (from_me)
        json_object_set_new(o, "fee", rpcw_amount(t->tx.fee, true));
    tx_fields(call, w, t, o);
    if (from_me)
        json_object_set_new(o, "abandoned", json_boolean(t->state == WALLET_TX_ABANDONED));
    json_t *details = json_array();
    if (from_me)
        json_array_append_new(details, detail(call, w, t, true));
    if (to_me)
        json_array_append_new(details, detail(call, w, t, false));
    json_object_set_new(o, "details", details);
    struct wbuf raw;
    wbuf_init(&raw);
    tx_encode(&t->tx, &raw);
    json_object_set_new(o, "hex", json_hex(raw.data, raw.len));
    wbuf_free(&raw);
    if (rpc_bool(call, 2, false))
        json_object_set_new(o, "decoded", tx_to_json(env->params, &t->tx));
    return o;
}

json_t *rpcw_abandontransaction(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    uint8_t txid[HASH_SIZE];
    char err[256];
    if (!w || !rpc_arg_hash(call, 0, "txid", txid))
        return NULL;
    if (!wallet_tx_find(w, txid))
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "Invalid or non-wallet transaction id");
    const struct wallet_chain *c = rpcw_chain(call);
    if (rpcw_has_mempool(call) && c->has_tx(c->ctx, txid))
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY,
                         "Transaction not eligible for abandonment");
    if (!wallet_abandon_tx(w, txid, err, sizeof(err)))
        return rpc_error(call, RPC_INVALID_ADDRESS_OR_KEY, "%s", err);
    return json_null();
}

/* ---- signing ---- */

json_t *rpcw_signrawtransaction(struct rpc_call *call)
{
    const struct chain_params *p = rpc_env(call)->params;
    struct wallet *w = rpcw_wallet(call);
    size_t len;
    struct tx tx;
    if (!w)
        return NULL;
    const uint8_t *raw = rpc_hex(call, 0, &len);
    tx_init(&tx);
    if (!raw || !tx_decode(&tx, raw, len))
        return rpc_error(call, RPC_DESERIALIZATION_ERROR, "TX decode failed");
    json_t *errors = json_array();
    if (wallet_has_key(w, tx.sender)) {
        if (!rpcw_unlocked(call, w)) {
            tx_free(&tx);
            json_decref(errors);
            return NULL;
        }
        if (!wallet_sign_tx(w, &tx, p->genesis_hash)) {
            tx_free(&tx);
            json_decref(errors);
            return rpc_error(call, RPC_WALLET_ERROR, "%s", wallet_error(w));
        }
    } else {
        uint8_t sighash[HASH_SIZE];
        tx_sighash(&tx, p->genesis_hash, sighash);
        if (!key_verify(tx.sig, sighash, HASH_SIZE, tx.sender)) {
            json_t *e = json_object();
            json_object_set_new(e, "sender", json_address(p, tx.sender));
            json_object_set_new(e, "nonce", json_integer((json_int_t)tx.nonce));
            json_object_set_new(e, "error",
                                json_string("Unable to sign: the sender's key is not in the "
                                            "wallet, and the transaction is not signed"));
            json_array_append_new(errors, e);
        }
    }
    struct wbuf out;
    wbuf_init(&out);
    tx_encode(&tx, &out);
    tx_free(&tx);
    json_t *o = json_object();
    json_object_set_new(o, "hex", json_hex(out.data, out.len));
    json_object_set_new(o, "complete", json_boolean(json_array_size(errors) == 0));
    wbuf_free(&out);
    if (json_array_size(errors))
        json_object_set_new(o, "errors", errors);
    else
        json_decref(errors);
    return o;
}

/* ---- settings and rescans ---- */

json_t *rpcw_settxfee(struct rpc_call *call)
{
    struct wallet *w = rpcw_wallet(call);
    if (!w)
        return NULL;
    uint64_t rate = rpc_amount(call, 0, 0);
    const struct wallet_chain *c = rpcw_chain(call);
    if (rate && rpcw_has_mempool(call) && rate < c->min_fee_rate(c->ctx))
        return rpc_error(call, RPC_INVALID_PARAMETER, "txfee cannot be less than min relay tx fee");
    wallet_set_pay_fee_rate(w, rate);
    return json_true();
}

json_t *rpcw_rescanblockchain(struct rpc_call *call)
{
    struct rpc_env *env = rpc_env(call);
    struct wallet *w = rpcw_wallet(call);
    char err[256];
    if (!w)
        return NULL;
    uint64_t start = rpc_uint(call, 0, 0), tip = rpcw_tip_height(call);
    if (start > tip)
        return rpc_error(call, RPC_INVALID_PARAMETER, "Invalid start_height");
    if (!wallets_rescan(env->wallets, w, start, err, sizeof(err)))
        return rpc_error(call, RPC_WALLET_ERROR, "%s", err);
    json_t *o = json_object();
    json_object_set_new(o, "start_height", json_integer((json_int_t)start));
    json_object_set_new(o, "stop_height", json_integer((json_int_t)rpcw_tip_height(call)));
    return o;
}
