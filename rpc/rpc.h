/* The RPC layer's public face: method tables, the handler API, error codes.
 *
 * A method is one table entry (struct rpc_method): its name, arguments with
 * types, help text and handler.  The same entry produces `help`, checks the
 * types of the arguments before the handler runs, and maps named arguments
 * (JSON-RPC params given as an object) to positions.  Handlers read their
 * arguments through typed accessors and never touch the raw request.
 *
 * Methods are grouped in one file per area (rpc/blockchain.c, rpc/rawtx.c,
 * rpc/mining.c, rpc/control.c, wallet/rpcwallet.c, ...), each exporting a table
 * that node/ registers at start-up.
 */
#ifndef FML_RPC_RPC_H
#define FML_RPC_RPC_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/attr.h"

/* bitcoind's error codes. */
enum rpc_code {
    RPC_MISC_ERROR = -1,
    RPC_TYPE_ERROR = -3,
    RPC_WALLET_ERROR = -4,
    RPC_INVALID_ADDRESS_OR_KEY = -5,
    RPC_WALLET_INSUFFICIENT_FUNDS = -6,
    RPC_OUT_OF_MEMORY = -7,
    RPC_INVALID_PARAMETER = -8,
    RPC_CLIENT_NOT_CONNECTED = -9,
    RPC_CLIENT_IN_INITIAL_DOWNLOAD = -10,
    RPC_WALLET_INVALID_LABEL_NAME = -11,
    RPC_WALLET_KEYPOOL_RAN_OUT = -12,
    RPC_WALLET_UNLOCK_NEEDED = -13,
    RPC_WALLET_PASSPHRASE_INCORRECT = -14,
    RPC_WALLET_WRONG_ENC_STATE = -15,
    RPC_WALLET_ENCRYPTION_FAILED = -16,
    RPC_WALLET_ALREADY_UNLOCKED = -17,
    RPC_WALLET_NOT_FOUND = -18,
    RPC_WALLET_NOT_SPECIFIED = -19,
    RPC_DATABASE_ERROR = -20,
    RPC_DESERIALIZATION_ERROR = -22,
    RPC_CLIENT_NODE_ALREADY_ADDED = -23,
    RPC_CLIENT_NODE_NOT_ADDED = -24,
    RPC_VERIFY_ERROR = -25,
    RPC_VERIFY_REJECTED = -26,
    RPC_VERIFY_ALREADY_IN_CHAIN = -27,
    RPC_IN_WARMUP = -28,
    RPC_CLIENT_NODE_NOT_CONNECTED = -29,
    RPC_CLIENT_INVALID_IP_OR_SUBNET = -30,
    RPC_CLIENT_P2P_DISABLED = -31,
    RPC_METHOD_DEPRECATED = -32,
    RPC_WALLET_ALREADY_LOADED = -35,
    RPC_WALLET_ALREADY_EXISTS = -36,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_PARSE_ERROR = -32700,
};

/* Argument types, checked before the handler runs (RPC_TYPE_ERROR otherwise). */
enum rpc_type {
    RPC_STR,    /* JSON string */
    RPC_INT,    /* JSON integer, int64 */
    RPC_UINT,   /* JSON integer >= 0, uint64 */
    RPC_BOOL,   /* JSON true/false */
    RPC_AMOUNT, /* FML as a JSON number or decimal string, at most 8 decimals */
    RPC_HEX,    /* JSON string of an even number of hex digits */
    RPC_OBJ,    /* JSON object */
    RPC_ARR,    /* JSON array */
    RPC_ANY,    /* any JSON value */
};

struct rpc_arg {
    const char *name;
    enum rpc_type type;
    bool required;
    const char *def;  /* default, as shown in help (NULL: none) */
    const char *desc;
};

#define RPC_MAX_ARGS 10

struct rpc_call;
typedef json_t *(*rpc_handler)(struct rpc_call *call);

struct rpc_method {
    const char *category; /* "Blockchain", "Control", "Mining", "Rawtransactions", "Wallet", ... */
    const char *name;
    rpc_handler handler;
    const char *summary;  /* one paragraph: what it does */
    struct rpc_arg args[RPC_MAX_ARGS]; /* ends at the first entry with name == NULL */
    const char *result;   /* help text describing the result */
    const char *examples; /* help text with fml-cli / curl examples */
    bool unlocked;        /* run without taking the node lock (help, uptime, stop) */
    /* Answered on the HTTP thread itself, without a worker: only for
     * handlers that take no lock, do no I/O and run in bounded, tiny time
     * (they read atomically published values).  Implies unlocked. */
    bool fast;
};

/* What the node hands the RPC layer when it starts it.  rpc/ never includes
 * node/ headers: everything a handler may touch is reached from here. */
struct chain;
struct mempool;
struct wallets;
struct producer;
struct p2p;
struct rpc_staker; /* rpc/methods.h */
struct provider;   /* rpc/provider.h */
struct fee_estimator; /* rpc/fees.h */

struct rpc_env {
    const struct chain_params *params;
    struct chain *chain;
    struct mempool *mempool;
    struct fee_estimator *fees;       /* rpc/fees.h (NULL: estimatesmartfee has no data) */
    struct wallets *wallets;          /* opaque here: for the wallet's own methods */
    const struct rpc_staker *staker;  /* the wallets' validator keys (NULL without) */
    struct producer *producer;
    struct p2p *p2p;
    pthread_mutex_t *lock;   /* the node lock, held around every locked handler */
    uint64_t start_time;     /* unix seconds, for uptime */
    const char *datadir;     /* network data directory */
    struct provider *provider; /* -provider=1: served addresses, call ledger (else NULL) */
    void (*request_shutdown)(void);
};

/* ---- Handler API (valid only inside a handler) ---- */

struct rpc_env *rpc_env(struct rpc_call *call);
/* The wallet named by the request URI (/wallet/NAME), or NULL for "/". */
const char *rpc_wallet_name(struct rpc_call *call);

/* Number of arguments given (positional, after mapping named ones). */
size_t rpc_argc(struct rpc_call *call);
bool rpc_has(struct rpc_call *call, size_t idx);
/* Typed accessors; the type was checked before the handler ran.  The
 * defaults apply when the argument is absent or JSON null. */
const char *rpc_str(struct rpc_call *call, size_t idx, const char *def);
int64_t rpc_int(struct rpc_call *call, size_t idx, int64_t def);
uint64_t rpc_uint(struct rpc_call *call, size_t idx, uint64_t def);
bool rpc_bool(struct rpc_call *call, size_t idx, bool def);
uint64_t rpc_amount(struct rpc_call *call, size_t idx, uint64_t def); /* base units */
/* Decoded bytes of a RPC_HEX argument (owned by the call). */
const uint8_t *rpc_hex(struct rpc_call *call, size_t idx, size_t *len);
/* Borrowed JSON value, or NULL when absent. */
json_t *rpc_json(struct rpc_call *call, size_t idx);

/* Records an error for the reply and returns NULL: `return rpc_error(...)`. */
json_t *rpc_error(struct rpc_call *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- JSON helpers ---- */

/* An amount in base units, written as an exact FML decimal with 8 places
 * (jansson's reals cannot hold every amount exactly). */
json_t *json_amount(uint64_t units);
/* The same, written with a minus sign when negative (sends, fees in wallet
 * history); zero is never negative. */
json_t *json_amount_signed(uint64_t units, bool negative);
/* Lower-case hex string of bytes. */
json_t *json_hex(const uint8_t *data, size_t len);
/* Serialization that writes json_amount values exactly.  indent 0: compact.
 * The caller frees the result. */
char *rpc_json_dumps(const json_t *value, int indent, size_t *len);

/* JSON text already serialized (compact), kept as a value that
 * rpc_json_dumps writes verbatim: a big reply written straight from its
 * data (getblock) rides in a jansson reply without a value per field.
 * The text is copied; NULL on allocation failure. */
json_t *json_raw(const char *text, size_t len);

/* Writing compact JSON straight into a growable buffer, with the bytes
 * rpc_json_dumps(..., 0, ...) gives for the same values.  Start from
 * (struct rpc_out){0}; on allocation failure oom is set and writes stop. */
struct rpc_out {
    char *p;
    size_t len, cap;
    bool oom;
};
void rpc_out_add(struct rpc_out *o, const char *s, size_t n);
void rpc_out_str(struct rpc_out *o, const char *s);  /* verbatim */
void rpc_out_ch(struct rpc_out *o, char c);
void rpc_out_string(struct rpc_out *o, const char *s, size_t len); /* quoted, escaped */
void rpc_out_hex(struct rpc_out *o, const uint8_t *data, size_t len); /* quoted hex */
void rpc_out_int(struct rpc_out *o, int64_t v);
void rpc_out_amount(struct rpc_out *o, uint64_t units); /* as json_amount */
void rpc_out_value(struct rpc_out *o, const json_t *v);  /* as rpc_json_dumps */
/* The written text as a json_raw value (NULL after an allocation failure);
 * frees the buffer and resets o. */
json_t *rpc_out_raw(struct rpc_out *o);

/* Parses "12.3456789" or a JSON number into base units; false when negative,
 * above the supply cap, or with more than 8 decimals. */
bool rpc_parse_amount(const json_t *value, uint64_t *units) WARN_UNUSED;
/* Formats units as "12.34560000"; out must hold 32 bytes. */
void rpc_format_amount(uint64_t units, char out[32]);

/* ---- Method registry ---- */

struct rpc_table;
struct rpc_table *rpc_table_new(void);
void rpc_table_free(struct rpc_table *t);
/* Adds methods (a static array); false on a duplicate name. */
bool rpc_table_add(struct rpc_table *t, const struct rpc_method *methods, size_t n) WARN_UNUSED;
const struct rpc_method *rpc_table_find(const struct rpc_table *t, const char *name);
size_t rpc_table_count(const struct rpc_table *t);
const struct rpc_method *rpc_table_at(const struct rpc_table *t, size_t i);

/* Runs one JSON-RPC request object (not a batch) and returns the reply
 * object, or NULL for a JSON-RPC 2.0 notification.  Used by the HTTP server
 * and by tests that drive the dispatcher without sockets. */
json_t *rpc_execute(const struct rpc_table *t, struct rpc_env *env, const char *wallet,
                    const json_t *request, int *http_status);

/* Told of every call rpc_execute runs: the method's table name (NULL for a
 * method not in the table) and its run time in seconds, lock wait included.
 * Called from the RPC worker threads. */
typedef void (*rpc_call_observer)(const char *method, double seconds);
/* Sets the observer (NULL: none); for the metrics of -metrics=1. */
void rpc_set_call_observer(rpc_call_observer fn);

/* Run by rpc_handle_json around a batch, on the thread that then runs the
 * batch's calls in order, without the node lock: with the batch (an array)
 * before its first call, with NULL after its last (rawtx_batch_hook checks
 * the signatures of a batch's sendrawtransaction calls on the -par pool).
 * It may prepare work for the calls; it never changes a reply. */
typedef void (*rpc_batch_hook)(const struct rpc_table *t, struct rpc_env *env,
                               const json_t *batch);
/* Sets the hook (NULL: none). */
void rpc_set_batch_hook(rpc_batch_hook fn);
/* Argument idx of the call that request makes to method m, when rpc_execute
 * would run m's handler for it (an object with a supported "jsonrpc", m's
 * name as method, params that map onto m's arguments with the right
 * types); NULL otherwise, or when the argument is absent.  A batch hook
 * asks here so that it looks only at calls that will run.  The value is
 * borrowed from request. */
const json_t *rpc_request_arg(const struct rpc_method *m, const json_t *request, size_t idx);

/* ---- Additions: whole-body handling, help text, amount details ---- */

/* Like rpc_parse_amount; on failure *err (if given) is bitcoind's message:
 * "Amount is not a number or string", "Invalid amount" (not a decimal, or
 * more than 8 decimals) or "Amount out of range" (negative or above the
 * supply cap).  A JSON number is read through its shortest decimal form, so
 * prefer strings for amounts that need all 17 significant digits. */
bool rpc_parse_amount_err(const json_t *value, uint64_t *units, const char **err) WARN_UNUSED;
/* The units of a json_amount() value; false for any other value. */
bool json_amount_units(const json_t *value, uint64_t *units) WARN_UNUSED;

/* Runs a whole HTTP body: one request object or a batch (array).  Returns
 * the reply, or NULL for a lone JSON-RPC 2.0 notification (*http_status
 * 204).  *http_status follows bitcoind: 200, or for a legacy (1.0/1.1)
 * single request 400 (-32600), 404 (-32601), 500 (other errors). */
json_t *rpc_handle_json(const struct rpc_table *t, struct rpc_env *env, const char *wallet,
                        const json_t *body, int *http_status);
/* Same from the raw body text: parse errors give -32700 with HTTP 500, like
 * bitcoind.  Returns the serialized reply with a final newline (NULL with
 * *http_status 204 for a notification, or on allocation failure with
 * *http_status 500).  The caller frees the result. */
char *rpc_handle_body(const struct rpc_table *t, struct rpc_env *env, const char *wallet,
                      const char *body, size_t len, int *http_status, size_t *reply_len);
/* rpc_handle_body for a body that is one request object (not a batch) of a
 * method marked fast, no larger than RPC_FAST_MAX_BODY; *handled false
 * (and NULL) for any other body, which goes to a worker. */
#define RPC_FAST_MAX_BODY 1024
char *rpc_handle_body_fast(const struct rpc_table *t, struct rpc_env *env, const char *wallet,
                           const char *body, size_t len, int *http_status, size_t *reply_len,
                           bool *handled);
/* Limits on a request body's JSON, checked before it is parsed. */
#define RPC_MAX_JSON_DEPTH 512
#define RPC_MAX_JSON_VALUES (1u << 20)

/* The table the running call was dispatched from (for `help`). */
const struct rpc_table *rpc_call_table(struct rpc_call *call);
/* Help text of a method: usage line, summary, arguments, result, examples;
 * what `help NAME` returns and the message of a call with a wrong number of
 * arguments.  The caller frees it. */
char *rpc_method_help(const struct rpc_method *m);
/* One usage line, e.g. `getblock "blockhash" ( verbosity )`.  Caller frees. */
char *rpc_method_usage(const struct rpc_method *m);

/* Methods of the RPC layer itself: help, uptime, stop. */
extern const struct rpc_method rpc_control_methods[];
extern const size_t rpc_control_methods_count;

#endif
