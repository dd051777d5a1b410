/* The result of a validity check: a class, a short reject reason, a detail.
 *
 * The class tells callers what to do (P2P: score the peer; mempool: keep for
 * later or drop); the reason is the stable string users and tests see
 * ("bad-txns-nonce"); the detail is free text for logs and RPC errors.
 */
#ifndef FML_CONSENSUS_VALIDATION_H
#define FML_CONSENSUS_VALIDATION_H

#include <stdarg.h>
#include <stdbool.h>

enum val_class {
    VAL_OK = 0,
    VAL_MALFORMED,  /* cannot be decoded, or non-canonical bytes */
    VAL_CONSENSUS,  /* well-formed but breaks a consensus rule */
    VAL_STATE,      /* invalid against the current state (nonce, balance, role) */
    VAL_POLICY,     /* valid but refused by local policy (fee, mempool limits) */
    VAL_DUPLICATE,  /* already known */
    VAL_PREMATURE,  /* may become valid later (missing parent, future slot) */
    VAL_ERROR,      /* local failure (I/O, out of memory): says nothing of validity */
};

struct validation {
    enum val_class cls;
    const char *reason; /* a string literal, e.g. "bad-txns-sig" */
    char detail[128];
};

static inline void val_init(struct validation *v)
{
    v->cls = VAL_OK;
    v->reason = "";
    v->detail[0] = '\0';
}

/* Records the failure and returns false so checks can `return val_fail(...)`. */
bool val_fail(struct validation *v, enum val_class cls, const char *reason);
bool val_failf(struct validation *v, enum val_class cls, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline bool val_ok(const struct validation *v)
{
    return v->cls == VAL_OK;
}

const char *val_class_name(enum val_class cls);

#endif
