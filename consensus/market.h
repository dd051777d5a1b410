/* The AI Market module, consensus side: the five transaction payloads, the
 * state records with their keys (consensus/market.c), and the pure formulas
 * (consensus/marketmath.c): a model's multiply-adds, its price from its base,
 * its complexity and its demand multiplier, the multiplier's update and lazy
 * decay, the split of a payment, the mining share, the per-share accrual of
 * the data providers' part, and the signed request a compute provider
 * serves.
 *
 * Integer only: no floats, no clock, no I/O.  Every division states its
 * rounding (floor unless said).  The rules that use these are in
 * state/market*.c; everything is specified, with vectors, in
 * doc/protocol.md ("19. AI Market").
 *
 * State keys (every key of the module starts with 'M', MARKET_KEY_PREFIX;
 * heights u64 big-endian, seq u32 big-endian):
 *   'M' 'M' | model                      model record
 *   'M' 'W' | model                      uploaded weights (n x i32, no length)
 *   'M' 'P' | provider                   compute provider record
 *   'M' 'C' | model | provider | payer   calls paid (u64, cumulative)
 *   'M' 'D' | model | key                a data provider's accrual snapshot
 *   'M' 'L'                              model ids, in publication order:
 *                                        'M' 'L' | seq u64 -> model
 *   'M' 'N'                              models published (u64)
 *   'M' 'F'                              the Market pool's flows
 *   'M' 'q' | height                     models called in the block (u32)
 *   'M' 'Q' | height | seq               one model called in the block
 */
#ifndef FML_CONSENSUS_MARKET_H
#define FML_CONSENSUS_MARKET_H

#define MARKET_KEY_PREFIX 'M'

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/fl.h"
#include "consensus/hash.h"
#include "consensus/key.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"

struct chain_params;
struct validation;

/* ---- bounds ---- */

#define MARKET_MODEL_ID_SIZE HASH_SIZE
#define MARKET_MAX_NAME 32           /* printable ASCII, 1..32 bytes */
#define MARKET_MAX_ENDPOINT 128      /* printable ASCII, 0..128 bytes */
#define MARKET_MAX_COMPONENTS 8      /* direct components of a composite */
#define MARKET_MAX_EXPANSION 16      /* models in a call's expansion, itself included */
#define MARKET_MAX_DEPTH 8           /* a leaf has depth 0 */
#define MARKET_MAX_UPLOAD_PARAMS 65536
#define MARKET_MAX_PRICE_AT_CAP UINT64_C(1000000000000) /* 10^12 units per call */
#define MARKET_MAX_CALLS 1000000     /* calls one MARKET_CALL buys */
#define MARKET_MULT_ONE (UINT64_C(1) << 32) /* Q32 1.0 */
/* Models a block's calls may touch (entries under 'M' 'Q' | height), so the
 * end of a block updates at most this many multipliers.  16,384 keeps the
 * worst block of calls (max_block_txs / 2 calls of 16-model expansions)
 * below a block of transfers (doc/protocol.md 19.8); 65,536 put it at 1.6
 * transfer blocks. */
#define MARKET_MAX_HEIGHT_TOUCHED 16384

/* ---- payloads ---- */

enum market_source {
    MARKET_SOURCE_UPLOAD = 0,    /* weights in the payload */
    MARKET_SOURCE_FL = 1,        /* a completed FL task's global model */
    MARKET_SOURCE_ARENA = 2,     /* a settled Arena task's winner (rank 1) */
    MARKET_SOURCE_COMPOSITE = 3, /* components only, no weights of its own */
};
const char *market_source_name(uint8_t source); /* "upload", "fl", "arena", "composite"; NULL */

enum market_mode {
    MARKET_MODE_NONE = 0,     /* a leaf */
    MARKET_MODE_AVERAGE = 1,  /* mean of the components' outputs */
    MARKET_MODE_PIPELINE = 2, /* each component's output is the next one's input */
};
const char *market_mode_name(uint8_t mode); /* "none", "average", "pipeline"; NULL */

struct market_split {
    uint16_t creator_bps;
    uint16_t data_bps;
    uint16_t provider_bps; /* the three sum to 10000 */
};

/* MARKET_PUBLISH:
 *   name varbytes | source u8 | source_id [32] | spec (fl_spec; upload only)
 *   | CompactSize n | n x i32 (upload only) | base_price u64 | target u32
 *   | creator_bps u16 | data_bps u16 | provider_bps u16
 *   | mode u8 | CompactSize k | k x model [32]
 * source_id: the FL task or the Arena task (zero for upload and composite).
 * Upload and FL/Arena leaves have mode NONE and k = 0; a composite has mode
 * AVERAGE or PIPELINE and 2..MARKET_MAX_COMPONENTS components (repeats
 * allowed).  Upload and composite have data_bps 0 (no data providers).  The
 * model id is the txid of the transaction. */
struct market_publish {
    uint8_t name_len;
    char name[MARKET_MAX_NAME + 1];
    uint8_t source;
    uint8_t source_id[HASH_SIZE];
    struct fl_spec spec;      /* upload only; spec.norm a view */
    uint64_t n_weights;       /* upload only: fl_param_count(spec) */
    const uint8_t *weights;   /* n_weights x i32 LE, a view */
    uint64_t base_price;      /* units per call, before the multiplier */
    uint32_t target;          /* target calls per block, >= 1 */
    struct market_split split;
    uint8_t mode;
    uint8_t n_components;
    uint8_t components[MARKET_MAX_COMPONENTS][MARKET_MODEL_ID_SIZE];
};

/* MARKET_SET_PRICE: model [32] | base_price u64 | target u32 (owner only). */
struct market_set_price {
    uint8_t model[MARKET_MODEL_ID_SIZE];
    uint64_t base_price;
    uint32_t target;
};

/* MARKET_PROVIDER_REGISTER: stake u64 | endpoint varbytes.  The first one
 * needs stake >= market_min_provider_stake; a later one adds stake (may be
 * 0) and replaces the endpoint. */
struct market_provider_register {
    uint64_t stake;
    uint8_t endpoint_len;
    char endpoint[MARKET_MAX_ENDPOINT + 1];
};

/* MARKET_CALL: model [32] | provider [32] | calls u32 | max_price u64.
 * Pays calls x the model's price as of the start of the block, refused when
 * that price is above max_price. */
struct market_call {
    uint8_t model[MARKET_MODEL_ID_SIZE];
    uint8_t provider[PUBKEY_SIZE];
    uint32_t calls;
    uint64_t max_price;
};

/* MARKET_CLAIM: model [32].  Pays the sender what its data-provider share of
 * the model has accrued. */
struct market_claim {
    uint8_t model[MARKET_MODEL_ID_SIZE];
};

void market_publish_encode(const struct market_publish *m, struct wbuf *w);
/* Views into p (no copy). */
bool market_publish_decode(struct market_publish *m, const uint8_t *p, size_t n) WARN_UNUSED;
void market_set_price_encode(const struct market_set_price *m, struct wbuf *w);
bool market_set_price_decode(struct market_set_price *m, const uint8_t *p, size_t n) WARN_UNUSED;
void market_provider_register_encode(const struct market_provider_register *m, struct wbuf *w);
bool market_provider_register_decode(struct market_provider_register *m, const uint8_t *p,
                                     size_t n) WARN_UNUSED;
void market_call_encode(const struct market_call *m, struct wbuf *w);
bool market_call_decode(struct market_call *m, const uint8_t *p, size_t n) WARN_UNUSED;
void market_claim_encode(const struct market_claim *m, struct wbuf *w);
bool market_claim_decode(struct market_claim *m, const uint8_t *p, size_t n) WARN_UNUSED;

/* Stateless checks (bad-txns-payload when the payload does not decode
 * exactly; bad-market-payload, with a detail naming the field, for a value
 * out of range: name, source, spec, weights count, target 0, split not
 * summing to 10000 or data_bps on an upload or composite, mode/components,
 * endpoint, calls 0 or above MARKET_MAX_CALLS, max_price 0). */
bool market_publish_check(const struct tx *tx, const struct chain_params *p,
                          struct validation *v);
bool market_set_price_check(const struct tx *tx, const struct chain_params *p,
                            struct validation *v);
bool market_provider_register_check(const struct tx *tx, const struct chain_params *p,
                                    struct validation *v);
bool market_call_check(const struct tx *tx, const struct chain_params *p, struct validation *v);
bool market_claim_check(const struct tx *tx, const struct chain_params *p, struct validation *v);

/* ---- state records ---- */

/* 'M' 'M' | model.  The spec of a leaf is copied from its source (FL task,
 * Arena task or the payload) so the record is all a server needs besides the
 * weights; weights_key names where they are:
 *   upload:    'M' 'W' | model
 *   fl:        'f' 'M' | task | model_round (u32 BE)
 *   arena:     'A' 'W' | task | winner
 * Statistics (calls, revenue, mined) count modulo 2^64 and never fail a
 * block. */
struct market_model {
    uint8_t owner[PUBKEY_SIZE];   /* the publisher: creator share, set price */
    uint64_t published_height;
    uint8_t name_len;
    char name[MARKET_MAX_NAME + 1];
    uint8_t source;
    uint8_t source_id[HASH_SIZE];
    uint8_t winner[PUBKEY_SIZE];  /* arena: the winning trainer (zero otherwise) */
    uint32_t model_round;         /* fl: the round of the final model */
    struct fl_spec spec;          /* leaf only; spec.norm a view */
    uint8_t model_hash[HASH_SIZE];/* leaf: fl_model_hash of the weights */
    uint64_t macs;                /* leaf: market_macs(spec); composite 0 */
    uint8_t mode;
    uint8_t n_components;
    uint8_t components[MARKET_MAX_COMPONENTS][MARKET_MODEL_ID_SIZE];
    uint8_t depth;                /* 0 for a leaf, 1 + max over components */
    uint8_t expansion;            /* models in its expansion, itself included */
    uint32_t n_inputs;            /* features in, classes/outputs out */
    uint32_t n_outputs;
    uint64_t base_price;
    uint32_t target;
    struct market_split split;
    /* Demand multiplier, Q32: its value after the end of block mult_height
     * (the start of the model's publication block for a new model). */
    uint64_t mult;
    uint64_t mult_height;
    /* This block's accumulators, valid when block_height is the current
     * height: calls bought of it (directly or as a component) and the
     * gross own part of their price. */
    uint64_t block_height;
    uint64_t block_calls;
    uint64_t block_own;
    /* Data providers' accrual: shares fixed at publication (fl: the task's
     * total contribution; arena: 1), acc x 2^64 per share with carry, bank
     * = accrued and not claimed. */
    unsigned __int128 data_shares;
    unsigned __int128 acc;
    uint64_t carry;
    uint64_t bank;
    /* Statistics. */
    uint64_t calls;               /* bought, directly or as a component */
    uint64_t own_fees;            /* gross own part paid */
    uint64_t paid_creator;
    uint64_t paid_data;           /* accrued to the data providers */
    uint64_t paid_provider;       /* complexity and provider share */
    uint64_t burned;              /* its own part's burn */
    uint64_t mined;               /* from gpool/market */
};
void market_model_encode(const struct market_model *m, struct wbuf *w);
bool market_model_decode(struct market_model *m, const uint8_t *data, size_t len) WARN_UNUSED;

/* 'M' 'P' | provider. */
struct market_provider {
    uint64_t stake;
    uint64_t registered_height;
    uint8_t endpoint_len;
    char endpoint[MARKET_MAX_ENDPOINT + 1];
    uint64_t calls;   /* statistic: calls bought from it */
    uint64_t earned;  /* statistic: complexity parts, provider shares */
};
void market_provider_encode(const struct market_provider *p, struct wbuf *w);
bool market_provider_decode(struct market_provider *p, const uint8_t *data, size_t len) WARN_UNUSED;

/* 'M' 'F': the Market pool's flows and the funds the module holds. */
struct market_flows {
    uint64_t pool_in;     /* emission into gpool/market (counted mod 2^64) */
    uint64_t mined;       /* paid out of gpool/market as mining */
    uint64_t pool_burned; /* burned by the pool cap */
    uint64_t call_burned; /* the burn at the top of every payment */
    uint64_t stakes;      /* providers' stakes held */
    uint64_t banks;       /* data providers' accruals held */
};
void market_flows_encode(const struct market_flows *f, struct wbuf *w);
bool market_flows_decode(struct market_flows *f, const uint8_t *data, size_t len) WARN_UNUSED;

/* Key builders; return the key length. */
#define MARKET_KEY_MODEL_SIZE (2 + HASH_SIZE)
#define MARKET_KEY_PROVIDER_SIZE (2 + PUBKEY_SIZE)
#define MARKET_KEY_PAID_SIZE (2 + HASH_SIZE + 2 * PUBKEY_SIZE)
#define MARKET_KEY_SNAPSHOT_SIZE (2 + HASH_SIZE + PUBKEY_SIZE)
#define MARKET_KEY_LIST_SIZE (2 + 8)
#define MARKET_KEY_HEIGHT_SIZE (2 + 8)
#define MARKET_KEY_QUEUE_SIZE (2 + 8 + 4)
size_t market_model_key(uint8_t key[MARKET_KEY_MODEL_SIZE], const uint8_t model[HASH_SIZE]);
size_t market_weights_key(uint8_t key[MARKET_KEY_MODEL_SIZE], const uint8_t model[HASH_SIZE]);
size_t market_provider_key(uint8_t key[MARKET_KEY_PROVIDER_SIZE], const uint8_t pub[PUBKEY_SIZE]);
size_t market_paid_key(uint8_t key[MARKET_KEY_PAID_SIZE], const uint8_t model[HASH_SIZE],
                       const uint8_t provider[PUBKEY_SIZE], const uint8_t payer[PUBKEY_SIZE]);
size_t market_snapshot_key(uint8_t key[MARKET_KEY_SNAPSHOT_SIZE], const uint8_t model[HASH_SIZE],
                           const uint8_t pub[PUBKEY_SIZE]);
size_t market_list_key(uint8_t key[MARKET_KEY_LIST_SIZE], uint64_t seq);
size_t market_height_key(uint8_t key[MARKET_KEY_HEIGHT_SIZE], uint64_t height);
size_t market_queue_key(uint8_t key[MARKET_KEY_QUEUE_SIZE], uint64_t height, uint32_t seq);
#define MARKET_COUNT_KEY "MN"
#define MARKET_FLOWS_KEY "MF"

/* ---- formulas (consensus/marketmath.c) ---- */

/* Multiply-adds of one call of a leaf: sum over layers of out x in. */
uint64_t market_macs(const struct fl_spec *s);

/* A model's own price per call at multiplier mult:
 *   own = floor((base x 1000 + macs x fee_per_kmac) x mult / (1000 x 2^32))
 * and its complexity part floor(macs x fee_per_kmac x mult / (1000 x 2^32)),
 * which is <= own.  False when own does not fit in u64. */
bool market_own_price(uint64_t base, uint64_t macs, uint64_t fee_per_kmac, uint64_t mult,
                      uint64_t *own, uint64_t *complexity) WARN_UNUSED;

/* The multiplier after a block in which u calls were bought, target t >= 1:
 *   floor(mult x (7t + u) / (8t)), clamped to [MARKET_MULT_ONE, cap x 2^32]. */
uint64_t market_mult_next(uint64_t mult, uint64_t u, uint32_t t, uint32_t cap);
/* The multiplier after `blocks` blocks without calls: market_mult_next with
 * u = 0 applied `blocks` times, stopping at the floor (at most ~84 steps for
 * any cap up to 2^16, whatever `blocks` is). */
uint64_t market_mult_decay(uint64_t mult, uint64_t blocks, uint32_t cap);

/* How one model's part of a payment divides (calls x own gross):
 *   net        = floor(gross x (10000 - burn_bps) / 10000)
 *   complexity = floor(calls x complexity_per_call x (10000 - burn_bps) / 10000)  (<= net)
 *   r          = net - complexity
 *   creator    = floor(r x creator_bps / 10000)
 *   data       = floor(r x data_bps / 10000)
 *   provider   = complexity + (r - creator - data)
 *   burn       = gross - net
 * so gross = burn + creator + data + provider exactly. */
struct market_pay {
    uint64_t gross;
    uint64_t burn;
    uint64_t creator;
    uint64_t data;
    uint64_t provider;
};
void market_pay_split(uint64_t gross, uint64_t complexity_gross, const struct market_split *s,
                      uint16_t burn_bps, struct market_pay *out);

/* The mining of one model at the end of a block: pool B at that point, the
 * model's own gross e of the block, E the sum over every model called:
 *   min(floor(B x e / E), floor(e x mine_bps / 10000)),  0 when E = 0. */
uint64_t market_mined(uint64_t pool, uint64_t e, uint64_t total_e, uint16_t mine_bps);

/* Data providers' per-share accrual: acc += (amount x 2^64 + carry) / shares,
 * carry := the remainder; bank += amount.  Needs shares > 0.  A holder of s
 * shares with snapshot snap is owed floor(s x (acc - snap) / 2^64). */
void market_accrue(struct market_model *m, uint64_t amount);
uint64_t market_owed(const struct market_model *m, unsigned __int128 shares,
                     unsigned __int128 snapshot);

/* The cap of gpool/market: cap_blocks x (emission x split_market_bps / 10000). */
uint64_t market_pool_cap(uint32_t cap_blocks, uint64_t emission, uint16_t split_market_bps);

/* ---- serving (not consensus: what a provider checks) ---- */

/* The message a payer signs to spend `calls` paid calls of model at
 * provider: H_FML/market-req(model [32] | provider [32] | calls u32 |
 * nonce u64).  A provider accepts a payer's nonces in increasing order only. */
void market_request_hash(uint8_t out[HASH_SIZE], const uint8_t model[HASH_SIZE],
                         const uint8_t provider[PUBKEY_SIZE], uint32_t calls, uint64_t nonce);

#endif
