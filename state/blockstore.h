/* Append-only block files: blocks/blk00000.dat, blk00001.dat, ...
 *
 * Each record is magic [4] | size u32 | block bytes.  A record is written and
 * fsync'd before the block index refers to it; the index also records how far
 * the current file is durable, so bytes past that point (a write cut short by
 * a crash) are truncated away when the store is opened.  Records can be
 * scanned without the index (-reindex).
 */
#ifndef FML_STATE_BLOCKSTORE_H
#define FML_STATE_BLOCKSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/attr.h"

#define BLOCKSTORE_MAX_FILE_SIZE (128u * 1024 * 1024)

struct blockstore;

struct block_pos {
    uint32_t file;
    uint32_t offset; /* of the block bytes, after the record header */
    uint32_t size;
};

/* Opens the store; file/used say where durable data ends (0/0 for a new
 * store).  Longer files are truncated to that point; shorter ones are an
 * error (data the index refers to is missing). */
struct blockstore *blockstore_open(const char *dir, const uint8_t magic[4], uint32_t file,
                                   uint32_t used, char *err, size_t errlen);
void blockstore_close(struct blockstore *bs);

/* Appends a record and fsyncs it. */
bool blockstore_append(struct blockstore *bs, const uint8_t *data, size_t len,
                       struct block_pos *pos, char *err, size_t errlen) WARN_UNUSED;
/* Where durable data now ends (to be saved with the index). */
void blockstore_end(const struct blockstore *bs, uint32_t *file, uint32_t *used);

/* Reads a block back, checking its record header. *data is malloc'd. */
bool blockstore_read(struct blockstore *bs, const struct block_pos *pos, uint8_t **data,
                     char *err, size_t errlen) WARN_UNUSED;
/* The same from any thread, while another appends: it opens the file on its
 * own (never the descriptor appends use, which moves to the next file) and
 * reads only the store's directory and magic, which never change.  A record
 * once written is never rewritten, so pos must name one already written. */
bool blockstore_read_shared(const struct blockstore *bs, const struct block_pos *pos,
                            uint8_t **data, char *err, size_t errlen) WARN_UNUSED;

/* Calls fn for every well-formed record, file by file, stopping at the first
 * malformed one in each file (what follows a torn write is not trusted).
 * fn returning false stops the scan. */
bool blockstore_scan(struct blockstore *bs,
                     bool (*fn)(void *arg, const uint8_t *data, size_t len,
                                const struct block_pos *pos),
                     void *arg) WARN_UNUSED;

/* Moves the durable end (-reindex, as the scan finds records), and cuts the
 * current file there (after the scan, dropping a torn tail). */
void blockstore_set_end(struct blockstore *bs, uint32_t file, uint32_t used);
bool blockstore_truncate(struct blockstore *bs) WARN_UNUSED;

uint64_t blockstore_disk_size(const struct blockstore *bs);

#endif
