/* A compute provider's side of the AI Market (fmld -provider=1): which
 * provider addresses this node serves, and the ledger of calls it has
 * served, kept in <datadir>/provider/ (LevelDB, not part of the chain's
 * state).
 *
 * Ledger: 'U' | model [32] | provider [32] | payer [32] ->
 *   used u64 LE | last_nonce u64 LE
 * the calls (rows) served to payer of model at provider, and the nonce of
 * the last request served.  A request's record is written in one batch
 * after its rows were evaluated, so a crash loses at most a request whose
 * reply was never sent.
 */
#ifndef FML_RPC_PROVIDER_H
#define FML_RPC_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/attr.h"
#include "consensus/hash.h"
#include "consensus/key.h"

struct provider;

/* Opens (creating) the ledger in dir.  addrs[n] are the served provider
 * keys; n == 0 means the keys of the loaded wallets that are registered
 * providers.  NULL with err on failure. */
struct provider *provider_open(const char *dir, const uint8_t (*addrs)[PUBKEY_SIZE], size_t n,
                               char *err, size_t errlen);
void provider_close(struct provider *p);

/* The configured addresses (0 when the wallets' keys are served). */
size_t provider_n_addresses(const struct provider *p);
/* Whether pub is one of the configured addresses. */
bool provider_has_address(const struct provider *p, const uint8_t pub[PUBKEY_SIZE]);

struct provider_usage {
    bool found;         /* a request of this payer was served */
    uint64_t used;      /* calls served */
    uint64_t last_nonce;
};
/* False on a read error or a malformed record (err says which). */
bool provider_get_usage(struct provider *p, const uint8_t model[HASH_SIZE],
                        const uint8_t provider[PUBKEY_SIZE], const uint8_t payer[PUBKEY_SIZE],
                        struct provider_usage *out, char *err, size_t errlen) WARN_UNUSED;
/* Writes the record (one synced batch). */
bool provider_put_usage(struct provider *p, const uint8_t model[HASH_SIZE],
                        const uint8_t provider[PUBKEY_SIZE], const uint8_t payer[PUBKEY_SIZE],
                        const struct provider_usage *u, char *err, size_t errlen) WARN_UNUSED;

#endif
