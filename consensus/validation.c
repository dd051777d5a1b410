/* Validation results. */
#include "consensus/validation.h"

#include <stdio.h>

static const char *const reject_reasons[REJECT_COUNT] = {
    [REJECT_NONE] = "",
#define REJECT(name, string) [REJECT_##name] = string,
#include "consensus/reject.h"
#undef REJECT
};

const char *reject_reason(enum reject_code code)
{
    if ((unsigned)code >= REJECT_COUNT)
        return "";
    return reject_reasons[code];
}

bool val_fail(struct validation *v, enum val_class cls, enum reject_code code)
{
    v->cls = cls;
    v->code = code;
    v->reason = reject_reason(code);
    v->detail[0] = '\0';
    return false;
}

bool val_failf(struct validation *v, enum val_class cls, enum reject_code code, const char *fmt,
               ...)
{
    va_list ap;
    v->cls = cls;
    v->code = code;
    v->reason = reject_reason(code);
    va_start(ap, fmt);
    vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
    va_end(ap);
    return false;
}

const char *val_class_name(enum val_class cls)
{
    switch (cls) {
    case VAL_OK: return "ok";
    case VAL_MALFORMED: return "malformed";
    case VAL_CONSENSUS: return "consensus";
    case VAL_STATE: return "state";
    case VAL_POLICY: return "policy";
    case VAL_DUPLICATE: return "duplicate";
    case VAL_PREMATURE: return "premature";
    case VAL_ERROR: return "error";
    }
    return "unknown";
}
