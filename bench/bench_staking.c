/* Benchmark of the staking state transition's worst cases against a full
 * block of transfers, all measured in the same run on a regtest chain:
 *
 *   - a block of n TRANSFERs (the reference),
 *   - a block of n UNBONDs (each queues an unbonding entry at one height),
 *   - the same UNBONDs on a state whose queue at that height already holds
 *     -queued entries (more than one block can put there: it shows the cost
 *     per entry does not depend on what the queue holds),
 *   - n STAKE_ADDs; n DELEGATEs among the validators (the same records
 *     rewritten) and from n distinct delegators to one validator (a new
 *     record each); n UNDELEGATEs of those delegations (an unbonding entry
 *     each); VALIDATOR_REGISTERs up to max_validators (the only bound on
 *     them); EVIDENCEs, as many as max_block_size holds (each two header
 *     signatures: a validator can sign two headers for any number of slots,
 *     so a full block of real double proposals is possible);
 *   - FL_UPDATE_COMMITs, FL_UPDATE_REVEALs (of the smallest model: as many
 *     as the block holds), FL_VOTE_COMMITs and FL_VOTE_REVEALs (of
 *     FL_MAX_SLOTS verdicts each, the most a reveal carries), n each, over
 *     tasks of FL_MAX_PARTICIPANTS written into the state the block is
 *     applied to.
 *
 * Each is measured twice: n transactions (max_block_txs lifted for the
 * measurement), whose ratio to n transfers is the cost of one transaction
 * of the type, from which its block units (consensus/txtypes.c) are chosen;
 * and the full block the rule allows (max_block_txs / block units of them,
 * or all when fewer fit), against n transfers on the chain's parameters.
 * State written for the measurement (funded keys, delegations, FL tasks)
 * lives in an in-memory view under the block's, so it reads faster than
 * the LevelDB state the transfers' accounts are looked up in.
 *
 * Each figure is the minimum over -reps runs of: the stateless block checks
 * (signatures), the state transition into a fresh view over the chain state,
 * and the state root over the changes.  The ratios to the transfer block are
 * what stays comparable across machines.
 *
 *   bench_staking [-n=20000] [-queued=100000] [-reps=2]
 *
 * The clock lives here only: nothing of this program reaches consensus. */
#include "bench/bench_chain.h"
#include "consensus/accounts.h"
#include "consensus/amount.h"
#include "consensus/fl.h"
#include "consensus/fltx.h"
#include "consensus/serialize.h"
#include "consensus/stakingtx.h"
#include "consensus/txtypes.h"
#include "state/accounts.h"
#include "state/apply.h"
#include "state/chain.h"
#include "state/fl.h"
#include "state/staking.h"
#include "state/view.h"
#include "tests/regtest_signer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char dir[] = "/tmp/fml-bench-staking-XXXXXX";

/* The senders of a block's transactions: the four validators' keys, or
 * many funded keys (one transaction each). */
struct senders {
    size_t n;
    const uint8_t (*sec)[SECKEY_SIZE];
    const uint8_t (*pub)[PUBKEY_SIZE];
    uint64_t nonce0; /* the first nonce of every sender */
};

static struct senders validators(void)
{
    struct senders s = {REGTEST_VALIDATORS, secrets, pubs, 0};
    return s;
}

static uint8_t (*many_sec)[SECKEY_SIZE];
static uint8_t (*many_pub)[PUBKEY_SIZE];

/* The FL tasks the round transactions address: kind 'U' (submit window
 * open), 'W' (update reveal window), 'C' (commit window), 'R' (reveal
 * window), FL_MAX_PARTICIPANTS senders each (one role each: a proposer or a
 * voter); the vote reveals carry FL_MAX_SLOTS verdicts. */
static const struct fl_task_params bench_task = {
    .spec = {.kind = FL_MODEL_LOGREG, .n_sizes = 2, .sizes = {1, 1}},
    .rounds = FL_MAX_ROUNDS,
    .min_participants = 2,
    .max_participants = FL_MAX_PARTICIPANTS,
    .min_stake = 1,
    .proposer_slots = FL_MAX_SLOTS,
    .join_blocks = 1,
    .submit_blocks = 1,
    .update_reveal_blocks = 1,
    .commit_blocks = 1,
    .reveal_blocks = 1,
    .aggregator = FL_AGG_FEDAVG,
    .slash_bps = 5000,
    .voter_reward_bps = 5000,
    .budget = 1,
};

static const uint8_t bench_weights[4 * 2]; /* the smallest model's P = 2, zeros */
static uint8_t bench_verdicts[FL_VERDICT_SIZE * FL_MAX_SLOTS]; /* +1 each */

static void task_id(uint8_t id[FL_TASK_ID_SIZE], char kind, uint64_t j)
{
    memset(id, 0, FL_TASK_ID_SIZE);
    id[0] = (uint8_t)kind;
    write_be64(id + 1, j);
}

/* Running tasks of kind, round 1 in the window of height h that `which`
 * names, and an entry of the role for each of the n senders. */
static void fl_state(struct view *v, char kind, uint64_t h, uint64_t n,
                     const uint8_t (*pub)[PUBKEY_SIZE])
{
    uint64_t ntasks = (n + FL_MAX_PARTICIPANTS - 1) / FL_MAX_PARTICIPANTS;
    /* Windows of one block from the round's start (heights wrap below 0
     * for the chain's first block: the windows are still consecutive). */
    uint64_t start = h; /* the submit window is h */
    if (kind == 'W')
        start = h - 1;
    else if (kind == 'C')
        start = h - 2;
    else if (kind == 'R')
        start = h - 3;
    struct fl_windows win;
    fl_round_windows(&bench_task, start, &win);
    if ((kind == 'U' && (h < win.submit_start || h > win.submit_end)) ||
        (kind == 'W' && (h < win.update_reveal_start || h > win.update_reveal_end)) ||
        (kind == 'C' && (h < win.commit_start || h > win.commit_end)) ||
        (kind == 'R' && (h < win.reveal_start || h > win.reveal_end)))
        die("fl windows", NULL);
    for (uint64_t j = 0; j < ntasks; j++) {
        uint8_t id[FL_TASK_ID_SIZE], key[FL_KEY_TASK_SIZE];
        struct fl_task t;
        struct wbuf w;
        memset(&t, 0, sizeof(t));
        t.created_height = 1;
        t.p = bench_task;
        task_id(id, kind, j);
        fl_key_task(key, 'T', id);
        wbuf_init(&w);
        fl_task_encode(&t, &w);
        view_put_wbuf(v, key, sizeof(key), &w);
        wbuf_free(&w);
        struct fl_status st;
        memset(&st, 0, sizeof(st));
        st.state = FL_TASK_RUNNING;
        st.round = 1;
        st.round_start = start;
        st.n_participants = st.n_active = FL_MAX_PARTICIPANTS;
        fl_put_status(v, id, &st);
        struct fl_round rd;
        memset(&rd, 0, sizeof(rd));
        rd.start = start;
        rd.n_proposers = rd.n_voters = FL_MAX_PARTICIPANTS;
        rd.n_slots = FL_MAX_SLOTS;
        rd.n_update_reveals = FL_MAX_SLOTS; /* the verdicts each reveal carries */
        fl_put_round(v, id, 1, &rd);
    }
    for (uint64_t i = 0; i < n; i++) {
        uint8_t id[FL_TASK_ID_SIZE], salt[32];
        struct fl_entry e;
        memset(&e, 0, sizeof(e));
        memset(salt, 7, sizeof(salt));
        task_id(id, kind, i / FL_MAX_PARTICIPANTS);
        e.role = kind == 'U' || kind == 'W' ? FL_ROLE_PROPOSER : FL_ROLE_VOTER;
        e.stake = 1;
        e.slots = e.role == FL_ROLE_PROPOSER;
        if (kind == 'W') {
            uint8_t mh[HASH_SIZE];
            fl_model_hash(mh, bench_weights, 2);
            e.flags = FL_ENTRY_COMMITTED;
            fl_update_commitment(e.commitment, id, 1, pub[i], mh, salt);
        } else if (kind == 'R') {
            e.vote_flags = FL_VOTE_COMMITTED;
            fl_vote_commitment(e.vote_commitment, id, 1, pub[i], FL_MAX_SLOTS, bench_verdicts,
                               salt);
        }
        fl_put_entry(v, id, 1, pub[i], &e);
    }
}

/* The payload of transaction i of a type. */
static void payload(uint8_t type, uint64_t i, struct wbuf *w)
{
    switch (type) {
    case TX_TRANSFER: {
        struct transfer t = {.amount = COIN};
        uint8_t sec[SECKEY_SIZE];
        derived_key(i, 1, sec, t.to); /* a new account each */
        transfer_encode(&t, w);
        break;
    }
    case TX_VALIDATOR_REGISTER: {
        struct validator_register r = {.stake = params.min_validator_stake, .commission_bps = 0};
        memset(r.randao_commit, (int)(i & 0xff), HASH_SIZE);
        validator_register_encode(&r, w);
        break;
    }
    case TX_DELEGATE:
    case TX_UNDELEGATE: {
        /* To the validator after the sender's (a validator never delegates
         * to itself here); many senders all delegate to validator 0. */
        struct delegation_change d = {.amount = (type == TX_DELEGATE ? 2 : 1) * COIN};
        memcpy(d.validator, pubs[0], PUBKEY_SIZE);
        (void)i;
        delegation_change_encode(&d, w);
        break;
    }
    case TX_EVIDENCE: {
        /* Two headers of validator i % 4 at slot 1,000,000 + i: a double
         * proposal each (the rules do not ask that it was the slot's leader). */
        struct evidence e;
        memset(&e, 0, sizeof(e));
        e.a.version = BLOCK_VERSION;
        e.a.height = 1;
        e.a.slot = 1000000 + i;
        memcpy(e.a.proposer, pubs[i % REGTEST_VALIDATORS], PUBKEY_SIZE);
        e.b = e.a;
        e.b.tx_root[0] = 1;
        if (!regtest_sign(NULL, &e.a) || !regtest_sign(NULL, &e.b))
            die("evidence", NULL);
        evidence_encode(&e, w);
        break;
    }
    case TX_FL_UPDATE_COMMIT: {
        struct fl_update_commit uc;
        task_id(uc.task, 'U', i / FL_MAX_PARTICIPANTS);
        uc.round = 1;
        memset(uc.commitment, 7, HASH_SIZE);
        fl_update_commit_encode(&uc, w);
        break;
    }
    case TX_FL_UPDATE_REVEAL: {
        struct fl_update_reveal u;
        task_id(u.task, 'W', i / FL_MAX_PARTICIPANTS);
        u.round = 1;
        memset(u.salt, 7, sizeof(u.salt));
        u.n = fl_param_count(&bench_task.spec);
        u.weights = bench_weights;
        fl_update_reveal_encode(&u, w);
        break;
    }
    case TX_FL_VOTE_COMMIT: {
        struct fl_vote_commit cm;
        task_id(cm.task, 'C', i / FL_MAX_PARTICIPANTS);
        cm.round = 1;
        memset(cm.commitment, 7, HASH_SIZE);
        fl_vote_commit_encode(&cm, w);
        break;
    }
    case TX_FL_VOTE_REVEAL: {
        struct fl_vote_reveal rv;
        task_id(rv.task, 'R', i / FL_MAX_PARTICIPANTS);
        rv.round = 1;
        memset(rv.salt, 7, sizeof(rv.salt));
        rv.n = FL_MAX_SLOTS;
        rv.verdicts = bench_verdicts;
        fl_vote_reveal_encode(&rv, w);
        break;
    }
    default: /* STAKE_ADD, UNBOND */
        stake_amount_encode(1, w);
    }
}

/* n transactions of one type, spread over the senders. */
static void fill_from(struct block *b, uint8_t type, uint64_t n, const struct senders *s)
{
    struct wbuf w;
    uint64_t *nonce = calloc(s->n, sizeof(uint64_t));
    if (!nonce)
        die("out of memory", NULL);
    wbuf_init(&w);
    for (uint64_t i = 0; i < n; i++) {
        size_t from = (size_t)(i % s->n);
        struct tx tx;
        wbuf_reset(&w);
        payload(type, i, &w);
        tx_init(&tx);
        tx.type = type;
        memcpy(tx.sender, s->pub[from], PUBKEY_SIZE);
        tx.nonce = s->nonce0 + nonce[from]++;
        tx.fee = 100000;
        if (type == TX_DELEGATE && s->n == REGTEST_VALIDATORS)
            /* validators delegate to the next one */
            memcpy(w.data, pubs[(from + 1) % REGTEST_VALIDATORS], PUBKEY_SIZE);
        if (!tx_set_payload(&tx, w.data, w.len) ||
            !tx_sign(&tx, params.genesis_hash, s->sec[from], NULL) || !block_add_tx(b, &tx))
            die("making transactions", NULL);
        tx_free(&tx);
    }
    wbuf_free(&w);
    free(nonce);
}

static void fill_block(struct block *b, uint8_t type, uint64_t n)
{
    struct senders s = validators();
    fill_from(b, type, n, &s);
}

int main(int argc, char **argv)
{
    uint64_t n = 20000, queued = 100000, reps = 2;
    for (int i = 1; i < argc; i++)
        if (!arg_u64(argv[i], "-n", &n) && !arg_u64(argv[i], "-queued", &queued) &&
            !arg_u64(argv[i], "-reps", &reps)) {
            fprintf(stderr, "usage: %s [-n=20000] [-queued=100000] [-reps=2]\n", argv[0]);
            return 2;
        }
    if (n == 0 || reps == 0 || !regtest_keys_init())
        return 2;
    struct chain *c = bench_open_chain(dir);
    if (!c)
        return 1;

    struct block transfers, unbonds;
    block_init(&transfers);
    block_init(&unbonds);
    make_header(c, &transfers.hdr);
    unbonds.hdr = transfers.hdr;
    fill_block(&transfers, TX_TRANSFER, n);
    fill_block(&unbonds, TX_UNBOND, n);
    seal(&transfers);
    seal(&unbonds);

    /* The other staking types, each block as full as the rules allow.
     * Funded keys: n delegators, and registrants up to the validator cap. */
    uint64_t nreg = params.max_validators > REGTEST_VALIDATORS
                        ? params.max_validators - REGTEST_VALIDATORS
                        : 0;
    size_t nmany = (size_t)(n > nreg ? n : nreg);
    many_sec = calloc(nmany, SECKEY_SIZE);
    many_pub = calloc(nmany, PUBKEY_SIZE);
    uint8_t (*reg_sec)[SECKEY_SIZE] = calloc(nreg + 1, SECKEY_SIZE);
    uint8_t (*reg_pub)[PUBKEY_SIZE] = calloc(nreg + 1, PUBKEY_SIZE);
    if (!many_sec || !many_pub || !reg_sec || !reg_pub)
        die("out of memory", NULL);
    struct view *funded = chain_view(c);
    struct validation v;
    for (size_t i = 0; i < nmany; i++) {
        derived_key(i, 2, many_sec[i], many_pub[i]);
        if (!accounts_credit(funded, many_pub[i], 10 * COIN, &v))
            die("funding", &v);
    }
    for (size_t i = 0; i < nreg; i++) {
        derived_key(i, 3, reg_sec[i], reg_pub[i]);
        if (!accounts_credit(funded, reg_pub[i], params.min_validator_stake + COIN, &v))
            die("funding", &v);
    }
    struct senders many = {(size_t)n, (const uint8_t(*)[SECKEY_SIZE])many_sec,
                           (const uint8_t(*)[PUBKEY_SIZE])many_pub, 0};
    struct senders regs = {(size_t)nreg, (const uint8_t(*)[SECKEY_SIZE])reg_sec,
                           (const uint8_t(*)[PUBKEY_SIZE])reg_pub, 0};
    struct block adds, dels_v, dels_many, undels, registers, evidences, ucommits, updates,
        commits, reveals;
    struct block *blocks[] = {&adds,      &dels_v,   &dels_many, &undels,  &registers,
                              &evidences, &ucommits, &updates,   &commits, &reveals};
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        block_init(blocks[i]);
        blocks[i]->hdr = transfers.hdr;
    }
    fill_block(&adds, TX_STAKE_ADD, n);
    fill_block(&dels_v, TX_DELEGATE, n);
    fill_from(&dels_many, TX_DELEGATE, n, &many);
    many.nonce0 = 1;
    fill_from(&undels, TX_UNDELEGATE, n, &many);
    fill_from(&registers, TX_VALIDATOR_REGISTER, nreg, &regs);
    /* Evidence: as many as max_block_size holds. */
    struct wbuf ew;
    wbuf_init(&ew);
    payload(TX_EVIDENCE, 0, &ew);
    uint64_t ev_size = TX_FIXED_SIZE + compact_size_len(ew.len) + ew.len;
    wbuf_free(&ew);
    uint64_t nev = (params.max_block_size - BLOCK_HEADER_SIZE - 5) / ev_size;
    if (nev > n)
        nev = n;
    fill_block(&evidences, TX_EVIDENCE, nev);
    /* FL round transactions: FL_MAX_PARTICIPANTS to a task, as many tasks
     * as n needs (rounds of tasks started at different heights share
     * windows when the windows are long: nothing bounds them but the
     * block).  The smallest model's updates, so that n of them fit. */
    many.nonce0 = 0;
    uint64_t nupd = (params.max_block_size - BLOCK_HEADER_SIZE - 5) /
                    fl_update_reveal_tx_size(fl_param_count(&bench_task.spec)); /* by size alone */
    if (nupd > n)
        nupd = n;
    uint64_t nvr = (params.max_block_size - BLOCK_HEADER_SIZE - 5) /
                   fl_vote_reveal_tx_size(FL_MAX_SLOTS);
    if (nvr > n)
        nvr = n;
    for (size_t i = 0; i < FL_MAX_SLOTS; i++)
        bench_verdicts[FL_VERDICT_SIZE * i] = 1;
    fill_from(&ucommits, TX_FL_UPDATE_COMMIT, n, &many);
    fill_from(&updates, TX_FL_UPDATE_REVEAL, nupd, &many);
    fill_from(&commits, TX_FL_VOTE_COMMIT, n, &many);
    fill_from(&reveals, TX_FL_VOTE_REVEAL, nvr, &many);
    struct view *flstate = view_new(NULL, funded);
    fl_state(flstate, 'U', transfers.hdr.height, n, many_pub);
    fl_state(flstate, 'W', transfers.hdr.height, nupd, many_pub);
    fl_state(flstate, 'C', transfers.hdr.height, n, many_pub);
    fl_state(flstate, 'R', transfers.hdr.height, nvr, many_pub);
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
        seal(blocks[i]);
    /* The delegations the UNDELEGATEs draw from: the n delegations applied
     * in a view over the funded one. */
    struct view *delegated = view_new(NULL, funded);
    {
        struct block_ctx ctx;
        block_ctx_init(&ctx, &params, &dels_many.hdr, &chain_tip(c)->hdr);
        for (size_t i = 0; i < dels_many.ntx; i++)
            if (!apply_tx(delegated, &ctx, &dels_many.txs[i], &v))
                die("delegating", &v);
    }

    /* A queue at the maturity height of these UNBONDs already holding
     * `queued` entries. */
    struct view *full = chain_view(c);
#ifdef UNBONDING_ENTRY_KEY_SIZE
    uint64_t maturity = transfers.hdr.height + params.unbonding_blocks;
    uint8_t key[UNBONDING_ENTRY_KEY_SIZE], count[8];
    struct wbuf w;
    wbuf_init(&w);
    for (uint64_t i = 0; i < queued; i++) {
        struct unbonding_entry e = {.amount = 1};
        memcpy(e.owner, pubs[i % REGTEST_VALIDATORS], PUBKEY_SIZE);
        wbuf_reset(&w);
        unbonding_entry_encode(&e, &w);
        unbonding_entry_key(key, maturity, i);
        view_put_wbuf(full, key, sizeof(key), &w);
    }
    wbuf_free(&w);
    if (queued) {
        write_le64(count, queued);
        view_put(full, key, UNBONDING_COUNT_KEY_SIZE, count, sizeof(count));
    }
#else
    queued = 0; /* the single-list queue of earlier versions: compared without */
#endif

    /* n of each type, max_block_txs lifted (the cost a transaction); then
     * the full block the rule allows: the first max_block_txs / units of
     * the same transactions (or all of them when fewer), on the chain's
     * parameters. */
    struct chain_params lifted = params;
    lifted.max_block_txs = (uint32_t)(3 * n);
    check_params = &lifted;
    double t_tx = best_of(c, NULL, &transfers, reps);
    struct {
        const char *what;
        uint8_t type;
        struct block *b;
        struct view *parent;
        double t, t_full;
        size_t n_full;
    } rows[] = {
        {"UNBONDs, empty queue", TX_UNBOND, &unbonds, NULL, 0, 0, 0},
        {"UNBONDs, -queued entries already queued", TX_UNBOND, &unbonds, full, 0, 0, 0},
        {"STAKE_ADDs", TX_STAKE_ADD, &adds, NULL, 0, 0, 0},
        {"DELEGATEs, the 4 validators to each other (same records)", TX_DELEGATE, &dels_v, NULL, 0, 0, 0},
        {"DELEGATEs, distinct delegators, one validator", TX_DELEGATE, &dels_many, funded, 0, 0, 0},
        {"UNDELEGATEs, distinct delegations of one validator", TX_UNDELEGATE, &undels, delegated, 0, 0, 0},
        {"VALIDATOR_REGISTERs (up to max_validators)", TX_VALIDATOR_REGISTER, &registers, funded, 0, 0, 0},
        {"EVIDENCEs (as many as max_block_size holds)", TX_EVIDENCE, &evidences, NULL, 0, 0, 0},
        {"FL_UPDATE_COMMITs", TX_FL_UPDATE_COMMIT, &ucommits, flstate, 0, 0, 0},
        {"FL_UPDATE_REVEALs of the smallest model", TX_FL_UPDATE_REVEAL, &updates, flstate, 0, 0, 0},
        {"FL_VOTE_COMMITs", TX_FL_VOTE_COMMIT, &commits, flstate, 0, 0, 0},
        {"FL_VOTE_REVEALs of FL_MAX_SLOTS verdicts", TX_FL_VOTE_REVEAL, &reveals, flstate, 0, 0, 0},
    };
    const size_t nrows = sizeof(rows) / sizeof(rows[0]);
    for (size_t i = 0; i < nrows; i++)
        rows[i].t = best_of(c, rows[i].parent, rows[i].b, reps);
    check_params = &params;
    double t_tx_full = best_of(c, NULL, &transfers, reps);
    for (size_t i = 0; i < nrows; i++) {
        size_t k = params.max_block_txs / txtype_block_units(rows[i].type);
        if (k >= rows[i].b->ntx) {
            rows[i].n_full = rows[i].b->ntx;
            rows[i].t_full = best_of(c, rows[i].parent, rows[i].b, reps);
            continue;
        }
        struct block part;
        block_init(&part);
        part.hdr = rows[i].b->hdr;
        for (size_t j = 0; j < k; j++)
            if (!block_add_tx(&part, &rows[i].b->txs[j]))
                die("out of memory", NULL);
        seal(&part);
        rows[i].n_full = k;
        rows[i].t_full = best_of(c, rows[i].parent, &part, reps);
        block_free(&part);
    }
    view_free(full);
    view_free(flstate);
    view_free(delegated);
    view_free(funded);

    printf("Blocks of each staking and FL round type against %" PRIu64
           " TRANSFERs, min of %" PRIu64 " runs (stateless checks + transition + state root; "
           "-queued=%" PRIu64 ").\n\n",
           n, reps, queued);
    printf("| transactions | n | time (ms) | ratio a transaction | block units | full block: n | "
           "time (ms) | ratio |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    printf("| TRANSFERs | %" PRIu64 " | %.1f | 1.00 | %u | %" PRIu64 " | %.1f | 1.00 |\n", n,
           t_tx * 1e3, txtype_block_units(TX_TRANSFER), n, t_tx_full * 1e3);
    for (size_t i = 0; i < nrows; i++)
        printf("| %s | %zu | %.1f | %.2f | %u | %zu | %.1f | %.2f |\n", rows[i].what,
               rows[i].b->ntx, rows[i].t * 1e3,
               rows[i].t / t_tx * (double)n / (double)rows[i].b->ntx,
               txtype_block_units(rows[i].type), rows[i].n_full, rows[i].t_full * 1e3,
               rows[i].t_full / t_tx_full);

    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
        block_free(blocks[i]);
    free(many_sec);
    free(many_pub);
    free(reg_sec);
    free(reg_pub);
    block_free(&transfers);
    block_free(&unbonds);
    chain_close(c);
    remove_dir();
    return 0;
}
