/* Fuzz target: -genesis=FILE parsing (node/genesisfile.c): the JSON, every
 * field's type and range, the parameter overrides, allocations and
 * validators, then params_validate and the genesis block.
 *
 * Input: the file's bytes.  Properties: a refusal carries a message; an
 * accepted file gives parameters that validate, a custom network whose
 * magic follows from its name, and the same genesis hash when parsed again.
 * The same bytes as the base of creategenesis (genesisfile_create) with one
 * fixed validator fragment: a refusal carries a message; an accepted base
 * gives a file that parses to the hash returned, and the same bytes again. */
#include "tests/fuzz/fuzz.h"

#include "consensus/genesis.h"
#include "consensus/hash.h"
#include "node/genesisfile.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static bool parse(const uint8_t *data, size_t size, struct chain_params *p)
{
    char err[512] = "";
    if (!genesisfile_parse(p, (const char *)data, size, err, sizeof(err))) {
        FUZZ_CHECK(err[0] != '\0');
        return false;
    }
    return true;
}

static const char fragment[] =
    "{\"pubkey\": \"3db672398d793d551d60932e10d461218418689e66c88cec28ea8a842caf635f\", "
    "\"stake\": \"100000\", \"commission_bps\": 0, \"randao_commit\": "
    "\"df551a8219a259c2ef583c4e415cd46732f4898ec4479570cb5e44e9b435ef12\"}";

static void create(const uint8_t *data, size_t size)
{
    struct genesis_fragment f = {"fragment", fragment, sizeof(fragment) - 1};
    struct chain_params p;
    uint8_t hash[HASH_SIZE], hash2[HASH_SIZE];
    char err[600] = "", *out, *out2;
    if (!genesisfile_create((const char *)data, size, &f, 1, &out, hash, err, sizeof(err))) {
        FUZZ_CHECK(err[0] != '\0');
        return;
    }
    FUZZ_CHECK(genesisfile_create((const char *)data, size, &f, 1, &out2, hash2, err, sizeof(err)));
    FUZZ_CHECK(strcmp(out, out2) == 0 && memcmp(hash, hash2, HASH_SIZE) == 0);
    static const char test_name[] = "{\n  \"name\": \"test\",";
    bool test = strncmp(out, test_name, sizeof(test_name) - 1) == 0;
    FUZZ_CHECK(test ? genesisfile_parse_network(&p, NET_TEST, out, strlen(out), err, sizeof(err))
                    : genesisfile_parse(&p, out, strlen(out), err, sizeof(err)));
    FUZZ_CHECK(memcmp(p.genesis_hash, hash, HASH_SIZE) == 0);
    params_free(&p);
    free(out);
    free(out2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    struct chain_params p, again;
    struct block_header hdr;
    uint8_t hash[HASH_SIZE], tag[HASH_SIZE];
    char err[256];
    if (!ready) {
        FUZZ_CHECK(sodium_init() >= 0);
        ready = true;
    }
    if (size > GENESIS_FILE_MAX)
        return 0;
    create(data, size);
    if (!parse(data, size, &p))
        return 0;
    FUZZ_CHECK(p.net == NET_CUSTOM);
    FUZZ_CHECK(params_validate(&p, err, sizeof(err)));
    hash_tagged(tag, HTAG_GENESIS, p.name, strlen(p.name));
    FUZZ_CHECK(memcmp(p.magic, tag, 4) == 0);
    FUZZ_CHECK(genesis_header(&p, &hdr));
    header_hash(&hdr, hash);
    FUZZ_CHECK(memcmp(hash, p.genesis_hash, HASH_SIZE) == 0);
    FUZZ_CHECK(parse(data, size, &again));
    FUZZ_CHECK(memcmp(again.genesis_hash, p.genesis_hash, HASH_SIZE) == 0);
    params_free(&again);
    params_free(&p);
    return 0;
}
