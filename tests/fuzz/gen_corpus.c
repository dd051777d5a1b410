/* Writes the seed corpora of the fuzz targets: valid encodings made with
 * the encoders of consensus/ and p2p/ (transactions of every type signed by
 * the regtest validator keys, blocks, headers, every P2P message and framed
 * streams, FL payloads and records), the BIP173/BIP350 strings, JSON-RPC
 * requests, CSV files and wallet files.
 *
 *   tests/fuzz/gen_corpus DIR     (DIR/<target>/<name> for every seed)
 *
 * Its output is checked in under tests/fuzz/corpus/; run it again only to
 * refresh the seeds (wallet files hold fresh random keys each time). */
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/arena.h"
#include "consensus/bech32.h"
#include "consensus/block.h"
#include "consensus/finality.h"
#include "consensus/fl.h"
#include "consensus/fltx.h"
#include "consensus/genesis.h"
#include "consensus/market.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "consensus/stakingtx.h"
#include "consensus/tx.h"
#include "p2p/framing.h"
#include "p2p/messages.h"
#include "state/undo.h"
#include "tests/fuzz/task.h"
#include "wallet/wallet.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *root;
static struct chain_params params;
static uint8_t secrets[4][SECKEY_SIZE];
static uint8_t pubs[4][PUBKEY_SIZE];

static void die(const char *what)
{
    fprintf(stderr, "gen_corpus: %s\n", what);
    exit(1);
}

static void put_file(const char *target, const char *name, const void *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", root, target);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
        die(path);
}

/* A seed that is selector | bytes. */
static void put_sel(const char *target, const char *name, uint8_t sel, const void *p, size_t n)
{
    uint8_t *buf = malloc(n + 1);
    if (!buf)
        die("out of memory");
    buf[0] = sel;
    if (n)
        memcpy(buf + 1, p, n);
    put_file(target, name, buf, n + 1);
    free(buf);
}

static void put_text(const char *target, const char *name, const char *s)
{
    put_file(target, name, s, strlen(s));
}

/* ---- payloads of every type ---- */

struct payload {
    const char *name;
    uint8_t type;
    struct wbuf w;
};

#define NPAYLOADS 33
static struct payload payloads[NPAYLOADS];
static int32_t weights[] = {65536, -32768, 0, 1, -1, 123456, 7, -99999, 65536 * 3, 42};
static uint8_t norm[2 * 8];
static uint8_t norm8[8 * 8];
static uint8_t allow[2][PUBKEY_SIZE];

static void fill(uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v + i);
}

static void make_header(struct block_header *h, uint64_t slot, int who)
{
    memset(h, 0, sizeof(*h));
    h->version = BLOCK_VERSION;
    h->height = 1;
    memcpy(h->prev, params.genesis_hash, HASH_SIZE);
    h->slot = slot;
    h->time = params.genesis_time + slot * params.slot_seconds;
    memcpy(h->proposer, pubs[who], PUBKEY_SIZE);
    fill(h->randao_reveal, HASH_SIZE, (uint8_t)slot);
    if (!header_sign(h, params.genesis_hash, secrets[who], NULL))
        die("header_sign");
}

static struct fl_task_params task_params(bool with_init, bool with_allow)
{
    struct fl_task_params t;
    memset(&t, 0, sizeof(t));
    t.spec.kind = FL_MODEL_LOGREG;
    t.spec.n_sizes = 2;
    t.spec.sizes[0] = 2;
    t.spec.sizes[1] = 1;
    for (int i = 0; i < 2; i++) {
        write_le32(norm + 8 * i, (uint32_t)(i * 65536));
        write_le32(norm + 8 * i + 4, 65536);
    }
    t.spec.n_norm = 2;
    t.spec.norm = norm;
    if (with_init) {
        t.n_init = 3; /* 2 weights and a bias */
        t.init = (const uint8_t *)weights;
    }
    t.rounds = 3;
    t.min_participants = 2;
    t.max_participants = 4;
    t.min_stake = 100000000;
    t.proposer_slots = 2;
    t.join_blocks = 5;
    t.submit_blocks = 3;
    t.update_reveal_blocks = 2;
    t.commit_blocks = 2;
    t.reveal_blocks = 2;
    t.aggregator = FL_AGG_TRIMMED_MEAN;
    t.trim_k = 1;
    t.slash_bps = 1000;
    t.voter_reward_bps = 2000;
    t.budget = 1000000000;
    if (with_allow) {
        memset(allow[0], 0x11, PUBKEY_SIZE);
        memset(allow[1], 0x22, PUBKEY_SIZE);
        t.n_allow = 2;
        t.allow = allow[0];
    }
    return t;
}

static struct arena_task_params arena_params(void)
{
    struct arena_task_params t;
    memset(&t, 0, sizeof(t));
    t.spec.kind = FL_MODEL_LOGREG;
    t.spec.n_sizes = 2;
    t.spec.sizes[0] = 8;
    t.spec.sizes[1] = 1;
    t.spec.n_norm = 8;
    t.spec.norm = norm8;
    t.loss = ARENA_LOSS_LOGLOSS;
    fill(t.data_hash, HASH_SIZE, 50);
    strcpy(t.uri, "https://example.org/pima.csv");
    t.uri_len = (uint16_t)strlen(t.uri);
    t.k = 3;
    for (int i = 0; i < 3; i++) {
        fill(t.sets[i].root, HASH_SIZE, (uint8_t)(60 + i));
        t.sets[i].n_chunks = (uint16_t)(1 + i);
        t.sets[i].n_rows = 50;
    }
    t.submit_blocks = 10;
    t.reveal_blocks = 10;
    t.score_commit_blocks = 10;
    t.score_reveal_blocks = 10;
    t.budget = 100 * 100000000ull;
    t.gamma_bps = 2000;
    t.q_bps = 5000;
    t.delta_bps = 5000;
    t.d_bps = 1000;
    t.epsilon = 64;
    t.vest_epochs = 4;
    t.draws_per_set = 3;
    t.max_trainers = 8;
    t.max_validators = 4;
    t.trainer_min_stake = 100000000;
    t.validator_min_stake = 100000000;
    t.slash_bps = 1000;
    return t;
}

static void make_payloads(void)
{
    struct payload *p = payloads;
    for (int i = 0; i < NPAYLOADS; i++)
        wbuf_init(&payloads[i].w);

    struct transfer tr;
    memcpy(tr.to, pubs[1], PUBKEY_SIZE);
    tr.amount = 250000000;
    p->name = "transfer", p->type = TX_TRANSFER;
    transfer_encode(&tr, &p->w), p++;

    struct validator_register vr = {.stake = 100000000000ull, .commission_bps = 500};
    fill(vr.randao_commit, HASH_SIZE, 3);
    p->name = "validator_register", p->type = TX_VALIDATOR_REGISTER;
    validator_register_encode(&vr, &p->w), p++;

    p->name = "stake_add", p->type = TX_STAKE_ADD;
    stake_amount_encode(5000000000ull, &p->w), p++;
    p->name = "unbond", p->type = TX_UNBOND;
    stake_amount_encode(1000000000ull, &p->w), p++;

    struct delegation_change d;
    memcpy(d.validator, pubs[2], PUBKEY_SIZE);
    d.amount = 10000000000ull;
    p->name = "delegate", p->type = TX_DELEGATE;
    delegation_change_encode(&d, &p->w), p++;
    d.amount = UNDELEGATE_ALL;
    p->name = "undelegate", p->type = TX_UNDELEGATE;
    delegation_change_encode(&d, &p->w), p++;

    struct evidence e;
    make_header(&e.a, 7, 3);
    e.b = e.a;
    e.b.time += 1;
    if (!header_sign(&e.b, params.genesis_hash, secrets[3], NULL))
        die("header_sign");
    p->name = "evidence", p->type = TX_EVIDENCE;
    evidence_encode(&e, &p->w), p++;

    p->name = "unjail", p->type = TX_UNJAIL;
    p++;
    struct validator_edit ve = {.commission_bps = 900, .description_len = 5};
    memcpy(ve.description, "node1", 5);
    p->name = "validator_edit", p->type = TX_VALIDATOR_EDIT;
    validator_edit_encode(&ve, &p->w), p++;

    struct fl_task_params t = task_params(true, true);
    p->name = "fl_task_create", p->type = TX_FL_TASK_CREATE;
    fl_task_params_encode(&t, &p->w), p++;

    struct fl_join j = {.stake = 200000000};
    fill(j.task, FL_TASK_ID_SIZE, 9);
    p->name = "fl_join", p->type = TX_FL_JOIN;
    fl_join_encode(&j, &p->w), p++;

    struct fl_update_commit uc = {.round = 1};
    fill(uc.task, FL_TASK_ID_SIZE, 9);
    fill(uc.commitment, HASH_SIZE, 76);
    p->name = "fl_update_commit", p->type = TX_FL_UPDATE_COMMIT;
    fl_update_commit_encode(&uc, &p->w), p++;

    struct fl_update_reveal u = {.round = 1, .n = 3, .weights = (const uint8_t *)weights};
    fill(u.task, FL_TASK_ID_SIZE, 9);
    fill(u.salt, 32, 6);
    p->name = "fl_update_reveal", p->type = TX_FL_UPDATE_REVEAL;
    fl_update_reveal_encode(&u, &p->w), p++;

    struct fl_vote_commit c = {.round = 1};
    fill(c.task, FL_TASK_ID_SIZE, 9);
    fill(c.commitment, HASH_SIZE, 77);
    p->name = "fl_vote_commit", p->type = TX_FL_VOTE_COMMIT;
    fl_vote_commit_encode(&c, &p->w), p++;

    static uint8_t verdicts[2 * FL_VERDICT_SIZE];
    verdicts[0] = 1;
    write_le32(verdicts + 1, 52000);
    verdicts[5] = (uint8_t)-1;
    write_le32(verdicts + 6, 31000);
    struct fl_vote_reveal rv = {.round = 1, .n = 2, .verdicts = verdicts};
    fill(rv.task, FL_TASK_ID_SIZE, 9);
    fill(rv.salt, 32, 5);
    p->name = "fl_vote_reveal", p->type = TX_FL_VOTE_REVEAL;
    fl_vote_reveal_encode(&rv, &p->w), p++;

    struct arena_task_params at = arena_params();
    p->name = "arena_task_create", p->type = TX_ARENA_TASK_CREATE;
    arena_task_params_encode(&at, &p->w), p++;

    struct arena_stake as = {.role = ARENA_ROLE_VALIDATOR, .amount = 200000000};
    fill(as.task, ARENA_TASK_ID_SIZE, 9);
    p->name = "arena_stake", p->type = TX_ARENA_STAKE;
    arena_stake_encode(&as, &p->w), p++;

    struct arena_delegate ad = {.amount = ARENA_MIN_DELEGATION};
    fill(ad.task, ARENA_TASK_ID_SIZE, 9);
    memcpy(ad.op, pubs[2], PUBKEY_SIZE);
    p->name = "arena_delegate", p->type = TX_ARENA_DELEGATE;
    arena_delegate_encode(&ad, &p->w), p++;

    struct arena_undelegate au;
    fill(au.task, ARENA_TASK_ID_SIZE, 9);
    memcpy(au.op, pubs[2], PUBKEY_SIZE);
    p->name = "arena_undelegate", p->type = TX_ARENA_UNDELEGATE;
    arena_undelegate_encode(&au, &p->w), p++;

    struct arena_set_share ash = {.sigma_bps = 2500};
    fill(ash.task, ARENA_TASK_ID_SIZE, 9);
    p->name = "arena_set_share", p->type = TX_ARENA_SET_SHARE;
    arena_set_share_encode(&ash, &p->w), p++;

    struct arena_commit ac;
    fill(ac.task, ARENA_TASK_ID_SIZE, 9);
    fill(ac.commitment, HASH_SIZE, 31);
    p->name = "arena_submit_commit", p->type = TX_ARENA_SUBMIT_COMMIT;
    arena_commit_encode(&ac, &p->w), p++;

    struct arena_submit_reveal asr = {.n = 10, .weights = (const uint8_t *)weights};
    fill(asr.task, ARENA_TASK_ID_SIZE, 9);
    fill(asr.salt, 32, 5);
    p->name = "arena_submit_reveal", p->type = TX_ARENA_SUBMIT_REVEAL;
    arena_submit_reveal_encode(&asr, &p->w), p++;

    static uint8_t path[3 * HASH_SIZE], chunk[2 * 36];
    fill(path, sizeof(path), 40);
    fill(chunk, sizeof(chunk), 1);
    struct arena_reveal_valset arv = {.set = 1, .chunk = 4, .npath = 3, .path = path,
                                      .len = sizeof(chunk), .data = chunk};
    fill(arv.task, ARENA_TASK_ID_SIZE, 9);
    fill(arv.salt, 32, 6);
    p->name = "arena_reveal_valset", p->type = TX_ARENA_REVEAL_VALSET;
    arena_reveal_valset_encode(&arv, &p->w), p++;

    p->name = "arena_score_commit", p->type = TX_ARENA_SCORE_COMMIT;
    arena_commit_encode(&ac, &p->w), p++;

    static uint8_t losses[6 * 4];
    for (int i = 0; i < 6; i++)
        write_le32(losses + 4 * i, (uint32_t)(45000 + 1000 * i));
    struct arena_score_reveal asc = {.n = 6, .losses = losses};
    fill(asc.task, ARENA_TASK_ID_SIZE, 9);
    fill(asc.salt, 32, 7);
    p->name = "arena_score_reveal", p->type = TX_ARENA_SCORE_REVEAL;
    arena_score_reveal_encode(&asc, &p->w), p++;

    /* market: an upload (logistic {4, 1}: the first 5 weights), a composite,
     * and the four small payloads. */
    struct market_publish mp;
    memset(&mp, 0, sizeof(mp));
    mp.name_len = 6;
    memcpy(mp.name, "upload", 6);
    mp.source = MARKET_SOURCE_UPLOAD;
    mp.spec.kind = FL_MODEL_LOGREG;
    mp.spec.n_sizes = 2;
    mp.spec.sizes[0] = 4;
    mp.spec.sizes[1] = 1;
    mp.n_weights = 5;
    mp.weights = (const uint8_t *)weights;
    mp.base_price = 1000;
    mp.target = 10;
    mp.split = (struct market_split){7000, 0, 3000};
    p->name = "market_publish", p->type = TX_MARKET_PUBLISH;
    market_publish_encode(&mp, &p->w), p++;

    memset(&mp, 0, sizeof(mp));
    mp.name_len = 5;
    memcpy(mp.name, "combo", 5);
    mp.source = MARKET_SOURCE_COMPOSITE;
    mp.base_price = 10;
    mp.target = 1;
    mp.split = (struct market_split){10000, 0, 0};
    mp.mode = MARKET_MODE_AVERAGE;
    mp.n_components = 2;
    fill(mp.components[0], HASH_SIZE, 21);
    fill(mp.components[1], HASH_SIZE, 22);
    p->name = "market_publish_composite", p->type = TX_MARKET_PUBLISH;
    market_publish_encode(&mp, &p->w), p++;

    struct market_set_price msp = {.base_price = 2000, .target = 5};
    fill(msp.model, HASH_SIZE, 21);
    p->name = "market_set_price", p->type = TX_MARKET_SET_PRICE;
    market_set_price_encode(&msp, &p->w), p++;

    struct market_provider_register mpr;
    memset(&mpr, 0, sizeof(mpr));
    mpr.stake = 100 * COIN;
    mpr.endpoint_len = 22;
    memcpy(mpr.endpoint, "http://127.0.0.1:18443", 22);
    p->name = "market_provider_register", p->type = TX_MARKET_PROVIDER_REGISTER;
    market_provider_register_encode(&mpr, &p->w), p++;

    struct market_call mc = {.calls = 25, .max_price = 5000};
    fill(mc.model, HASH_SIZE, 21);
    memcpy(mc.provider, pubs[1], PUBKEY_SIZE);
    p->name = "market_call", p->type = TX_MARKET_CALL;
    market_call_encode(&mc, &p->w), p++;

    struct market_claim mcl;
    fill(mcl.model, HASH_SIZE, 21);
    p->name = "market_claim", p->type = TX_MARKET_CLAIM;
    market_claim_encode(&mcl, &p->w), p++;

    struct finality_vote fv = {.source = {.epoch = 0}, .target = {.epoch = 1}};
    memcpy(fv.source.hash, params.genesis_hash, HASH_SIZE);
    fill(fv.target.hash, HASH_SIZE, 22);
    p->name = "finality_vote", p->type = TX_FINALITY_VOTE;
    finality_vote_encode(&fv, &p->w), p++;

    /* Two votes of validator 3 for one target epoch. */
    struct tx va, vb;
    struct wbuf vw;
    wbuf_init(&vw);
    tx_init(&va);
    tx_init(&vb);
    va.type = vb.type = TX_FINALITY_VOTE;
    memcpy(va.sender, pubs[3], PUBKEY_SIZE);
    memcpy(vb.sender, pubs[3], PUBKEY_SIZE);
    finality_vote_encode(&fv, &vw);
    if (!tx_set_payload(&va, vw.data, vw.len) || !tx_sign(&va, params.genesis_hash, secrets[3], NULL))
        die("vote a");
    fv.target.hash[0] ^= 1;
    wbuf_reset(&vw);
    finality_vote_encode(&fv, &vw);
    if (!tx_set_payload(&vb, vw.data, vw.len) || !tx_sign(&vb, params.genesis_hash, secrets[3], NULL))
        die("vote b");
    p->name = "finality_evidence", p->type = TX_FINALITY_EVIDENCE;
    finality_evidence_encode(&va, &vb, &p->w), p++;
    tx_free(&va);
    tx_free(&vb);
    wbuf_free(&vw);
}

static int memcmp_keys(const void *a, const void *b)
{
    return memcmp(a, b, PUBKEY_SIZE);
}

static void make_tx(struct tx *tx, const struct payload *p, int who, uint64_t nonce)
{
    tx_init(tx);
    tx->type = p->type;
    memcpy(tx->sender, pubs[who], PUBKEY_SIZE);
    tx->nonce = nonce;
    tx->fee = 10000;
    if (!tx_set_payload(tx, p->w.data, p->w.len) || !tx_sign(tx, params.genesis_hash, secrets[who], NULL))
        die("make_tx");
}

/* ---- targets ---- */

static void gen_tx(void)
{
    struct wbuf w;
    wbuf_init(&w);
    for (int i = 0; i < NPAYLOADS; i++) {
        struct tx tx;
        make_tx(&tx, &payloads[i], i % 4, (uint64_t)i);
        wbuf_reset(&w);
        tx_encode(&tx, &w);
        put_file("tx", payloads[i].name, w.data, w.len);
        put_sel("tx_payload", payloads[i].name, payloads[i].type, payloads[i].w.data, payloads[i].w.len);
        if (i == 0) {
            put_sel("p2p_message", "tx", P2P_MSG_TX, w.data, w.len);
            tx.type = 99; /* unknown type: decodes, refused by tx_check */
            wbuf_reset(&w);
            tx_encode(&tx, &w);
            put_file("tx", "unknown_type", w.data, w.len);
        }
        tx_free(&tx);
    }
    wbuf_free(&w);
}

static void gen_block(void)
{
    struct block b;
    struct wbuf w;
    uint8_t hdr[BLOCK_HEADER_SIZE];
    struct block_header g;
    if (!genesis_header(&params, &g))
        die("genesis_header");
    header_encode(&g, hdr);
    put_sel("block", "genesis_header", 1, hdr, sizeof(hdr));

    block_init(&b);
    make_header(&b.hdr, 1, 0);
    wbuf_init(&w);
    block_encode(&b, &w);
    put_sel("block", "empty", 0, w.data, w.len);
    for (int i = 0; i < NPAYLOADS; i += 3) {
        struct tx tx;
        make_tx(&tx, &payloads[i], 0, (uint64_t)i);
        if (!block_add_tx(&b, &tx))
            die("block_add_tx");
        tx_free(&tx);
    }
    block_merkle_root(&b, b.hdr.tx_root);
    if (!header_sign(&b.hdr, params.genesis_hash, secrets[0], NULL))
        die("header_sign");
    wbuf_reset(&w);
    block_encode(&b, &w);
    put_sel("block", "four_txs", 0, w.data, w.len);
    put_sel("p2p_message", "block", P2P_MSG_BLOCK, w.data, w.len);
    header_encode(&b.hdr, hdr);
    put_sel("block", "header", 1, hdr, sizeof(hdr));

    /* headers: genesis and block 1 */
    struct block_header hs[2] = {g, b.hdr};
    wbuf_reset(&w);
    p2p_msg_encode_headers(&w, hs, 2);
    put_sel("p2p_message", "headers", P2P_MSG_HEADERS, w.data, w.len);
    block_free(&b);
    wbuf_free(&w);
}

static void gen_p2p(void)
{
    struct wbuf w, stream;
    wbuf_init(&w);
    wbuf_init(&stream);

    struct p2p_msg_version v;
    memset(&v, 0, sizeof(v));
    v.version = P2P_PROTOCOL_VERSION;
    v.services = P2P_SERVICE_NETWORK;
    v.timestamp = 1700000000;
    v.addr_recv.addr.ip[10] = v.addr_recv.addr.ip[11] = 0xff;
    v.addr_recv.addr.ip[12] = 127;
    v.addr_recv.addr.ip[15] = 1;
    v.addr_recv.addr.port = 18444;
    v.nonce = 0x0123456789abcdefull;
    snprintf(v.user_agent, sizeof(v.user_agent), "/fmld:0.1.0/");
    v.best_height = 12;
    memcpy(v.genesis, params.genesis_hash, HASH_SIZE);
    p2p_msg_encode_version(&w, &v);
    put_sel("p2p_message", "version", P2P_MSG_VERSION, w.data, w.len);
    p2p_frame_encode(&stream, params.magic, "version", w.data, w.len);
    p2p_frame_encode(&stream, params.magic, "verack", NULL, 0);

    put_sel("p2p_message", "verack", P2P_MSG_VERACK, NULL, 0);
    put_sel("p2p_message", "getaddr", P2P_MSG_GETADDR, NULL, 0);
    wbuf_reset(&w);
    p2p_msg_encode_nonce(&w, 42);
    put_sel("p2p_message", "ping", P2P_MSG_PING, w.data, w.len);
    put_sel("p2p_message", "pong", P2P_MSG_PONG, w.data, w.len);
    p2p_frame_encode(&stream, params.magic, "ping", w.data, w.len);

    /* v2 transport (selector 0xf2): flip offset, then packets' contents, each
     * with a u16 length: a hello, a ping by short id, a long-form command.
     * Unflipped (offset past the end) and with a byte of the second packet
     * flipped. */
    static const uint8_t v2_seed[] = {
        0xff, 0xff,                                            /* no flip */
        0x01, 0x00, 0x00,                                      /* hello */
        0x09, 0x00, 0x03, 42, 0, 0, 0, 0, 0, 0, 0,             /* ping 42 */
        0x0d, 0x00, 0x00, 'f', 'e', 'e', 'f', 'i', 'l', 't', 'e', 'r', 0, 0, 0,
    };
    uint8_t v2_flip[sizeof(v2_seed)];
    memcpy(v2_flip, v2_seed, sizeof(v2_seed));
    v2_flip[0] = 30; /* inside the ping's packet */
    v2_flip[1] = 0;
    put_sel("p2p_message", "v2_stream", 0xf2, v2_seed, sizeof(v2_seed));
    put_sel("p2p_message", "v2_stream_flipped", 0xf2, v2_flip, sizeof(v2_flip));

    struct p2p_timed_addr addrs[2];
    memset(addrs, 0, sizeof(addrs));
    addrs[0].time = 1700000000;
    addrs[0].services = 1;
    addrs[0].addr.ip[10] = addrs[0].addr.ip[11] = 0xff;
    addrs[0].addr.ip[12] = 10;
    addrs[0].addr.ip[15] = 7;
    addrs[0].addr.port = 18444;
    addrs[1] = addrs[0];
    memset(addrs[1].addr.ip, 0, 16);
    addrs[1].addr.ip[0] = 0x20;
    addrs[1].addr.ip[1] = 0x01;
    addrs[1].addr.ip[15] = 1;
    wbuf_reset(&w);
    p2p_msg_encode_addr(&w, addrs, 2);
    put_sel("p2p_message", "addr", P2P_MSG_ADDR, w.data, w.len);
    p2p_frame_encode(&stream, params.magic, "addr", w.data, w.len);

    struct p2p_inv inv[2] = {{.type = P2P_INV_TX}, {.type = P2P_INV_BLOCK}};
    fill(inv[0].hash, HASH_SIZE, 1);
    memcpy(inv[1].hash, params.genesis_hash, HASH_SIZE);
    wbuf_reset(&w);
    p2p_msg_encode_inv(&w, inv, 2);
    put_sel("p2p_message", "inv", P2P_MSG_INV, w.data, w.len);
    put_sel("p2p_message", "getdata", P2P_MSG_GETDATA, w.data, w.len);
    put_sel("p2p_message", "notfound", P2P_MSG_NOTFOUND, w.data, w.len);
    p2p_frame_encode(&stream, params.magic, "getdata", w.data, w.len);

    static struct p2p_msg_getheaders gh;
    gh.n = 2;
    memcpy(gh.locator[0], params.genesis_hash, HASH_SIZE);
    fill(gh.locator[1], HASH_SIZE, 200);
    wbuf_reset(&w);
    p2p_msg_encode_getheaders(&w, &gh);
    put_sel("p2p_message", "getheaders", P2P_MSG_GETHEADERS, w.data, w.len);
    p2p_frame_encode(&stream, params.magic, "getheaders", w.data, w.len);
    p2p_frame_encode(&stream, params.magic, "future", (const uint8_t *)"abc", 3);

    put_sel("p2p_message", "stream", 0xff, stream.data, stream.len);
    wbuf_free(&w);
    wbuf_free(&stream);
}

static void gen_fl(void)
{
    struct wbuf w;
    wbuf_init(&w);
    /* selector % 4: 0 update reveal (4: vote reveal), 1 task create, 2 spec,
     * 3 records (kind = sel >> 2). */
    put_sel("fl_model", "update", 0, payloads[10].w.data, payloads[10].w.len);
    put_sel("fl_model", "vote_reveal", 4, payloads[12].w.data, payloads[12].w.len);
    put_sel("fl_model", "task_create", 1, payloads[7].w.data, payloads[7].w.len);
    struct fl_task_params t = task_params(false, false);
    fl_task_params_encode(&t, &w);
    put_sel("fl_model", "task_create_open", 1, w.data, w.len);

    struct fl_spec mlp;
    memset(&mlp, 0, sizeof(mlp));
    mlp.kind = FL_MODEL_MLP;
    mlp.n_sizes = 3;
    mlp.sizes[0] = 8, mlp.sizes[1] = 4, mlp.sizes[2] = 2;
    wbuf_reset(&w);
    fl_spec_encode(&mlp, &w);
    put_sel("fl_model", "spec_mlp", 2, w.data, w.len);
    wbuf_reset(&w);
    fl_spec_encode(&t.spec, &w);
    put_sel("fl_model", "spec_logreg", 2, w.data, w.len);

    struct fl_task task = {.created_height = 10, .p = task_params(false, true)};
    memcpy(task.creator, pubs[0], PUBKEY_SIZE);
    wbuf_reset(&w);
    fl_task_encode(&task, &w);
    put_sel("fl_model", "rec_task", 3 | 0 << 2, w.data, w.len);

    struct fl_status s = {.state = FL_TASK_RUNNING, .round = 2, .round_start = 20, .model_round = 1,
                          .n_participants = 3, .n_active = 3, .budget = 1000, .burn = 100,
                          .budget_left = 800, .paid = 100, .matched = 5};
    fill(s.model_hash, HASH_SIZE, 34);
    wbuf_reset(&w);
    fl_status_encode(&s, &w);
    put_sel("fl_model", "rec_status", 3 | 1 << 2, w.data, w.len);

    struct fl_participant pt = {.status = FL_PART_ACTIVE, .stake = 200000000, .joined_height = 11,
                                .contribution = (unsigned __int128)1 << 70, .rounds_voter = 1,
                                .matched = 3};
    wbuf_reset(&w);
    fl_participant_encode(&pt, &w);
    put_sel("fl_model", "rec_participant", 3 | 2 << 2, w.data, w.len);

    struct fl_round r = {.start = 20, .n_proposers = 2, .n_slots = 2, .n_voters = 1,
                         .outcome = FL_OUTCOME_ACCEPTED, .n_update_commits = 2,
                         .n_update_reveals = 2, .n_vote_commits = 1, .n_vote_reveals = 1,
                         .voting_stake = 5, .n_accepted = 1, .accepted_slots = 1,
                         .model_round = 1};
    fill(r.model_hash, HASH_SIZE, 33);
    wbuf_reset(&w);
    fl_round_encode(&r, &w);
    put_sel("fl_model", "rec_round", 3 | 3 << 2, w.data, w.len);

    struct fl_entry e = {.role = FL_ROLE_VOTER, .stake = 5,
                         .vote_flags = FL_VOTE_COMMITTED | FL_VOTE_REVEALED,
                         .verdicts = 2, .agree = 1, .reward = 1, .matched = 1};
    fill(e.vote_commitment, HASH_SIZE, 35);
    wbuf_reset(&w);
    fl_entry_encode(&e, &w);
    put_sel("fl_model", "rec_entry", 3 | 4 << 2, w.data, w.len);

    struct fl_event_entry ev[2] = {{.event = FL_EV_START}, {.event = FL_EV_FINALIZE}};
    fill(ev[0].task, FL_TASK_ID_SIZE, 9);
    fill(ev[1].task, FL_TASK_ID_SIZE, 10);
    wbuf_reset(&w);
    fl_events_encode(ev, 2, &w);
    put_sel("fl_model", "rec_events", 3 | 5 << 2, w.data, w.len);

    wbuf_reset(&w);
    put_compact(&w, 2);
    put_bytes(&w, allow[0], PUBKEY_SIZE);
    put_bytes(&w, allow[1], PUBKEY_SIZE);
    put_sel("fl_model", "rec_list", 3 | 6 << 2, w.data, w.len);

    struct fl_height fh = {.events = 2, .work = 30, .weights = 9, .verdicts = 2};
    wbuf_reset(&w);
    fl_height_encode(&fh, &w);
    put_sel("fl_model", "rec_height", 3 | 7 << 2, w.data, w.len);
    wbuf_free(&w);
}

static void gen_state(void)
{
    struct wbuf w;
    uint8_t acc[ACCOUNT_VALUE_SIZE];
    struct account a = {.balance = 123456789, .nonce = 7};
    account_encode(&a, acc);
    put_sel("state_records", "account", 0, acc, sizeof(acc));

    struct validator val;
    memset(&val, 0, sizeof(val));
    val.self_stake = 100000000000ull;
    val.delegated = 5000000000ull;
    val.shares = 5000000000ull;
    val.commission_bps = 500;
    fill(val.randao_commit, HASH_SIZE, 1);
    val.reveals = 3;
    val.acc = (unsigned __int128)3 << 64 | 12345;
    val.bank = 10;
    wbuf_init(&w);
    validator_encode(&val, &w);
    put_sel("state_records", "validator", 1, w.data, w.len);

    struct delegation d = {.shares = 5000000000ull, .snapshot = (unsigned __int128)1 << 64};
    wbuf_reset(&w);
    delegation_encode(&d, &w);
    put_sel("state_records", "delegation", 2, w.data, w.len);

    uint8_t keys[3][PUBKEY_SIZE];
    memcpy(keys, pubs, sizeof(keys));
    qsort(keys, 3, PUBKEY_SIZE, memcmp_keys);
    wbuf_reset(&w);
    validator_list_encode((const uint8_t(*)[PUBKEY_SIZE])keys, 3, &w);
    put_sel("state_records", "validator_list", 3, w.data, w.len);

    struct unbonding_entry ub = {.amount = 42};
    memcpy(ub.owner, pubs[0], PUBKEY_SIZE);
    wbuf_reset(&w);
    unbonding_entry_encode(&ub, &w);
    put_sel("state_records", "unbonding", 4, w.data, w.len);

    struct staking_stats st = {.minted = 1000, .fees = 20, .paid = 900, .burned = 5};
    wbuf_reset(&w);
    staking_stats_encode(&st, &w);
    put_sel("state_records", "stats", 5, w.data, w.len);

    struct sched_entry se[3];
    for (int i = 0; i < 3; i++) {
        memcpy(se[i].pubkey, keys[i], PUBKEY_SIZE);
        se[i].stake = 100000000000ull * (uint64_t)(i + 1);
    }
    struct schedule s = {.epoch = 2, .n = 3, .entries = se, .total = 600000000000ull};
    fill(s.seed, HASH_SIZE, 4);
    wbuf_reset(&w);
    schedule_encode(&s, &w);
    put_sel("state_records", "schedule", 6, w.data, w.len);

    uint8_t k1[] = {'a', 1, 2}, k2[] = {'g', 's'};
    uint8_t old[ACCOUNT_VALUE_SIZE];
    memcpy(old, acc, sizeof(old));
    struct view_change c[2] = {
        {.key = k1, .klen = sizeof(k1), .has_old = true, .old = old, .old_len = sizeof(old)},
        {.key = k2, .klen = sizeof(k2), .has_old = false},
    };
    wbuf_reset(&w);
    undo_encode(c, 2, &w);
    put_sel("state_records", "undo", 7, w.data, w.len);
    wbuf_free(&w);
}

static void gen_arena(void)
{
    struct wbuf w;
    wbuf_init(&w);
    struct arena_task task = {.created_height = 12, .p = arena_params()};
    memcpy(task.creator, pubs[0], PUBKEY_SIZE);
    arena_task_encode(&task, &w);
    put_sel("arena_records", "task", 0, w.data, w.len);

    struct arena_status st = {.state = ARENA_SETTLED, .n_trainers = 3, .n_validators = 2,
                              .n_commits = 3, .n_scoreable = 2, .sets_complete = 7,
                              .budget_left = 900000000, .burn = 100000000, .match = 45000000,
                              .distributed = 945000000, .paid = 400000000, .vest_pending = 500000000,
                              .dust = 7, .end_height = 52};
    st.chunks_revealed[0] = 1;
    st.rows_revealed[0] = 50;
    wbuf_reset(&w);
    arena_status_encode(&st, &w);
    put_sel("arena_records", "status", 1, w.data, w.len);

    struct arena_operator op = {.role = ARENA_ROLE_TRAINER,
                                .flags = ARENA_OP_COMMITTED | ARENA_OP_REVEALED | ARENA_OP_RANKED,
                                .own = 200000000, .del_total = 1000000, .del_value = 1000000,
                                .sigma_bps = 2500, .stake_snapshot = 201000000, .seq = 1,
                                .loss = 40000, .rank = 1, .f = 1000, .f_op = 900, .f_del = 100};
    fill(op.model_hash, HASH_SIZE, 70);
    op.count[1] = 2;
    wbuf_reset(&w);
    arena_operator_encode(&op, &w);
    put_sel("arena_records", "operator", 2, w.data, w.len);

    struct arena_delegation dl = {.amount = 1000000, .flags = 0, .principal = 0, .claimed = 50};
    wbuf_reset(&w);
    arena_delegation_encode(&dl, &w);
    put_sel("arena_records", "delegation", 3, w.data, w.len);

    static struct arena_results res;
    res.k = 3;
    res.consensus_mask = 5;
    res.m = 2;
    memcpy(res.r[0].trainer, pubs[1], PUBKEY_SIZE);
    res.r[0].loss = 40000;
    res.r[0].rank = 1;
    res.r[0].set_loss[0] = 39000;
    res.r[0].set_loss[2] = 41000;
    memcpy(res.r[1].trainer, pubs[2], PUBKEY_SIZE);
    res.r[1].seq = 1;
    res.r[1].loss = 50000;
    res.r[1].rank = 2;
    wbuf_reset(&w);
    arena_results_encode(&res, &w);
    put_sel("arena_records", "results", 4, w.data, w.len);

    uint8_t keys[3][PUBKEY_SIZE];
    memcpy(keys, pubs, sizeof(keys));
    qsort(keys, 3, PUBKEY_SIZE, memcmp_keys);
    wbuf_reset(&w);
    arena_list_encode(keys[0], 3, &w);
    put_sel("arena_records", "list", 5, w.data, w.len);

    uint8_t losses[4 * 4];
    for (int i = 0; i < 4; i++)
        write_le32(losses + 4 * i, (uint32_t)(30000 + i));
    wbuf_reset(&w);
    arena_losses_encode(losses, 4, &w);
    put_sel("arena_records", "losses", 6, w.data, w.len);

    struct arena_height h = {.events = 2, .work = 300};
    wbuf_reset(&w);
    arena_height_encode(&h, &w);
    put_sel("arena_records", "height", 7, w.data, w.len);

    struct arena_event_entry ev = {.event = ARENA_EV_VEST, .index = 3};
    fill(ev.task, ARENA_TASK_ID_SIZE, 9);
    wbuf_reset(&w);
    arena_event_encode(&ev, &w);
    put_sel("arena_records", "event", 8, w.data, w.len);

    wbuf_reset(&w);
    arena_slash_height_encode(42, &w);
    put_sel("arena_records", "slash_height", 9, w.data, w.len);
    wbuf_free(&w);
}

static void gen_market(void)
{
    struct wbuf w;
    wbuf_init(&w);
    struct market_model m;
    memset(&m, 0, sizeof(m));
    memcpy(m.owner, pubs[0], PUBKEY_SIZE);
    m.published_height = 7;
    m.name_len = 4;
    memcpy(m.name, "leaf", 4);
    m.source = MARKET_SOURCE_FL;
    fill(m.source_id, HASH_SIZE, 3);
    m.model_round = 2;
    m.spec.kind = FL_MODEL_MLP;
    m.spec.n_sizes = 3;
    m.spec.sizes[0] = 2;
    m.spec.sizes[1] = 4;
    m.spec.sizes[2] = 3;
    m.spec.n_norm = 2;
    m.spec.norm = norm;
    fill(m.model_hash, HASH_SIZE, 9);
    m.macs = market_macs(&m.spec);
    m.n_inputs = 2;
    m.n_outputs = 3;
    m.base_price = 1000;
    m.target = 10;
    m.split = (struct market_split){2000, 7000, 1000};
    m.mult = 5 * MARKET_MULT_ONE;
    m.mult_height = 6;
    m.block_height = 7;
    m.block_calls = 3;
    m.block_own = 3000;
    m.data_shares = 12;
    m.acc = (unsigned __int128)1 << 70;
    m.bank = 40;
    m.calls = 3;
    m.own_fees = 3000;
    market_model_encode(&m, &w);
    put_sel("market_records", "model_leaf", 0, w.data, w.len);

    memset(&m.spec, 0, sizeof(m.spec));
    m.source = MARKET_SOURCE_COMPOSITE;
    memset(m.source_id, 0, HASH_SIZE);
    m.macs = 0;
    m.mode = MARKET_MODE_PIPELINE;
    m.n_components = 2;
    fill(m.components[0], HASH_SIZE, 21);
    fill(m.components[1], HASH_SIZE, 22);
    m.depth = 1;
    m.expansion = 3;
    m.data_shares = 0;
    m.acc = 0;
    m.bank = 0;
    wbuf_reset(&w);
    market_model_encode(&m, &w);
    put_sel("market_records", "model_composite", 0, w.data, w.len);

    struct market_provider pr = {.stake = 100 * COIN, .registered_height = 3, .calls = 5,
                                 .earned = 77};
    pr.endpoint_len = 22;
    memcpy(pr.endpoint, "http://127.0.0.1:18443", 22);
    wbuf_reset(&w);
    market_provider_encode(&pr, &w);
    put_sel("market_records", "provider", 1, w.data, w.len);

    struct market_flows f = {1000, 200, 30, 4, 100 * COIN, 40};
    wbuf_reset(&w);
    market_flows_encode(&f, &w);
    put_sel("market_records", "flows", 2, w.data, w.len);
    wbuf_free(&w);
}

static void gen_bech32(void)
{
    static const char *const strings[] = {
        "A12UEL5L", "a12uel5l",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        "?1ezyfcl", "A1LQFN3A",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "?1v759aa", "M1VUXWEZ", "1p2gdwpf", "in1muywd",
    };
    char name[32], addr[ADDRESS_MAX_LEN];
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        snprintf(name, sizeof(name), "bip_%02zu", i);
        put_text("bech32", name, strings[i]);
    }
    static const char *const hrps[] = {"fml", "tfml", "rfml"};
    for (int i = 0; i < 3; i++) {
        if (!address_encode(addr, hrps[i], pubs[i]))
            die("address_encode");
        snprintf(name, sizeof(name), "address_%s", hrps[i]);
        put_text("bech32", name, addr);
    }
}

static void gen_rpc(void)
{
    static const char *const requests[][2] = {
        {"echo_positional", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":"
                            "[\"x\",-5,7,false,\"1.5\",\"00ff\",{\"k\":1},[1,2],null]}"},
        {"echo_named", "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"echo\",\"params\":"
                       "{\"a\":\"y\",\"e\":0.00000001,\"f\":\"abcd\",\"i\":[true]}}"},
        {"legacy", "{\"id\":7,\"method\":\"echo\",\"params\":[\"z\"]}"},
        {"batch", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"help\"},"
                  "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"n\"]},"
                  "{\"id\":2,\"method\":\"nosuch\"},3]"},
        {"notification", "{\"jsonrpc\":\"2.0\",\"method\":\"echo_unlocked\",\"params\":[\"q\"]}"},
        {"help_echo", "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"help\",\"params\":[\"echo\"]}"},
        {"fail", "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"fail\",\"params\":[\"because\"]}"},
        {"wrong_type", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[1,\"x\"]}"},
        {"uptime", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"uptime\",\"params\":[]}"},
        {"parse_error", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"},
    };
    char name[64];
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
        put_sel("rpc_request", requests[i][0], 0, requests[i][1], strlen(requests[i][1]));
        if (i == 0)
            put_sel("rpc_request", "echo_wallet", 1, requests[i][1], strlen(requests[i][1]));
    }
    put_sel("rpc_request", "path_root", 6, "/", 1);
    put_sel("rpc_request", "path_wallet", 6, "/wallet/my%20wallet", 19);
    put_sel("rpc_request", "path_other", 6, "/rest/x", 7);
    put_sel("rpc_request", "path_rest_block", 6,
            "/rest/block/00000000000000000000000000000000000000000000000000000000000000ab.json", 81);
    put_sel("rpc_request", "path_rest_headers", 6, "/rest/headers/2001/ab.json", 26);
    put_sel("rpc_request", "path_rest_traversal", 6, "/rest/block/../chaininfo.json", 29);
    put_sel("rpc_request", "subnet_v4", 7, "10.0.0.0/8", 10);
    put_sel("rpc_request", "subnet_mask", 7, "192.168.0.0/255.255.0.0", 23);
    put_sel("rpc_request", "subnet_v6", 7, "fe80::/10", 9);

    /* The chain dispatcher: every method with plausible arguments. */
    char hash[2 * HASH_SIZE + 1], body[4096], addr[ADDRESS_MAX_LEN];
    for (int i = 0; i < HASH_SIZE; i++)
        snprintf(hash + 2 * i, 3, "%02x", params.genesis_hash[i]);
    if (!address_encode(addr, params.hrp, pubs[0]))
        die("address_encode");
    struct tx tx;
    struct wbuf w;
    wbuf_init(&w);
    make_tx(&tx, &payloads[0], 0, 0);
    tx_encode(&tx, &w);
    char txid[2 * HASH_SIZE + 1];
    uint8_t id[HASH_SIZE];
    tx_txid(&tx, id);
    for (int i = 0; i < HASH_SIZE; i++)
        snprintf(txid + 2 * i, 3, "%02x", id[i]);
    char *txhex = malloc(2 * w.len + 1);
    if (!txhex)
        die("out of memory");
    for (size_t i = 0; i < w.len; i++)
        snprintf(txhex + 2 * i, 3, "%02x", w.data[i]);
    tx_free(&tx);
    wbuf_free(&w);
    const char *calls[][2] = {
        {"getblockchaininfo", "[]"}, {"getblockcount", "[]"}, {"getbestblockhash", "[]"},
        {"getchaintips", "[]"}, {"getblockhash", "[0]"}, {"getblock", NULL}, {"getblockheader", NULL},
        {"getaccount", NULL}, {"getrawtransaction", NULL}, {"decoderawtransaction", NULL},
        {"sendrawtransaction", NULL}, {"getmempoolinfo", "[]"}, {"getrawmempool", "[true]"},
        {"getmempoolentry", NULL}, {"getvalidators", "[]"}, {"getvalidator", NULL},
        {"getdelegations", NULL}, {"getstakinginfo", "[]"}, {"getsupplyinfo", "[]"},
        {"fllisttasks", "[]"}, {"flgettask", NULL}, {"flgetround", NULL}, {"flgetmodel", NULL},
        {"help", "[\"getblock\"]"}, {"getblockhash", "[2]"},
        {"getrawmempool", "[false]"}, {"getblockheader", "[\"00\"]"},
    };
    /* The id of the rpc_dispatch chain's task (tests/fuzz/task.h). */
    struct fl_task_params tp;
    struct payload create = {.type = TX_FL_TASK_CREATE};
    char task[2 * HASH_SIZE + 1];
    fuzz_task_params(&tp);
    wbuf_init(&create.w);
    fl_task_params_encode(&tp, &create.w);
    make_tx(&tx, &create, 0, 1);
    tx.fee = FUZZ_TASK_FEE;
    if (!tx_sign(&tx, params.genesis_hash, secrets[0], NULL))
        die("tx_sign");
    tx_txid(&tx, id);
    for (int i = 0; i < HASH_SIZE; i++)
        snprintf(task + 2 * i, 3, "%02x", id[i]);
    tx_free(&tx);
    wbuf_free(&create.w);

    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        char params_text[2048];
        const char *m = calls[i][0];
        if (calls[i][1])
            snprintf(params_text, sizeof(params_text), "%s", calls[i][1]);
        else if (strcmp(m, "getblock") == 0)
            snprintf(params_text, sizeof(params_text), "[\"%s\",2]", hash);
        else if (strcmp(m, "getblockheader") == 0)
            snprintf(params_text, sizeof(params_text), "{\"blockhash\":\"%s\",\"verbose\":false}", hash);
        else if (strcmp(m, "getaccount") == 0 || strcmp(m, "getvalidator") == 0 ||
                 strcmp(m, "getdelegations") == 0)
            snprintf(params_text, sizeof(params_text), "[\"%s\"]", addr);
        else if (strcmp(m, "decoderawtransaction") == 0 || strcmp(m, "sendrawtransaction") == 0)
            snprintf(params_text, sizeof(params_text), "[\"%s\"]", txhex);
        else if (strcmp(m, "flgettask") == 0)
            snprintf(params_text, sizeof(params_text), "[\"%s\"]", task);
        else if (strcmp(m, "flgetround") == 0)
            snprintf(params_text, sizeof(params_text), "[\"%s\",1]", task);
        else if (strcmp(m, "flgetmodel") == 0)
            snprintf(params_text, sizeof(params_text), "{\"task\":\"%s\",\"round\":0}", task);
        else if (strcmp(m, "getrawtransaction") == 0)
            snprintf(params_text, sizeof(params_text), "[\"%s\",true]", txid);
        else if (strcmp(m, "getmempoolentry") == 0)
            snprintf(params_text, sizeof(params_text), "[\"%s\"]", txid);
        else
            snprintf(params_text, sizeof(params_text), "[\"%s\"]", hash);
        snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"%s\",\"params\":%s}",
                 i, m, params_text);
        snprintf(name, sizeof(name), "%02zu_%s", i, m);
        put_text("rpc_dispatch", name, body);
    }
    free(txhex);
}

static void gen_csv(void)
{
    /* flags: 1 label "Outcome", 2 positive class ("1", or "yes" with 4),
     * 8 zero-missing columns, 16 small limits. */
    static const char *const files[][2] = {
        {"\x00", "a,b,label\n1,2,0\n3.5,-4e2,1\n,NA,1\n"},
        {"\x01", "\xef\xbb\xbfglucose,\"b\",Outcome\r\n148,0.627,1\r\n85,0.351,0\r\n\r\n0,1,1\r\n"},
        {"\x02", "x,label\n1,1\n2,0\n3,1\n"},
        {"\x06", "x,y,label\n1,2,yes\n2,3,no\n"},
        {"\x08", "a,glucose,b,label\n0,0,0,cat\n1,2,3,dog\n4,5,6,cat\n"},
        {"\x10", "a,b,label\n1,2,x\n3,4,y\n5,6,z\n"},
        {"\x00", "\"q\"\"uoted\",label\n  7  ,\t2\n\"8\",3\n"},
    };
    char name[32];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(name, sizeof(name), "csv_%02zu", i);
        put_sel("ml_csv", name, (uint8_t)files[i][0][0], files[i][1], strlen(files[i][1]));
    }
}

/* Reads a whole file. */
static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(1 << 20);
    if (!f || !buf)
        die(path);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* A wallet file as it is, and as the target's record list
 * (type u8 | len u16 | body). */
static void put_wallet(const char *dir, const char *name)
{
    char path[512];
    size_t n;
    snprintf(path, sizeof(path), "%s/%s/wallet.dat", dir, name);
    uint8_t *file = slurp(path, &n);
    put_sel("wallet_file", name, 0, file, n);

    struct wbuf recs;
    struct rbuf r;
    wbuf_init(&recs);
    rbuf_init(&r, file, n);
    while (r.left > 0) {
        uint8_t marker[4], type, check[32];
        uint32_t len;
        const uint8_t *body;
        if (!get_bytes(&r, marker, 4) || !get_u32(&r, &len) || !get_u8(&r, &type) ||
            !get_view(&r, &body, len) || !get_bytes(&r, check, 32) || len > 0xffff)
            die("unexpected wallet record");
        put_u8(&recs, type);
        put_u16(&recs, (uint16_t)len);
        put_bytes(&recs, body, len);
    }
    char rec_name[64];
    snprintf(rec_name, sizeof(rec_name), "%s_records", name);
    put_sel("wallet_file", rec_name, 1, recs.data, recs.len);
    snprintf(rec_name, sizeof(rec_name), "%s_torn", name);
    put_sel("wallet_file", rec_name, 3, recs.data, recs.len);
    wbuf_free(&recs);
    free(file);
}

static void gen_wallet(void)
{
    char dir[] = "/tmp/fml-gen-corpus-XXXXXX", err[256], cmd[300];
    uint8_t pub[PUBKEY_SIZE];
    if (!mkdtemp(dir))
        die("mkdtemp");
    wallet_set_kdf_limits(1, 8192);
    struct wallet *w = wallet_create(&params, dir, "plain", NULL, err, sizeof(err));
    if (!w || !wallet_new_key(w, "label one", pub, err, sizeof(err)) ||
        !wallet_import_key(w, secrets[1], "imported", true, pub, err, sizeof(err)))
        die(err);
    wallet_free(w);
    put_wallet(dir, "plain");
    w = wallet_create(&params, dir, "encrypted", "passphrase", err, sizeof(err));
    if (!w)
        die(err);
    wallet_free(w);
    put_wallet(dir, "encrypted");
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        die("rm");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    root = argv[1];
    mkdir(root, 0755);
    if (sodium_init() < 0 || !params_init(&params, NET_REGTEST))
        die("init");
    for (unsigned i = 0; i < 4; i++) {
        params_regtest_secret(i, secrets[i]);
        if (!key_pubkey(pubs[i], secrets[i]))
            die("key_pubkey");
    }
    for (int i = 0; i < 8; i++)
        write_le32(norm8 + 8 * i + 4, 65536); /* std 1 */
    make_payloads();
    gen_tx();
    gen_block();
    gen_p2p();
    gen_fl();
    gen_arena();
    gen_market();
    gen_bech32();
    gen_state();
    gen_rpc();
    gen_csv();
    gen_wallet();
    for (int i = 0; i < NPAYLOADS; i++)
        wbuf_free(&payloads[i].w);
    params_free(&params);
    return 0;
}
