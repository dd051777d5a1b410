/* JSON helpers of the RPC layer: exact amounts, hex strings, and the
 * serializer every reply goes through.
 *
 * A jansson real is a double and cannot hold every amount (10^17 base units
 * need 57 bits), so an amount is kept as a one-member object whose key starts
 * with a NUL byte and whose value is the decimal text.  Parsed input can never
 * produce such a key (jansson rejects \u0000 unless JSON_ALLOW_NUL is given,
 * which this node never does), and rpc_json_dumps writes the member's value as
 * a bare JSON number.  Nothing here may print through jansson's own dumper.
 */
#include "rpc/rpc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/amount.h"

static const char amount_key[] = "\0fml:amount";
#define AMOUNT_KEY_LEN (sizeof(amount_key) - 1)
/* The same trick for text already serialized (json_raw): written verbatim. */
static const char raw_key[] = "\0fml:raw";
#define RAW_KEY_LEN (sizeof(raw_key) - 1)

/* Decimal exponents accepted in amount strings (beyond them every non-zero
 * value is out of range or below one unit anyway). */
#define AMOUNT_MAX_EXPONENT 1000

void rpc_format_amount(uint64_t units, char out[32])
{
    snprintf(out, 32, "%" PRIu64 ".%08" PRIu64, units / COIN, units % COIN);
}

static json_t *amount_from_text(const char *text)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    if (json_object_setn_new_nocheck(obj, amount_key, AMOUNT_KEY_LEN, json_string(text)) != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

json_t *json_amount(uint64_t units)
{
    char text[32];
    rpc_format_amount(units, text);
    return amount_from_text(text);
}

json_t *json_amount_signed(uint64_t units, bool negative)
{
    char text[33];
    rpc_format_amount(units, text + 1);
    text[0] = '-';
    return amount_from_text(negative && units ? text : text + 1);
}

/* The string member of a one-member object whose key is key, or NULL. */
static const json_t *special_member(const json_t *value, const char *key, size_t key_len)
{
    if (!json_is_object(value) || json_object_size(value) != 1)
        return NULL;
    void *it = json_object_iter((json_t *)value);
    if (!it || json_object_iter_key_len(it) != key_len ||
        memcmp(json_object_iter_key(it), key, key_len) != 0)
        return NULL;
    return json_object_iter_value(it);
}

/* The decimal text of a json_amount value, or NULL. */
static const char *amount_text(const json_t *value)
{
    return json_string_value(special_member(value, amount_key, AMOUNT_KEY_LEN));
}

json_t *json_raw(const char *text, size_t len)
{
    json_t *obj = json_object();
    json_t *s = json_stringn_nocheck(text, len);
    if (!obj || !s || json_object_setn_new_nocheck(obj, raw_key, RAW_KEY_LEN, s) != 0) {
        if (!obj)
            json_decref(s);
        json_decref(obj);
        return NULL;
    }
    return obj;
}

json_t *json_hex(const uint8_t *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *text = malloc(2 * len + 1);
    if (!text)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        text[2 * i] = digits[data[i] >> 4];
        text[2 * i + 1] = digits[data[i] & 15];
    }
    json_t *s = json_stringn(text, 2 * len);
    free(text);
    return s;
}

/* ---- Amount parsing ---- */

enum amount_status { AMOUNT_OK, AMOUNT_INVALID, AMOUNT_RANGE };

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses the grammar of a JSON number ("-"? int frac? exp?) exactly into
 * base units. */
static enum amount_status parse_decimal(const char *s, size_t len, uint64_t *units)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && s[i] == '-') {
        neg = true;
        i++;
    }
    size_t int_start = i;
    if (i < len && s[i] == '0') {
        i++;
    } else if (i < len && s[i] >= '1' && s[i] <= '9') {
        while (i < len && is_digit(s[i]))
            i++;
    } else {
        return AMOUNT_INVALID;
    }
    size_t int_end = i, frac_start = i, frac_end = i;
    if (i < len && s[i] == '.') {
        i++;
        frac_start = i;
        while (i < len && is_digit(s[i]))
            i++;
        frac_end = i;
        if (frac_end == frac_start)
            return AMOUNT_INVALID;
    }
    long exponent = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        if (i == len || !is_digit(s[i]))
            return AMOUNT_INVALID;
        while (i < len && is_digit(s[i])) {
            exponent = exponent * 10 + (s[i] - '0');
            if (exponent > AMOUNT_MAX_EXPONENT)
                return AMOUNT_INVALID;
            i++;
        }
        if (eneg)
            exponent = -exponent;
    }
    if (i != len)
        return AMOUNT_INVALID;

    /* The significant digits are the integer digits followed by the
     * fraction digits; units = digits * 10^shift. */
    size_t n_int = int_end - int_start, n_frac = frac_end - frac_start;
    size_t n_digits = n_int + n_frac;
    size_t first = 0; /* index of the first non-zero digit */
    size_t last = n_digits; /* one past the last non-zero digit */
#define DIGIT(k) ((k) < n_int ? s[int_start + (k)] : s[frac_start + (k) - n_int])
    while (first < n_digits && DIGIT(first) == '0')
        first++;
    if (first == n_digits) {
        *units = 0;
        return AMOUNT_OK;
    }
    while (DIGIT(last - 1) == '0')
        last--;
    long shift = 8 - (long)n_frac + exponent + (long)(n_digits - last);
    if (shift < 0)
        return AMOUNT_INVALID; /* more than 8 decimals */
    if (neg)
        return AMOUNT_RANGE;
    if ((long)(last - first) + shift > 18)
        return AMOUNT_RANGE; /* at least 10^18 units */
    uint64_t v = 0;
    for (size_t k = first; k < last; k++)
        v = v * 10 + (uint64_t)(DIGIT(k) - '0');
#undef DIGIT
    for (long k = 0; k < shift; k++)
        v *= 10;
    if (v > MAX_SUPPLY)
        return AMOUNT_RANGE;
    *units = v;
    return AMOUNT_OK;
}

/* The shortest decimal text that reads back as d. */
static void format_double(double d, char out[40])
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, 40, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            return;
    }
}

static enum amount_status parse_amount(const json_t *value, uint64_t *units, bool *type_ok)
{
    *type_ok = true;
    const char *text = amount_text(value);
    if (text)
        return parse_decimal(text, strlen(text), units);
    if (json_is_integer(value)) {
        json_int_t v = json_integer_value(value);
        if (v < 0 || (uint64_t)v > MAX_SUPPLY / COIN)
            return AMOUNT_RANGE;
        *units = (uint64_t)v * COIN;
        return AMOUNT_OK;
    }
    if (json_is_real(value)) {
        double d = json_real_value(value);
        if (!isfinite(d))
            return AMOUNT_INVALID;
        if (d < 0)
            return AMOUNT_RANGE;
        char buf[40];
        format_double(d, buf);
        return parse_decimal(buf, strlen(buf), units);
    }
    if (json_is_string(value))
        return parse_decimal(json_string_value(value), json_string_length(value), units);
    *type_ok = false;
    return AMOUNT_INVALID;
}

bool rpc_parse_amount_err(const json_t *value, uint64_t *units, const char **err)
{
    bool type_ok;
    uint64_t v = 0;
    enum amount_status st = parse_amount(value, &v, &type_ok);
    const char *msg = NULL;
    switch (st) {
    case AMOUNT_OK:
        *units = v;
        break;
    case AMOUNT_INVALID:
        msg = type_ok ? "Invalid amount" : "Amount is not a number or string";
        break;
    case AMOUNT_RANGE:
        msg = "Amount out of range";
        break;
    }
    if (err)
        *err = msg;
    return st == AMOUNT_OK;
}

bool rpc_parse_amount(const json_t *value, uint64_t *units)
{
    return rpc_parse_amount_err(value, units, NULL);
}

bool json_amount_units(const json_t *value, uint64_t *units)
{
    const char *text = amount_text(value);
    return text && parse_decimal(text, strlen(text), units) == AMOUNT_OK;
}

/* ---- Serializer ---- */

/* The output buffer (struct rpc_out, rpc.h): no stdio (its per-call locking
 * cost more than the encoding itself on big replies). */
#define out rpc_out

static bool out_reserve(struct out *o, size_t n)
{
    if (o->oom)
        return false;
    if (o->len + n + 1 <= o->cap)
        return true;
    size_t cap = o->cap ? o->cap : 256;
    while (cap < o->len + n + 1)
        cap *= 2;
    char *p = realloc(o->p, cap);
    if (!p) {
        o->oom = true;
        return false;
    }
    o->p = p;
    o->cap = cap;
    return true;
}

static inline void out_add(struct out *o, const char *s, size_t n)
{
    if (n && out_reserve(o, n)) {
        memcpy(o->p + o->len, s, n);
        o->len += n;
    }
}

static inline void out_str(struct out *o, const char *s)
{
    out_add(o, s, strlen(s));
}

static inline void out_ch(struct out *o, char c)
{
    if (o->len + 2 <= o->cap || out_reserve(o, 1))
        o->p[o->len++] = c;
}

static void write_string(struct out *o, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    out_ch(o, '"');
    size_t run = 0; /* start of the pending unescaped run */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char ubuf[7];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                memcpy(ubuf, "\\u00", 4);
                ubuf[4] = hex[c >> 4];
                ubuf[5] = hex[c & 15];
                ubuf[6] = '\0';
                esc = ubuf;
            }
            break;
        }
        if (esc) {
            out_add(o, s + run, i - run);
            out_str(o, esc);
            run = i + 1;
        }
    }
    out_add(o, s + run, len - run);
    out_ch(o, '"');
}

static void write_indent(struct out *o, int indent, int level)
{
    for (int i = 0; i < indent * level; i++)
        out_ch(o, ' ');
}

static void write_value(struct out *o, const json_t *v, int indent, int level)
{
    const json_t *raw = special_member(v, raw_key, RAW_KEY_LEN);
    if (raw && json_is_string(raw)) {
        out_add(o, json_string_value(raw), json_string_length(raw));
        return;
    }
    const char *amount = amount_text(v);
    if (amount) {
        out_str(o, amount);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        out_ch(o, '{');
        if (indent)
            out_ch(o, '\n');
        size_t n = json_object_size(v), i = 0;
        for (void *it = json_object_iter((json_t *)v); it;
             it = json_object_iter_next((json_t *)v, it), i++) {
            write_indent(o, indent, level + 1);
            write_string(o, json_object_iter_key(it), json_object_iter_key_len(it));
            out_str(o, indent ? ": " : ":");
            write_value(o, json_object_iter_value(it), indent, level + 1);
            if (i + 1 < n)
                out_ch(o, ',');
            if (indent)
                out_ch(o, '\n');
        }
        write_indent(o, indent, level);
        out_ch(o, '}');
        break;
    }
    case JSON_ARRAY: {
        out_ch(o, '[');
        if (indent)
            out_ch(o, '\n');
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            write_indent(o, indent, level + 1);
            write_value(o, json_array_get(v, i), indent, level + 1);
            if (i + 1 < n)
                out_ch(o, ',');
            if (indent)
                out_ch(o, '\n');
        }
        write_indent(o, indent, level);
        out_ch(o, ']');
        break;
    }
    case JSON_STRING:
        write_string(o, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        out_add(o, buf, n > 0 ? (size_t)n : 0);
        break;
    }
    case JSON_REAL: {
        char buf[40];
        format_double(json_real_value(v), buf);
        out_str(o, buf);
        if (!strpbrk(buf, ".eE"))
            out_str(o, ".0");
        break;
    }
    case JSON_TRUE:
        out_str(o, "true");
        break;
    case JSON_FALSE:
        out_str(o, "false");
        break;
    case JSON_NULL:
        out_str(o, "null");
        break;
    }
}

char *rpc_json_dumps(const json_t *value, int indent, size_t *len)
{
    struct out o = {0};
    if (indent < 0)
        indent = 0;
    write_value(&o, value, indent, 0);
    if (!out_reserve(&o, 0)) {
        free(o.p);
        return NULL;
    }
    o.p[o.len] = '\0';
    if (len)
        *len = o.len;
    return o.p;
}

/* ---- Direct writing (rpc.h) ---- */

void rpc_out_add(struct rpc_out *o, const char *s, size_t n)
{
    out_add(o, s, n);
}

void rpc_out_str(struct rpc_out *o, const char *s)
{
    out_str(o, s);
}

void rpc_out_ch(struct rpc_out *o, char c)
{
    out_ch(o, c);
}

void rpc_out_string(struct rpc_out *o, const char *s, size_t len)
{
    write_string(o, s, len);
}

void rpc_out_hex(struct rpc_out *o, const uint8_t *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    if (!out_reserve(o, 2 * len + 2))
        return;
    char *p = o->p + o->len;
    *p++ = '"';
    for (size_t i = 0; i < len; i++) {
        *p++ = digits[data[i] >> 4];
        *p++ = digits[data[i] & 15];
    }
    *p++ = '"';
    o->len += 2 * len + 2;
}

/* The decimal digits of v ending at end; returns where they start (no
 * stdio: its format parsing was a tenth of a big block's encoding). */
static char *u64_digits(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

void rpc_out_int(struct rpc_out *o, int64_t v)
{
    char buf[24], *end = buf + sizeof buf;
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = u64_digits(end, mag);
    if (v < 0)
        *--p = '-';
    out_add(o, p, (size_t)(end - p));
}

void rpc_out_amount(struct rpc_out *o, uint64_t units)
{
    char buf[40], *end = buf + sizeof buf;
    uint64_t frac = units % COIN;
    char *p = end;
    for (int i = 0; i < 8; i++) {
        *--p = (char)('0' + frac % 10);
        frac /= 10;
    }
    *--p = '.';
    p = u64_digits(p, units / COIN);
    out_add(o, p, (size_t)(end - p));
}

void rpc_out_value(struct rpc_out *o, const json_t *v)
{
    write_value(o, v, 0, 0);
}

json_t *rpc_out_raw(struct rpc_out *o)
{
    json_t *v = o->oom ? NULL : json_raw(o->p ? o->p : "", o->len);
    free(o->p);
    *o = (struct rpc_out){0};
    return v;
}
