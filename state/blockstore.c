/* Block files (see blockstore.h). */
#include "state/blockstore.h"
#include "consensus/serialize.h"
#include "util/crashpoint.h"
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_HEADER 8
#define MAX_RECORD (64u * 1024 * 1024)

struct blockstore {
    char *dir;
    uint8_t magic[4];
    uint32_t file; /* current file for appends */
    uint32_t used; /* durable bytes in it */
    int fd;        /* open on the current file, or -1 */
};

static void file_path(const struct blockstore *bs, uint32_t n, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/blk%05u.dat", bs->dir, n);
}

static int open_file(const struct blockstore *bs, uint32_t n, int flags)
{
    char path[4096];
    file_path(bs, n, path, sizeof(path));
    return open(path, flags | O_CLOEXEC, 0644);
}

struct blockstore *blockstore_open(const char *dir, const uint8_t magic[4], uint32_t file,
                                   uint32_t used, char *err, size_t errlen)
{
    struct blockstore *bs = calloc(1, sizeof(*bs));
    struct stat st;
    char path[4096];
    if (!bs || !(bs->dir = strdup(dir))) {
        free(bs);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(bs->magic, magic, 4);
    bs->file = file;
    bs->used = used;
    bs->fd = open_file(bs, file, O_RDWR | O_CREAT);
    file_path(bs, file, path, sizeof(path));
    if (bs->fd < 0 || fstat(bs->fd, &st) != 0) {
        snprintf(err, errlen, "cannot open block file %s: %s", path, strerror(errno));
        blockstore_close(bs);
        return NULL;
    }
    if ((uint64_t)st.st_size < used) {
        snprintf(err, errlen,
                 "block file %s is shorter (%lld bytes) than the index records (%u bytes): "
                 "the block store is damaged; restart with -reindex to rebuild from the "
                 "blocks that remain",
                 path, (long long)st.st_size, used);
        blockstore_close(bs);
        return NULL;
    }
    if ((uint64_t)st.st_size > used && (ftruncate(bs->fd, used) != 0 || fsync(bs->fd) != 0)) {
        snprintf(err, errlen, "cannot truncate %s: %s", path, strerror(errno));
        blockstore_close(bs);
        return NULL;
    }
    return bs;
}

void blockstore_close(struct blockstore *bs)
{
    if (!bs)
        return;
    if (bs->fd >= 0)
        close(bs->fd);
    free(bs->dir);
    free(bs);
}

bool blockstore_append(struct blockstore *bs, const uint8_t *data, size_t len,
                       struct block_pos *pos, char *err, size_t errlen)
{
    uint8_t hdr[RECORD_HEADER];
    if (len > MAX_RECORD) {
        snprintf(err, errlen, "block too large for the block store");
        return false;
    }
    if ((uint64_t)bs->used + RECORD_HEADER + len > BLOCKSTORE_MAX_FILE_SIZE && bs->used > 0) {
        crashpoint("block file start (before)");
        int fd = open_file(bs, bs->file + 1, O_RDWR | O_CREAT | O_TRUNC);
        if (fd < 0) {
            snprintf(err, errlen, "cannot create block file %u: %s", bs->file + 1, strerror(errno));
            return false;
        }
        close(bs->fd);
        bs->fd = fd;
        bs->file++;
        bs->used = 0;
    }
    memcpy(hdr, bs->magic, 4);
    write_le32(hdr + 4, (uint32_t)len);
    crashpoint("block file append (before)");
    if (!fs_pwrite_all(bs->fd, hdr, sizeof(hdr), bs->used))
        goto fail;
    if (crashpoint_due()) {
        /* A torn record: the header and part of the block. */
        bool torn = fs_pwrite_all(bs->fd, data, len / 2, (uint64_t)bs->used + RECORD_HEADER);
        (void)torn;
        crashpoint_crash("block file append (torn record)");
    }
    if (!fs_pwrite_all(bs->fd, data, len, (uint64_t)bs->used + RECORD_HEADER))
        goto fail;
    crashpoint("block file append (written, not synced)");
    if (fdatasync(bs->fd) != 0)
        goto fail;
    crashpoint("block file append (synced, not indexed)");
    pos->file = bs->file;
    pos->offset = bs->used + RECORD_HEADER;
    pos->size = (uint32_t)len;
    bs->used += RECORD_HEADER + (uint32_t)len;
    return true;
fail:
    snprintf(err, errlen, "cannot write block file %u: %s", bs->file, strerror(errno));
    return false;
}

void blockstore_end(const struct blockstore *bs, uint32_t *file, uint32_t *used)
{
    *file = bs->file;
    *used = bs->used;
}

void blockstore_set_end(struct blockstore *bs, uint32_t file, uint32_t used)
{
    if (file != bs->file) {
        int fd = open_file(bs, file, O_RDWR | O_CREAT);
        if (fd < 0)
            return;
        close(bs->fd);
        bs->fd = fd;
        bs->file = file;
    }
    bs->used = used;
}

bool blockstore_truncate(struct blockstore *bs)
{
    return ftruncate(bs->fd, bs->used) == 0 && fsync(bs->fd) == 0;
}

static bool read_record(const struct blockstore *bs, bool own_fd, const struct block_pos *pos,
                        uint8_t **data, char *err, size_t errlen)
{
    uint8_t hdr[RECORD_HEADER];
    int fd = !own_fd && pos->file == bs->file ? bs->fd : open_file(bs, pos->file, O_RDONLY);
    bool ok = false;
    *data = NULL;
    if (fd < 0 || pos->offset < RECORD_HEADER || pos->size > MAX_RECORD) {
        snprintf(err, errlen, "cannot open block file %u", pos->file);
        goto done;
    }
    if (!fs_pread_all(fd, hdr, sizeof(hdr), pos->offset - RECORD_HEADER) ||
        memcmp(hdr, bs->magic, 4) != 0 || read_le32(hdr + 4) != pos->size) {
        snprintf(err, errlen, "block file %u damaged at offset %u (restart with -reindex)",
                 pos->file, pos->offset);
        goto done;
    }
    *data = malloc(pos->size ? pos->size : 1);
    if (!*data || !fs_pread_all(fd, *data, pos->size, pos->offset)) {
        snprintf(err, errlen, "cannot read block file %u at offset %u", pos->file, pos->offset);
        free(*data);
        *data = NULL;
        goto done;
    }
    ok = true;
done:
    if (fd >= 0 && (own_fd || fd != bs->fd))
        close(fd);
    return ok;
}

bool blockstore_read(struct blockstore *bs, const struct block_pos *pos, uint8_t **data,
                     char *err, size_t errlen)
{
    return read_record(bs, false, pos, data, err, errlen);
}

bool blockstore_read_shared(const struct blockstore *bs, const struct block_pos *pos,
                            uint8_t **data, char *err, size_t errlen)
{
    return read_record(bs, true, pos, data, err, errlen);
}

bool blockstore_scan(struct blockstore *bs,
                     bool (*fn)(void *arg, const uint8_t *data, size_t len,
                                const struct block_pos *pos),
                     void *arg)
{
    for (uint32_t n = 0;; n++) {
        int fd = open_file(bs, n, O_RDONLY);
        struct stat st;
        if (fd < 0)
            return true;
        if (fstat(fd, &st) != 0) {
            close(fd);
            return false;
        }
        uint64_t off = 0;
        while (off + RECORD_HEADER <= (uint64_t)st.st_size) {
            uint8_t hdr[RECORD_HEADER];
            if (!fs_pread_all(fd, hdr, sizeof(hdr), off) || memcmp(hdr, bs->magic, 4) != 0)
                break;
            uint32_t size = read_le32(hdr + 4);
            if (size > MAX_RECORD || off + RECORD_HEADER + size > (uint64_t)st.st_size)
                break;
            uint8_t *data = malloc(size ? size : 1);
            if (!data || !fs_pread_all(fd, data, size, off + RECORD_HEADER)) {
                free(data);
                break;
            }
            struct block_pos pos = {n, (uint32_t)(off + RECORD_HEADER), size};
            bool more = fn(arg, data, size, &pos);
            free(data);
            if (!more) {
                close(fd);
                return true;
            }
            off += RECORD_HEADER + size;
        }
        close(fd);
    }
}

uint64_t blockstore_disk_size(const struct blockstore *bs)
{
    uint64_t total = 0;
    for (uint32_t n = 0; n <= bs->file; n++) {
        char path[4096];
        struct stat st;
        file_path(bs, n, path, sizeof(path));
        if (stat(path, &st) == 0)
            total += (uint64_t)st.st_size;
    }
    return total;
}
