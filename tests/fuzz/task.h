/* The FL task that the rpc_dispatch target puts on its chain, shared with
 * tests/fuzz/gen_corpus.c so that the seeds can name the task by its id:
 * the txid of validator 0's FL_TASK_CREATE with nonce 1 (after a transfer)
 * and fee FUZZ_TASK_FEE. */
#ifndef FML_TESTS_FUZZ_TASK_H
#define FML_TESTS_FUZZ_TASK_H

#include "consensus/amount.h"
#include "consensus/fl.h"

#include <string.h>

#define FUZZ_TASK_FEE 100000

static inline void fuzz_task_params(struct fl_task_params *t)
{
    memset(t, 0, sizeof(*t));
    t->spec.kind = FL_MODEL_LOGREG;
    t->spec.n_sizes = 2;
    t->spec.sizes[0] = 3;
    t->spec.sizes[1] = 1;
    t->rounds = 2;
    t->min_participants = 2;
    t->max_participants = 4;
    t->min_stake = COIN;
    t->proposer_slots = 2;
    t->join_blocks = 2;
    t->submit_blocks = 3;
    t->update_reveal_blocks = 2;
    t->commit_blocks = 2;
    t->reveal_blocks = 2;
    t->aggregator = FL_AGG_MEDIAN;
    t->slash_bps = 1000;
    t->voter_reward_bps = 2000;
    t->budget = 10 * COIN;
}

#endif
