/* wallet.dat as a log of records (internal to wallet/).
 *
 *   record := marker [4] | len u32 | type u8 | body [len] | check [32]
 *   check  := BLAKE2b-256 "FML/walletrec" of (len | type | body)
 *
 * The file is only ever appended to (one write and one fsync per batch) or
 * replaced whole (temp file, fsync, rename, fsync of the directory).  What
 * the records mean is the business of wallet.c and txrecords.c; this file
 * only frames, checks, appends and recovers.  It never logs a record's body.
 */
#ifndef FML_WALLET_WALLETDB_H
#define FML_WALLET_WALLETDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/serialize.h"

#define WALLETDB_MAX_BODY (4u << 20)
#define WALLETDB_OVERHEAD (4 + 4 + 1 + 32)
/* Largest wallet.dat a load reads. */
#define WALLETDB_MAX_FILE ((size_t)1 << 31)

enum wrec_type {
    WREC_HEADER = 1,
    WREC_KEY = 2,
    WREC_LABEL = 3,
    WREC_VALIDATOR = 4,
    WREC_TX = 5,
    WREC_TXSTATE = 6,
    WREC_BESTBLOCK = 7,
    WREC_SETTING = 8,
    WREC_ARENA = 9,
};

struct walletdb;

/* Appends one framed record to out. */
void walletdb_frame(struct wbuf *out, uint8_t type, const uint8_t *body, size_t len);

/* Called for each intact record in file order; false stops the load (err
 * says why). */
typedef bool (*walletdb_record_fn)(void *arg, uint8_t type, const uint8_t *body, size_t len,
                                   uint64_t offset, char *err, size_t errlen);

/* Opens and locks path, checks every record, truncates a torn last record
 * away, refuses a damaged one that intact records follow, and replays the
 * rest through fn.  The first record must be WREC_HEADER. */
struct walletdb *walletdb_open(const char *path, walletdb_record_fn fn, void *arg, char *err,
                               size_t errlen);
/* Creates path holding image (framed records), never replacing a file. */
struct walletdb *walletdb_create(const char *path, const uint8_t *image, size_t len, char *err,
                                 size_t errlen);
/* Appends framed records and fsyncs; on failure the file is cut back to
 * what it held before. */
bool walletdb_append(struct walletdb *db, const uint8_t *framed, size_t len, char *err,
                     size_t errlen) WARN_UNUSED;
/* Appends made durable (each one fdatasync) since the process started, all
 * wallets together: the wallet syncs once per block connected or
 * disconnected, never once per transaction. */
extern uint64_t walletdb_appends;
/* Replaces the whole file with image atomically. */
bool walletdb_rewrite(struct walletdb *db, const uint8_t *image, size_t len, char *err,
                      size_t errlen) WARN_UNUSED;
void walletdb_close(struct walletdb *db);

uint64_t walletdb_size(const struct walletdb *db);
/* Bytes of a torn last record dropped by the open (0 if none). */
uint64_t walletdb_torn_bytes(const struct walletdb *db);

#endif
