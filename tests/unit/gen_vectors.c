/* Prints the test vectors published in doc/protocol.md, computed by the
 * consensus code: the regtest well-known validators, tagged hashes, a signed
 * TRANSFER, the regtest genesis (state and header), LtHash and Merkle
 * examples and leader-schedule draws.
 *
 * Run it after a deliberate format change to regenerate the document's
 * vectors; the unit tests assert the same values, so an accidental change
 * fails them.  Output is Markdown-friendly plain text.
 */
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/bech32.h"
#include "consensus/block.h"
#include "consensus/genesis.h"
#include "consensus/hash.h"
#include "consensus/key.h"
#include "consensus/lthash.h"
#include "consensus/params.h"
#include "consensus/staking.h"
#include "consensus/tx.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_hex(const char *label, const void *data, size_t n)
{
    const uint8_t *p = data;
    printf("%s", label);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static void die(const char *what)
{
    fprintf(stderr, "gen_vectors: %s failed\n", what);
    exit(1);
}

static void print_validators(const struct chain_params *p)
{
    printf("## Regtest validators\n\n");
    for (unsigned i = 0; i < REGTEST_VALIDATORS; i++) {
        uint8_t sec[SECKEY_SIZE], pub[PUBKEY_SIZE], seed[HASH_SIZE], commit[HASH_SIZE];
        char addr[ADDRESS_MAX_LEN];
        params_regtest_secret(i, sec);
        if (!key_pubkey(pub, sec) || !address_encode(addr, p->hrp, pub))
            die("regtest key");
        randao_onion_seed(seed, sec, 0);
        randao_onion(commit, seed, REGTEST_ONION_LENGTH);
        printf("validator %u\n", i);
        printf("  seed:    \"fml regtest validator %u\"\n", i);
        print_hex("  secret:  ", sec, sizeof(sec));
        print_hex("  pubkey:  ", pub, sizeof(pub));
        printf("  address: %s\n", addr);
        print_hex("  onion seed (generation 0): ", seed, sizeof(seed));
        print_hex("  randao commitment H^100000: ", commit, sizeof(commit));
        if (memcmp(commit, p->validators[i].randao_commit, HASH_SIZE) != 0)
            die("regtest commitment");
    }
    printf("\n");
}

static void print_addresses(void)
{
    static const char *const hrps[] = {"fml", "tfml", "rfml"};
    uint8_t sec[SECKEY_SIZE], pub[PUBKEY_SIZE];
    params_regtest_secret(0, sec);
    if (!key_pubkey(pub, sec))
        die("key");
    printf("## Addresses of regtest validator 0 on each network\n\n");
    for (size_t i = 0; i < 3; i++) {
        char addr[ADDRESS_MAX_LEN];
        if (!address_encode(addr, hrps[i], pub))
            die("address");
        printf("  %-5s %s\n", hrps[i], addr);
    }
    printf("\n");
}

static void print_hashes(void)
{
    static const char *const tags[] = {
        HTAG_TXID, HTAG_TXSIG, HTAG_BLOCK, HTAG_BLOCKSIG, HTAG_MERKLE, HTAG_LTELEM,
        HTAG_STATEROOT, HTAG_RANDAO, HTAG_MIX, HTAG_LEADER, HTAG_GENESIS, HTAG_CHECKSUM,
        HTAG_KEYSEED, HTAG_EVIDENCE, HTAG_FLROLES, HTAG_FLMODEL, HTAG_FLVOTE, HTAG_FLUPDATE,
        HTAG_ARENA_SUB, HTAG_ARENA_SCORE, HTAG_ARENA_LEAF, HTAG_ARENA_NODE, HTAG_ARENA_ASSIGN,
        HTAG_MARKET_REQUEST,
    };
    printf("## BLAKE2b-256 of the ASCII \"abc\" under each tag\n\n");
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
        uint8_t h[HASH_SIZE];
        char label[64];
        hash_tagged(h, tags[i], "abc", 3);
        snprintf(label, sizeof(label), "  %-16s ", tags[i]);
        print_hex(label, h, sizeof(h));
    }
    printf("\n");
}

static void print_transfer(const struct chain_params *p)
{
    uint8_t sec0[SECKEY_SIZE], sec1[SECKEY_SIZE], pub1[PUBKEY_SIZE];
    uint8_t sighash[HASH_SIZE], txid[HASH_SIZE];
    static const uint8_t zero_aux[32];
    struct transfer t;
    struct tx tx;
    struct wbuf w;
    struct validation v;

    params_regtest_secret(0, sec0);
    params_regtest_secret(1, sec1);
    tx_init(&tx);
    if (!key_pubkey(tx.sender, sec0) || !key_pubkey(pub1, sec1))
        die("keys");
    tx.type = TX_TRANSFER;
    tx.nonce = 0;
    tx.fee = 10000;
    memcpy(t.to, pub1, PUBKEY_SIZE);
    t.amount = 10 * COIN;
    wbuf_init(&w);
    transfer_encode(&t, &w);
    if (w.failed || !tx_set_payload(&tx, w.data, w.len))
        die("payload");
    wbuf_reset(&w);
    tx_sighash(&tx, p->genesis_hash, sighash);
    if (!tx_sign(&tx, p->genesis_hash, sec0, zero_aux))
        die("sign");
    val_init(&v);
    if (!tx_check(&tx, p, &v))
        die("tx_check");
    tx_encode(&tx, &w);
    tx_txid(&tx, txid);

    printf("## Signed TRANSFER, regtest validator 0 -> validator 1 (regtest)\n\n");
    printf("  version: %u\n  type:    %u (transfer)\n", tx.version, tx.type);
    print_hex("  sender:  ", tx.sender, PUBKEY_SIZE);
    printf("  nonce:   %" PRIu64 "\n  fee:     %" PRIu64 "\n", tx.nonce, tx.fee);
    print_hex("  to:      ", t.to, PUBKEY_SIZE);
    printf("  amount:  %" PRIu64 "\n", t.amount);
    print_hex("  payload: ", tx.payload, tx.payload_len);
    print_hex("  genesis: ", p->genesis_hash, HASH_SIZE);
    print_hex("  unsigned encoding: ", w.data, w.len - SIG_SIZE);
    print_hex("  sighash: ", sighash, sizeof(sighash));
    printf("  aux:     32 zero bytes\n");
    print_hex("  sig:     ", tx.sig, SIG_SIZE);
    printf("  size:    %zu\n", w.len);
    print_hex("  hex:     ", w.data, w.len);
    print_hex("  txid:    ", txid, sizeof(txid));
    printf("\n");
    wbuf_free(&w);
    tx_free(&tx);
}

static void print_genesis(const struct chain_params *p)
{
    struct block_header hdr;
    struct kvlist state;
    uint8_t buf[BLOCK_HEADER_SIZE], hash[HASH_SIZE];

    if (!genesis_state(p, &state) || !genesis_header(p, &hdr))
        die("genesis");
    printf("## Regtest genesis state (key | value, ascending key order)\n\n");
    for (size_t i = 0; i < state.n; i++) {
        print_hex("  key   ", state.items[i].key, state.items[i].klen);
        print_hex("  value ", state.items[i].val, state.items[i].vlen);
    }
    kvlist_free(&state);
    header_encode(&hdr, buf);
    header_hash(&hdr, hash);
    printf("\n## Regtest genesis header\n\n");
    print_hex("  state root: ", hdr.state_root, HASH_SIZE);
    print_hex("  header:     ", buf, sizeof(buf));
    print_hex("  hash:       ", hash, sizeof(hash));
    printf("\n");
}

static void print_lthash(void)
{
    struct lthash lt;
    uint8_t root[32], lanes[LTHASH_BYTES];

    printf("## LtHash\n\n");
    lthash_init(&lt);
    lthash_root(&lt, root);
    print_hex("  root of the empty set: ", root, sizeof(root));
    lthash_add(&lt, (const uint8_t *)"key", 3, (const uint8_t *)"value", 5);
    lthash_encode(&lt, lanes);
    print_hex("  {(\"key\",\"value\")} first 16 lane bytes: ", lanes, 16);
    lthash_root(&lt, root);
    print_hex("  {(\"key\",\"value\")} root: ", root, sizeof(root));
    lthash_add(&lt, (const uint8_t *)"", 0, (const uint8_t *)"", 0);
    lthash_root(&lt, root);
    print_hex("  {(\"key\",\"value\"), (\"\",\"\")} root: ", root, sizeof(root));
    printf("\n");
}

static void print_merkle(void)
{
    uint8_t leaves[10][HASH_SIZE], root[HASH_SIZE];
    printf("## Merkle roots of leaves i = BLAKE2b-256 \"FML/txid\" of the byte i\n\n");
    for (uint8_t i = 0; i < 10; i++)
        hash_tagged(leaves[i], HTAG_TXID, &i, 1);
    for (size_t n = 0; n < 10; n++) {
        char label[32];
        merkle_root((const uint8_t(*)[HASH_SIZE])leaves, n, root);
        snprintf(label, sizeof(label), "  n=%zu ", n);
        print_hex(label, root, sizeof(root));
    }
    printf("\n");
}

static void print_schedule(const struct chain_params *p)
{
    struct sched_entry entries[3];
    struct schedule s;
    struct kvlist state;
    uint8_t key[2];

    printf("## Leader schedule vector\n\n");
    schedule_init(&s);
    for (int i = 0; i < HASH_SIZE; i++)
        s.seed[i] = (uint8_t)i;
    for (int i = 0; i < 3; i++)
        memset(entries[i].pubkey, 0x11 * (i + 1), PUBKEY_SIZE);
    entries[0].stake = 5 * COIN;
    entries[1].stake = 3 * COIN;
    entries[2].stake = 2 * COIN;
    s.entries = entries;
    s.n = 3;
    s.total = 10 * COIN;
    print_hex("  seed: ", s.seed, HASH_SIZE);
    printf("  entries: 11..11 stake %" PRIu64 ", 22..22 stake %" PRIu64 ", 33..33 stake %" PRIu64
           "\n  leaders of slots 0..31 (entry index):",
           entries[0].stake, entries[1].stake, entries[2].stake);
    for (uint64_t slot = 0; slot < 32; slot++) {
        size_t idx;
        if (!schedule_leader(&s, slot, &idx))
            die("leader");
        printf(" %zu", idx);
    }
    printf("\n");

    /* The regtest genesis schedule: who leads the first slots. */
    if (!genesis_state(p, &state))
        die("genesis");
    schedule_key(key, SCHEDULE_CUR);
    for (size_t i = 0; i < state.n; i++) {
        if (state.items[i].klen != 2 || memcmp(state.items[i].key, key, 2) != 0)
            continue;
        struct schedule g;
        if (!schedule_decode(&g, state.items[i].val, state.items[i].vlen, p->max_validators))
            die("schedule");
        printf("  regtest genesis schedule, leaders of slots 1..24 (regtest validator number):");
        for (uint64_t slot = 1; slot <= 24; slot++) {
            size_t idx;
            int who = -1;
            if (!schedule_leader(&g, slot, &idx))
                die("leader");
            for (unsigned v = 0; v < REGTEST_VALIDATORS; v++)
                if (memcmp(p->validators[v].pubkey, g.entries[idx].pubkey, PUBKEY_SIZE) == 0)
                    who = (int)v;
            printf(" %d", who);
        }
        printf("\n");
        schedule_free(&g);
    }
    kvlist_free(&state);
    printf("\n");
}

static void print_networks(void)
{
    static const enum network nets[] = {NET_MAIN, NET_TEST, NET_REGTEST};
    printf("## Genesis hashes of the built-in networks\n\n");
    for (size_t i = 0; i < 3; i++) {
        struct chain_params p;
        char label[PARAMS_NAME_MAX + 8];
        if (!params_init(&p, nets[i]))
            die("params_init");
        snprintf(label, sizeof(label), "  %-8s ", p.name);
        print_hex(label, p.genesis_hash, HASH_SIZE);
        params_free(&p);
    }
    printf("\n");
}

int main(void)
{
    struct chain_params regtest;
    if (sodium_init() < 0)
        die("sodium_init");
    if (!params_init(&regtest, NET_REGTEST))
        die("params_init");
    print_networks();
    print_validators(&regtest);
    print_addresses();
    print_hashes();
    print_transfer(&regtest);
    print_genesis(&regtest);
    print_lthash();
    print_merkle();
    print_schedule(&regtest);
    params_free(&regtest);
    return 0;
}
