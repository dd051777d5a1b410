/* The result of a validity check: a class, a reject code and its reason, a
 * detail.
 *
 * The class tells callers what to do (P2P: score the peer; mempool: keep for
 * later or drop); the code says which rule refused (callers that must tell
 * one refusal from another compare codes, never strings); the reason is the
 * code's stable string users and tests see ("bad-txns-nonce"); the detail is
 * free text for logs and RPC errors.
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

/* REJECT_NONE (reason "") while nothing failed, then one per reason of
 * consensus/reject.h, e.g. REJECT_BAD_TXNS_SIG for "bad-txns-sig". */
enum reject_code {
    REJECT_NONE = 0,
#define REJECT(name, string) REJECT_##name,
#include "consensus/reject.h"
#undef REJECT
    REJECT_COUNT /* not a code: the number of codes, REJECT_NONE included */
};

struct validation {
    enum val_class cls;
    enum reject_code code;
    const char *reason; /* reject_reason(code), e.g. "bad-txns-sig" */
    char detail[128];
};

static inline void val_init(struct validation *v)
{
    v->cls = VAL_OK;
    v->code = REJECT_NONE;
    v->reason = "";
    v->detail[0] = '\0';
}

/* Records the failure (class, code and the code's reason) and returns false
 * so checks can `return val_fail(...)`. */
bool val_fail(struct validation *v, enum val_class cls, enum reject_code code);
bool val_failf(struct validation *v, enum val_class cls, enum reject_code code, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));

/* The reason string of a code: "" for REJECT_NONE and for a value that is
 * not a code. */
const char *reject_reason(enum reject_code code);

static inline bool val_ok(const struct validation *v)
{
    return v->cls == VAL_OK;
}

const char *val_class_name(enum val_class cls);

#endif
