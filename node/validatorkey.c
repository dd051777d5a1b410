/* Validator key files (see validatorkey.h; the ceremony is in doc/launch.md). */
#include "node/validatorkey.h"
#include "consensus/staking.h"
#include "node/genesisfile.h"
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void validatorkey_clear(struct validator_keyfile *k)
{
    sodium_memzero(k, sizeof(*k));
}

static void commitment(struct validator_keyfile *k)
{
    uint8_t seed[HASH_SIZE];
    randao_onion_seed(seed, k->sec, k->onion_generation);
    randao_onion(k->randao_commit, seed, k->onion_length);
    sodium_memzero(seed, sizeof(seed));
}

bool validatorkey_generate(struct validator_keyfile *k, uint64_t onion_length)
{
    memset(k, 0, sizeof(*k));
    if (onion_length == 0 || onion_length > VALIDATOR_KEY_ONION_MAX)
        return false;
    do
        randombytes_buf(k->sec, SECKEY_SIZE);
    while (!key_pubkey(k->pub, k->sec));
    k->onion_generation = 0;
    k->onion_length = onion_length;
    commitment(k);
    return true;
}

static char *dump(json_t *o)
{
    char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    char *out = realloc(text, n + 2);
    if (!out) {
        free(text);
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    return out;
}

static json_t *hex(const uint8_t *b, size_t n)
{
    char s[2 * 64 + 1];
    sodium_bin2hex(s, sizeof(s), b, n);
    return json_string(s);
}

char *validatorkey_encode(const struct validator_keyfile *k)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "privkey", hex(k->sec, SECKEY_SIZE));
    json_object_set_new(o, "pubkey", hex(k->pub, PUBKEY_SIZE));
    json_object_set_new(o, "onion_generation", json_integer((json_int_t)k->onion_generation));
    json_object_set_new(o, "onion_length", json_integer((json_int_t)k->onion_length));
    json_object_set_new(o, "randao_commit", hex(k->randao_commit, HASH_SIZE));
    char *text = dump(o);
    return text;
}

char *validatorkey_fragment(const struct validator_keyfile *k, uint64_t stake,
                            uint16_t commission_bps)
{
    char amount[32];
    json_t *o = json_object();
    if (!o)
        return NULL;
    genesisfile_format_amount(stake, amount);
    json_object_set_new(o, "pubkey", hex(k->pub, PUBKEY_SIZE));
    json_object_set_new(o, "stake", json_string(amount));
    json_object_set_new(o, "commission_bps", json_integer(commission_bps));
    json_object_set_new(o, "randao_commit", hex(k->randao_commit, HASH_SIZE));
    return dump(o);
}

static bool fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s", what);
    return false;
}

static bool get_hex32(const json_t *o, const char *name, uint8_t out[32])
{
    const json_t *v = json_object_get(o, name);
    return json_is_string(v) && strlen(json_string_value(v)) == 64 &&
           hash_from_hex(out, json_string_value(v));
}

static bool get_count(const json_t *o, const char *name, uint64_t *out)
{
    const json_t *v = json_object_get(o, name);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

bool validatorkey_parse(struct validator_keyfile *k, const char *text, size_t len, char *err,
                        size_t errlen)
{
    json_error_t jerr;
    uint8_t pub[PUBKEY_SIZE], commit[HASH_SIZE];
    bool ok = false;
    memset(k, 0, sizeof(*k));
    if (len > VALIDATOR_KEY_FILE_MAX)
        return fail(err, errlen, "larger than 4096 bytes");
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(o)) {
        snprintf(err, errlen, "not a validator key file (a JSON object, line %d)", o ? 1 : jerr.line);
        goto done;
    }
    if (!json_object_get(o, "privkey") && json_object_get(o, "stake")) {
        fail(err, errlen, "this is a public fragment, not the key file (it holds no privkey)");
        goto done;
    }
    if (!get_hex32(o, "privkey", k->sec) || !key_pubkey(k->pub, k->sec)) {
        fail(err, errlen, "\"privkey\" must be a valid secret key (64 hex)");
        goto done;
    }
    if (!get_count(o, "onion_generation", &k->onion_generation) ||
        !get_count(o, "onion_length", &k->onion_length) || k->onion_length == 0 ||
        k->onion_length > VALIDATOR_KEY_ONION_MAX) {
        fail(err, errlen, "\"onion_generation\" and \"onion_length\" (1..100000000) are required");
        goto done;
    }
    if (json_object_get(o, "pubkey") &&
        (!get_hex32(o, "pubkey", pub) || memcmp(pub, k->pub, PUBKEY_SIZE) != 0)) {
        fail(err, errlen, "\"pubkey\" is not the public key of \"privkey\"");
        goto done;
    }
    commitment(k);
    if (json_object_get(o, "randao_commit") &&
        (!get_hex32(o, "randao_commit", commit) ||
         memcmp(commit, k->randao_commit, HASH_SIZE) != 0)) {
        fail(err, errlen, "\"randao_commit\" is not the commitment of this key's onion");
        goto done;
    }
    ok = true;
done:
    json_decref(o); /* jansson does not wipe; the file's bytes are the caller's */
    if (!ok)
        validatorkey_clear(k);
    return ok;
}

bool validatorkey_write(const char *path, const struct validator_keyfile *k, char *err,
                        size_t errlen)
{
    char *text = validatorkey_encode(k);
    if (!text)
        return fail(err, errlen, "out of memory");
    size_t n = strlen(text);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0;
    if (!ok)
        snprintf(err, errlen, "%s: %s", path, errno == EEXIST ? "already exists" : strerror(errno));
    else if (fchmod(fd, 0600) != 0 || write(fd, text, n) != (ssize_t)n || fsync(fd) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        ok = false;
    }
    if (fd >= 0 && close(fd) != 0 && ok) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        ok = false;
    }
    if (!ok && fd >= 0)
        unlink(path);
    sodium_memzero(text, n);
    free(text);
    return ok;
}

bool validatorkey_load(const char *path, struct validator_keyfile *k, char *err, size_t errlen)
{
    struct stat st;
    char *text;
    size_t len;
    char why[200];
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "%s: readable by others (mode %03o): chmod 600 it", path,
                 (unsigned)(st.st_mode & 0777));
        return false;
    }
    if (!fs_read_file(path, VALIDATOR_KEY_FILE_MAX, &text, &len)) {
        snprintf(err, errlen, "%s: %s", path,
                 errno == EFBIG ? "larger than 4096 bytes" : strerror(errno));
        return false;
    }
    bool ok = validatorkey_parse(k, text, len, why, sizeof(why));
    if (!ok)
        snprintf(err, errlen, "%s: %s", path, why);
    sodium_memzero(text, len);
    free(text);
    return ok;
}
