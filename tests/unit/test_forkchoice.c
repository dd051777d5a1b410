/* The fork choice by justified checkpoint (doc/protocol.md section 20.4):
 * two regtest chains of four equal validators sharing a prefix, one whose
 * branch justifies an epoch with three votes, one whose branch is longer
 * without them; each is handed the other's branch as sync would (headers,
 * then blocks) and the blocks connected are counted with a listener. */
#include "chain_fixture.h"
#include "consensus/finality.h"
#include "state/chain_internal.h"
#include "state/db.h"
#include "state/finality.h"

static struct chain *c, *c2;
static struct mempool *mp, *mp2;
static char dir2[256];
static int connects;

static void count_connect(void *arg, const struct block *b, const struct block_index *bi)
{
    (void)arg, (void)b, (void)bi;
    connects++;
}

static void setup(void)
{
    char err[256] = "";
    fixture_setup();
    c = open_chain();
    mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    ck_assert(fixture_tmpdir(dir2, sizeof(dir2), "test-forkchoice2"));
    c2 = fixture_chain_open(dir2, err, sizeof(err));
    ck_assert_msg(c2 != NULL, "%s", err);
    mp2 = mempool_new(c2, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    ck_assert(mp && mp2);
    connects = 0;
}

static void teardown(void)
{
    mempool_free(mp2);
    chain_close(c2);
    ck_assert(fixture_remove_dir(dir2));
    mempool_free(mp);
    chain_close(c);
    fixture_teardown();
}

static uint64_t tip_epoch(struct chain *ch)
{
    return params_epoch_of(&params, chain_tip(ch)->hdr.slot);
}

static uint64_t justified(struct chain *ch)
{
    struct checkpoint cur, prev;
    struct view *v = chain_view(ch);
    ck_assert(finality_justified(v, &params, &cur, &prev));
    view_free(v);
    return cur.epoch;
}

/* A vote of validator who for epoch e (its checkpoint on ch's active chain)
 * from ch's justified checkpoint, offered to m. */
static void vote_on(struct chain *ch, struct mempool *m, int who, uint64_t e)
{
    struct checkpoint cur, prev;
    struct finality_vote fv;
    struct view *v = chain_view(ch);
    ck_assert(finality_justified(v, &params, &cur, &prev));
    view_free(v);
    const struct block_index *bi = chain_tip(ch);
    while (bi->hdr.height > 0 && bi->hdr.slot >= e * params.epoch_slots)
        bi = chain_at(ch, bi->hdr.height - 1);
    fv.source = cur;
    fv.target.epoch = e;
    memcpy(fv.target.hash, bi->hash, HASH_SIZE);
    struct wbuf w;
    struct tx tx;
    wbuf_init(&w);
    finality_vote_encode(&fv, &w);
    make_tx_sec(&tx, secrets[who], TX_FINALITY_VOTE, &w, 0, 0);
    wbuf_free(&w);
    submit_to(m, &tx, NULL);
    tx_free(&tx);
}

/* Hands the blocks of from's active chain above height `above` to to, as
 * sync does: headers (unchecked below the tip's epoch), then blocks. */
static void hand_over(struct chain *from, struct chain *to, uint64_t above)
{
    struct validation v;
    for (uint64_t h = above + 1; h <= chain_height(from); h++)
        if (!chain_process_header_unchecked(to, &chain_at(from, h)->hdr, &v))
            ck_assert_msg(v.cls == VAL_DUPLICATE, "header %llu: %s", (unsigned long long)h,
                          v.reason);
    for (uint64_t h = above + 1; h <= chain_height(from); h++) {
        struct block b;
        ck_assert(chain_read_block(from, chain_at(from, h), &b));
        if (!chain_process_block(to, &b, &v))
            ck_assert_msg(v.cls != VAL_CONSENSUS && v.cls != VAL_ERROR, "block %llu: %s",
                          (unsigned long long)h, v.reason);
        block_free(&b);
    }
}

/* The shared prefix: two blocks of c, handed to c2.  Returns its height. */
static uint64_t prefix(void)
{
    produce(c, mp);
    produce(c, mp);
    hand_over(c, c2, 0);
    ck_assert_mem_eq(chain_tip(c)->hash, chain_tip(c2)->hash, HASH_SIZE);
    return chain_height(c);
}

/* c justifies epoch 1 (three votes in a block of epoch 1). */
static void justify_on_c(void)
{
    while (tip_epoch(c) < 1)
        produce(c, mp);
    produce(c, mp);
    vote_on(c, mp, 0, 1);
    vote_on(c, mp, 1, 1);
    vote_on(c, mp, 2, 1);
    produce(c, mp);
    ck_assert_uint_eq(justified(c), 1);
    ck_assert(chain_tip(c)->status & BLOCK_JUST_KNOWN);
    ck_assert_uint_eq(chain_tip(c)->just_epoch, 1);
    ck_assert_uint_eq(chain_tip(c)->vote_top, 1);
}

/* c2 grows a branch of its own, without votes, to above `height`. */
static void grow_c2_above(uint64_t height)
{
    produce_at(c2, mp2, chain_tip(c2)->hdr.slot + 2);
    while (chain_height(c2) <= height)
        produce(c2, mp2);
}

static void listen(struct chain *ch)
{
    struct chain_listener l = {.connected = count_connect, .arg = &connects};
    chain_add_listener(ch, &l);
}

/* A shorter branch justifying epoch 1 beats a longer one justifying
 * nothing: the node on the longer branch evaluates the shorter one (it holds
 * votes for an epoch above its justified one) and keeps it. */
START_TEST(shorter_justified_branch_wins)
{
    uint64_t fork = prefix();
    justify_on_c();
    grow_c2_above(chain_height(c) + 2);
    ck_assert_uint_eq(justified(c2), 0);
    ck_assert_uint_gt(chain_height(c2), chain_height(c));
    hand_over(c, c2, fork);
    ck_assert_mem_eq(chain_tip(c2)->hash, chain_tip(c)->hash, HASH_SIZE);
    ck_assert_uint_eq(justified(c2), 1);
}
END_TEST

/* The longer branch without votes reaching the node on the justified
 * branch is not even evaluated: no block is connected. */
START_TEST(longer_branch_without_votes_not_evaluated)
{
    uint64_t fork = prefix();
    justify_on_c();
    grow_c2_above(chain_height(c) + 2);
    const struct block_index *tip = chain_tip(c);
    listen(c);
    hand_over(c2, c, fork);
    ck_assert_int_eq(connects, 0);
    ck_assert_ptr_eq(chain_tip(c), tip);
    ck_assert_uint_eq(justified(c), 1);
    /* Its blocks are stored, their rank only a floor. */
    const struct block_index *side = chain_lookup(c, chain_tip(c2)->hash);
    ck_assert(side && (side->status & BLOCK_HAVE_DATA) && !(side->status & BLOCK_JUST_KNOWN));
}
END_TEST

/* A side branch whose votes target no epoch above the tip's justified one
 * (and is no longer) is never evaluated. */
START_TEST(votes_not_above_the_tip_not_evaluated)
{
    uint64_t fork = prefix();
    justify_on_c();
    /* c2: into epoch 1, one vote for epoch 1 (not enough to justify). */
    produce_at(c2, mp2, chain_tip(c2)->hdr.slot + 2);
    while (tip_epoch(c2) < 1)
        produce(c2, mp2);
    vote_on(c2, mp2, 3, 1);
    produce(c2, mp2);
    ck_assert_uint_eq(chain_tip(c2)->vote_top, 1);
    ck_assert_uint_le(chain_height(c2), chain_height(c));
    listen(c);
    hand_over(c2, c, fork);
    ck_assert_int_eq(connects, 0);
    ck_assert_uint_eq(justified(c), 1);
}
END_TEST

static int disconnects, tips_changed;

static void count_disconnect(void *arg, const struct block *b, const struct block_index *bi)
{
    (void)arg, (void)b, (void)bi;
    disconnects++;
}

static void count_tip(void *arg, const struct block_index *tip)
{
    (void)arg, (void)tip;
    tips_changed++;
}

static void listen_all(struct chain *ch)
{
    struct chain_listener l = {.connected = count_connect,
                               .disconnected = count_disconnect,
                               .tip_changed = count_tip,
                               .arg = &disconnects};
    disconnects = tips_changed = connects = 0;
    chain_add_listener(ch, &l);
}

/* The node on a longer branch justifying nothing evaluates a shorter one
 * holding a vote for epoch 1 (it could justify it), finds that it does not
 * (one vote of four), and goes back; the branch is not evaluated again. */
START_TEST(evaluation_goes_back)
{
    uint64_t fork = prefix();
    while (tip_epoch(c) < 1)
        produce(c, mp);
    produce(c, mp);
    vote_on(c, mp, 0, 1);
    produce(c, mp);
    ck_assert_uint_eq(justified(c), 0);
    ck_assert_uint_eq(chain_tip(c)->vote_top, 1);
    grow_c2_above(chain_height(c) + 2);
    const struct block_index *tip = chain_tip(c2);
    uint8_t roots[HASH_SIZE];
    chain_state_root(c2, roots);
    listen_all(c2);
    hand_over(c, c2, fork);
    ck_assert_int_gt(connects, 0); /* evaluated */
    ck_assert_ptr_eq(chain_tip(c2), tip); /* and left */
    /* Listeners hear of the tip though it ends where it began: the mempool
     * takes back the disconnected blocks' transactions then. */
    ck_assert_int_gt(disconnects, 0);
    ck_assert_int_gt(tips_changed, 0);
    uint8_t root[HASH_SIZE];
    chain_state_root(c2, root);
    ck_assert_mem_eq(root, roots, HASH_SIZE);
    const struct block_index *side = chain_lookup(c2, chain_tip(c)->hash);
    ck_assert(side->status & BLOCK_JUST_KNOWN);
    ck_assert_uint_eq(side->just_epoch, 0);
    check_supply(c2);
    /* Known now: another block on the tip evaluates nothing again. */
    connects = 0;
    produce(c2, mp2);
    ck_assert_int_eq(connects, 1);
}
END_TEST

/* A vote signed by a key with no validator record does not count for
 * vote_top: any key can sign one, and it must not make the node evaluate a
 * branch (the block holding it is stored, never connected). */
START_TEST(votes_of_non_validators_not_counted)
{
    uint64_t fork = prefix();
    justify_on_c();
    produce_at(c2, mp2, chain_tip(c2)->hdr.slot + 2);
    struct block b;
    struct validation v;
    ck_assert_msg(try_build_at(c2, mp2, chain_tip(c2)->hdr.slot + 1, &b, &v), "%s", v.reason);
    uint8_t sec[SECKEY_SIZE], pub[PUBKEY_SIZE];
    memset(sec, 0x5a, sizeof(sec));
    ck_assert(key_pubkey(pub, sec));
    struct finality_vote fv = {.source = {.epoch = 0}, .target = {.epoch = 5}};
    memcpy(fv.source.hash, params.genesis_hash, HASH_SIZE);
    struct wbuf w;
    struct tx tx;
    wbuf_init(&w);
    finality_vote_encode(&fv, &w);
    make_tx_sec(&tx, sec, TX_FINALITY_VOTE, &w, 0, 0);
    wbuf_free(&w);
    ck_assert(block_add_tx(&b, &tx));
    tx_free(&tx);
    block_merkle_root(&b, b.hdr.tx_root);
    ck_assert(regtest_sign(NULL, &b.hdr));
    hand_over(c2, c, fork);
    listen(c);
    ck_assert_msg(chain_process_header_unchecked(c, &b.hdr, &v), "%s", v.reason);
    ck_assert_msg(chain_process_block(c, &b, &v), "%s", v.reason);
    uint8_t hash[HASH_SIZE];
    header_hash(&b.hdr, hash);
    const struct block_index *bi = chain_lookup(c, hash);
    ck_assert(bi && (bi->status & BLOCK_HAVE_DATA) && (bi->status & BLOCK_VOTES_KNOWN));
    ck_assert_uint_eq(bi->vote_top, 0);
    ck_assert(!(bi->status & (BLOCK_FAILED | BLOCK_JUST_KNOWN)));
    ck_assert_int_eq(connects, 0);
    block_free(&b);
}
END_TEST

/* c2 grows past the shared prefix into epoch 2 (slots skipped, few
 * blocks); c's tip stays the prefix's. */
static void grow_c2_to_epoch2(void)
{
    while (tip_epoch(c2) < 2)
        produce_at(c2, mp2, chain_tip(c2)->hdr.slot + params.epoch_slots / 2);
    produce(c2, mp2);
}

/* A block of epoch 1 on c's tip (the prefix), holding a vote of validator
 * 0 for target, proposed by the slot's leader, or when sec is given by
 * that key; handed to c2 as sync does.  It forks below c2's epoch: its
 * leader is not checked there. */
static void side_block_to_c2(uint64_t target, const uint8_t *sec, struct block *b)
{
    struct validation v;
    uint64_t slot = params.epoch_slots + 1;
    ck_assert_uint_gt(slot, chain_tip(c)->hdr.slot);
    ck_assert_msg(try_build_at(c, mp, slot, b, &v), "%s", v.reason);
    struct finality_vote fv = {.source = {.epoch = 0}, .target = {.epoch = target}};
    memcpy(fv.source.hash, params.genesis_hash, HASH_SIZE);
    memcpy(fv.target.hash, chain_tip(c)->hash, HASH_SIZE);
    struct wbuf w;
    struct tx tx;
    wbuf_init(&w);
    finality_vote_encode(&fv, &w);
    make_tx_sec(&tx, secrets[0], TX_FINALITY_VOTE, &w, 0, 0);
    wbuf_free(&w);
    ck_assert(block_add_tx(b, &tx));
    tx_free(&tx);
    block_merkle_root(b, b->hdr.tx_root);
    if (sec) {
        uint8_t aux[32] = {0};
        ck_assert(key_pubkey(b->hdr.proposer, sec));
        ck_assert(header_sign(&b->hdr, params.genesis_hash, sec, aux));
    } else {
        ck_assert(regtest_sign(NULL, &b->hdr));
    }
    listen_all(c2);
    ck_assert_msg(chain_process_header_unchecked(c2, &b->hdr, &v), "%s", v.reason);
    ck_assert_msg(chain_process_block(c2, b, &v), "%s %s", v.reason, v.detail);
}

/* A vote whose target epoch lies after its block's (here 2^40: it could
 * never be counted nor slashed) does not count for vote_top, though its
 * sender is a validator: the branch is not evaluated. */
START_TEST(far_future_vote_not_counted)
{
    (void)prefix();
    grow_c2_to_epoch2();
    const struct block_index *tip = chain_tip(c2);
    struct block b;
    side_block_to_c2((uint64_t)1 << 40, NULL, &b);
    uint8_t hash[HASH_SIZE];
    header_hash(&b.hdr, hash);
    const struct block_index *bi = chain_lookup(c2, hash);
    ck_assert(bi && (bi->status & BLOCK_VOTES_KNOWN));
    ck_assert_uint_eq(bi->vote_top, 0);
    ck_assert_int_eq(disconnects, 0);
    ck_assert_int_eq(connects, 0);
    ck_assert_ptr_eq(chain_tip(c2), tip);
    block_free(&b);
}
END_TEST

/* A branch whose first block (leader not checked: it forks below the tip's
 * epoch) comes from a key with no weight is never evaluated, whatever
 * votes it holds: no block is disconnected. */
START_TEST(throwaway_proposer_not_evaluated)
{
    (void)prefix();
    grow_c2_to_epoch2();
    const struct block_index *tip = chain_tip(c2);
    uint8_t sec[SECKEY_SIZE], pub[PUBKEY_SIZE];
    memset(sec, 0x3c, sizeof(sec));
    ck_assert(key_pubkey(pub, sec));
    ck_assert(!chain_has_vote_weight(c2, pub));
    ck_assert(chain_has_vote_weight(c2, pubs[0]));
    struct block b;
    side_block_to_c2(1, sec, &b);
    uint8_t hash[HASH_SIZE];
    header_hash(&b.hdr, hash);
    const struct block_index *bi = chain_lookup(c2, hash);
    ck_assert(bi && (bi->status & BLOCK_LEADER_UNCHECKED) && (bi->status & BLOCK_HAVE_DATA));
    ck_assert_uint_eq(bi->vote_top, 1);
    ck_assert_int_eq(disconnects, 0);
    ck_assert_ptr_eq(chain_tip(c2), tip);
    /* Its body counts among the lower branches' bodies (the cap sync
     * fetches up to). */
    ck_assert_uint_eq(chain_lower_bodies(c2), 1);
    ck_assert_uint_eq(chain_lower_bodies_max(c2), 2 * params.finality_depth);
    block_free(&b);
}
END_TEST

/* just_epoch and vote_top survive a restart; a record of the size written
 * before they were kept still loads, with neither known. */
START_TEST(restart_keeps_just_epoch)
{
    (void)prefix();
    justify_on_c();
    uint8_t hash[HASH_SIZE];
    memcpy(hash, chain_tip(c)->hash, HASH_SIZE);
    mempool_free(mp);
    chain_close(c);
    c = open_chain();
    mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    const struct block_index *bi = chain_lookup(c, hash);
    ck_assert_ptr_eq(bi, chain_tip(c));
    ck_assert(bi->status & BLOCK_JUST_KNOWN);
    ck_assert(bi->status & BLOCK_VOTES_KNOWN);
    ck_assert_uint_eq(bi->just_epoch, 1);
    ck_assert_uint_eq(bi->vote_top, 1);
    ck_assert(chain_at(c, 0)->status & BLOCK_JUST_KNOWN);

    /* The old record: header, status, file, offset, size, ntx, seq. */
    uint8_t rec[BLOCK_HEADER_SIZE + 4 * 5 + 8 + 16];
    size_t old = BLOCK_HEADER_SIZE + 4 * 5 + 8;
    header_encode(&bi->hdr, rec);
    write_le32(rec + BLOCK_HEADER_SIZE, bi->status);
    memset(rec + BLOCK_HEADER_SIZE + 4, 0, 4 * 4);
    write_le64(rec + BLOCK_HEADER_SIZE + 20, bi->seq);
    write_le64(rec + old, 7);
    write_le64(rec + old + 8, 9);
    struct block_index x;
    memset(&x, 0, sizeof(x));
    ck_assert(index_record_decode(&x, rec, old));
    ck_assert_mem_eq(x.hash, hash, HASH_SIZE);
    ck_assert(!(x.status & (BLOCK_JUST_KNOWN | BLOCK_VOTES_KNOWN)));
    ck_assert_uint_eq(x.seq, bi->seq);
    ck_assert(index_record_decode(&x, rec, sizeof(rec)));
    ck_assert_uint_eq(x.just_epoch, 7);
    ck_assert_uint_eq(x.vote_top, 9);
    ck_assert(!index_record_decode(&x, rec, old + 8));

    /* The tip's record rewritten in the old size: after a restart its
     * just_epoch comes from the chainstate. */
    memset(rec + BLOCK_HEADER_SIZE, 0, old - BLOCK_HEADER_SIZE);
    write_le32(rec + BLOCK_HEADER_SIZE, bi->status);
    write_le32(rec + BLOCK_HEADER_SIZE + 4, bi->file);
    write_le32(rec + BLOCK_HEADER_SIZE + 8, bi->offset);
    write_le32(rec + BLOCK_HEADER_SIZE + 12, bi->size);
    write_le32(rec + BLOCK_HEADER_SIZE + 16, bi->ntx);
    write_le64(rec + BLOCK_HEADER_SIZE + 20, bi->seq);
    mempool_free(mp);
    chain_close(c);
    char path[300], err[256] = "";
    snprintf(path, sizeof(path), "%s/blocks/index", datadir);
    struct db *db = db_open(path, 1 << 20, false, err, sizeof(err));
    ck_assert_msg(db != NULL, "%s", err);
    uint8_t key[1 + HASH_SIZE] = {'b'};
    memcpy(key + 1, hash, HASH_SIZE);
    struct db_batch *batch = db_batch_new();
    db_batch_put(batch, key, sizeof(key), rec, old);
    ck_assert(db_write(db, batch, true));
    db_batch_free(batch);
    db_close(db);
    c = open_chain();
    mp = mempool_new(c, MEMPOOL_DEFAULT_MAX_BYTES, MEMPOOL_DEFAULT_MIN_FEE_RATE);
    bi = chain_tip(c);
    ck_assert_mem_eq(bi->hash, hash, HASH_SIZE);
    ck_assert(bi->status & BLOCK_JUST_KNOWN);
    ck_assert_uint_eq(bi->just_epoch, 1);
}
END_TEST

static Suite *forkchoice_suite(void)
{
    Suite *s = suite_create("forkchoice");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, shorter_justified_branch_wins);
    tcase_add_test(tc, longer_branch_without_votes_not_evaluated);
    tcase_add_test(tc, votes_not_above_the_tip_not_evaluated);
    tcase_add_test(tc, evaluation_goes_back);
    tcase_add_test(tc, votes_of_non_validators_not_counted);
    tcase_add_test(tc, restart_keeps_just_epoch);
    tcase_add_test(tc, far_future_vote_not_counted);
    tcase_add_test(tc, throwaway_proposer_not_evaluated);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(forkchoice_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
