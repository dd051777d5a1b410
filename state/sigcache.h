/* The signature cache: signatures known to verify, so that a transaction
 * checked when it entered the mempool is not verified again when its block
 * arrives (bitcoind's signature cache).
 *
 * An entry is a 32-byte key: BLAKE2b-256, keyed with a random salt drawn
 * when the cache is made, of (message, public key, signature).  The salt is
 * never shown, so nobody outside the process can choose inputs whose keys
 * land in one bucket.  The table is fixed when made (bytes / 32 entries,
 * in buckets of SIGCACHE_WAYS): a full bucket overwrites its oldest entry,
 * so filling the cache with signatures of one's own costs only the cache's
 * hits, never memory.  A miss only means the signature is verified.
 *
 * Thread-safe: lookups and inserts may come from any thread (the bucket
 * array is split into stripes, each under its own mutex). */
#ifndef FML_STATE_SIGCACHE_H
#define FML_STATE_SIGCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/key.h"

#define SIGCACHE_KEY_SIZE 32
#define SIGCACHE_WAYS 8
/* -sigcachesize's default, MiB. */
#define SIGCACHE_DEFAULT_MIB 32

struct sigcache;

/* A cache of at most bytes / 32 entries (at least one bucket); NULL when out
 * of memory.  Needs sodium_init() (the salt comes from randombytes). */
struct sigcache *sigcache_new(size_t bytes);
void sigcache_free(struct sigcache *sc);

/* The salted key of a (message, public key, signature) triple. */
void sigcache_key(const struct sigcache *sc, const uint8_t msg[HASH_SIZE],
                  const uint8_t pub[PUBKEY_SIZE], const uint8_t sig[SIG_SIZE],
                  uint8_t key[SIGCACHE_KEY_SIZE]);

bool sigcache_contains(struct sigcache *sc, const uint8_t key[SIGCACHE_KEY_SIZE]);
/* Adds a key (a verified signature's); a full bucket loses its oldest. */
void sigcache_insert(struct sigcache *sc, const uint8_t key[SIGCACHE_KEY_SIZE]);

/* Entries the cache can hold, and holds now. */
size_t sigcache_capacity(const struct sigcache *sc);
size_t sigcache_count(struct sigcache *sc);

#endif
