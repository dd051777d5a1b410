/* Fuzz target: -genesis=FILE parsing (node/genesisfile.c): the JSON, every
 * field's type and range, the parameter overrides, allocations and
 * validators, then params_validate and the genesis block.
 *
 * Input: the file's bytes.  Properties: a refusal carries a message; an
 * accepted file gives parameters that validate, a custom network whose
 * magic follows from its name, and the same genesis hash when parsed again. */
#include "tests/fuzz/fuzz.h"

#include "consensus/genesis.h"
#include "consensus/hash.h"
#include "node/genesisfile.h"

#include <sodium.h>
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
