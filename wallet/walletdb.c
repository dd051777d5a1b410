/* wallet.dat as a log of checksummed records: framing, recovery of a torn
 * last record, appends and atomic rewrites (see walletdb.h).
 *
 * Crash safety rests on three rules: a record is appended with one write and
 * made durable with fdatasync before the caller learns it was written; a
 * whole-file rewrite goes to a temporary file that is fsync'd, renamed over
 * wallet.dat and followed by an fsync of the directory; and a load only ever
 * cuts off a damaged tail when no intact record follows it (a torn append),
 * refusing the file otherwise, so that damage in the middle never silently
 * loses the records after it. */
#include "wallet/walletdb.h"
#include "consensus/hash.h"
#include "util/crashpoint.h"
#include "util/fs.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define WALLETDB_TAG "FML/walletrec"

uint64_t walletdb_appends;

static const uint8_t marker[4] = {0xfa, 'W', 'L', 'R'};

struct walletdb {
    char *path;
    int fd;
    uint64_t size;
    uint64_t torn;
};

static void record_check(uint8_t out[HASH_SIZE], uint32_t len, uint8_t type, const uint8_t *body)
{
    struct hasher h;
    uint8_t head[5];
    write_le32(head, len);
    head[4] = type;
    hasher_init(&h, WALLETDB_TAG);
    hasher_write(&h, head, sizeof(head));
    hasher_write(&h, body, len);
    hasher_final(&h, out);
}

void walletdb_frame(struct wbuf *out, uint8_t type, const uint8_t *body, size_t len)
{
    uint8_t check[HASH_SIZE];
    if (len > WALLETDB_MAX_BODY) {
        out->failed = true;
        return;
    }
    record_check(check, (uint32_t)len, type, body);
    put_bytes(out, marker, sizeof(marker));
    put_u32(out, (uint32_t)len);
    put_u8(out, type);
    put_bytes(out, body, len);
    put_bytes(out, check, sizeof(check));
}

/* The intact record at off, if there is one. */
static bool parse_at(const uint8_t *data, uint64_t size, uint64_t off, uint8_t *type,
                     const uint8_t **body, uint32_t *len, uint64_t *next)
{
    uint8_t check[HASH_SIZE];
    if (size - off < WALLETDB_OVERHEAD || memcmp(data + off, marker, sizeof(marker)) != 0)
        return false;
    uint32_t n = read_le32(data + off + 4);
    if (n > WALLETDB_MAX_BODY || size - off - WALLETDB_OVERHEAD < n)
        return false;
    const uint8_t *b = data + off + 9;
    record_check(check, n, data[off + 8], b);
    if (sodium_memcmp(check, b + n, HASH_SIZE) != 0)
        return false;
    *type = data[off + 8];
    *body = b;
    *len = n;
    *next = off + WALLETDB_OVERHEAD + n;
    return true;
}

/* True when an intact record starts anywhere after off. */
static bool intact_record_after(const uint8_t *data, uint64_t size, uint64_t off)
{
    uint8_t type;
    const uint8_t *body;
    uint32_t len;
    uint64_t next;
    for (uint64_t q = off + 1; q + WALLETDB_OVERHEAD <= size; q++)
        if (data[q] == marker[0] && parse_at(data, size, q, &type, &body, &len, &next))
            return true;
    return false;
}

/* Removes temporary files a crash during a rewrite left next to path (they
 * may hold secrets in the clear).  Called with path locked. */
static void remove_stale_temps(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    char *slash = strrchr(copy, '/');
    const char *dirname = slash ? copy : ".", *base = slash ? slash + 1 : copy;
    if (slash)
        *slash = '\0';
    size_t blen = strlen(base);
    DIR *d = opendir(dirname);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, base, blen) != 0 || strncmp(e->d_name + blen, ".new.", 5) != 0)
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            log_printf("Wallet file %s: removed %s left by an interrupted rewrite", path, e->d_name);
    }
    if (d)
        closedir(d);
    free(copy);
}

static bool lock_fd(int fd, const char *path, char *err, size_t errlen)
{
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return true;
    if (errno == EWOULDBLOCK)
        snprintf(err, errlen, "Wallet file %s is in use (already loaded, or by another process)",
                 path);
    else
        snprintf(err, errlen, "Cannot lock wallet file %s: %s", path, strerror(errno));
    return false;
}

static struct walletdb *db_new(const char *path, int fd, uint64_t size)
{
    struct walletdb *db = calloc(1, sizeof(*db));
    if (!db)
        return NULL;
    db->path = strdup(path);
    if (!db->path) {
        free(db);
        return NULL;
    }
    db->fd = fd;
    db->size = size;
    return db;
}

struct walletdb *walletdb_open(const char *path, walletdb_record_fn fn, void *arg, char *err,
                               size_t errlen)
{
    struct stat st;
    uint8_t *data = NULL;
    uint64_t size = 0;
    struct walletdb *db = NULL;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            snprintf(err, errlen, "Wallet file %s does not exist", path);
        else
            snprintf(err, errlen, "Cannot open wallet file %s: %s", path, strerror(errno));
        return NULL;
    }
    if (!lock_fd(fd, path, err, errlen))
        goto fail;
    remove_stale_temps(path);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "Wallet file %s is not a regular file", path);
        goto fail;
    }
    size = (uint64_t)st.st_size;
    if (size > WALLETDB_MAX_FILE) {
        snprintf(err, errlen, "Wallet file %s is too large (%llu bytes)", path,
                 (unsigned long long)size);
        goto fail;
    }
    data = malloc(size ? size : 1);
    if (!data || !fs_pread_all(fd, data, size, 0)) {
        snprintf(err, errlen, "Cannot read wallet file %s: %s", path,
                 data ? strerror(errno) : "out of memory");
        goto fail;
    }

    /* Pass 1: how far do intact records go? */
    uint64_t off = 0, next;
    size_t count = 0;
    uint8_t type;
    const uint8_t *body;
    uint32_t len;
    while (off < size && parse_at(data, size, off, &type, &body, &len, &next)) {
        if (count == 0 && type != WREC_HEADER)
            break;
        count++;
        off = next;
    }
    if (count == 0) {
        snprintf(err, errlen, "%s is not a wallet file, or its header is damaged", path);
        goto fail;
    }
    if (off < size && intact_record_after(data, size, off)) {
        snprintf(err, errlen,
                 "Wallet file %s is damaged: the record at byte %llu fails its checksum and intact "
                 "records follow it, so this is not an interrupted write.  Restore the wallet "
                 "from a backup (the file was left untouched)",
                 path, (unsigned long long)off);
        goto fail;
    }

    /* Pass 2: replay. */
    uint64_t end = off;
    for (off = 0; off < end; off = next) {
        if (!parse_at(data, size, off, &type, &body, &len, &next) ||
            !fn(arg, type, body, len, off, err, errlen))
            goto fail;
    }

    if (end < size) {
        /* A torn append: drop it so the next append starts on a record
         * boundary. */
        if (ftruncate(fd, (off_t)end) != 0 || fdatasync(fd) != 0) {
            snprintf(err, errlen, "Cannot truncate the torn last record of %s: %s", path,
                     strerror(errno));
            goto fail;
        }
        log_printf("Wallet file %s: dropped a torn last record (%llu bytes at byte %llu)", path,
                   (unsigned long long)(size - end), (unsigned long long)end);
    }
    db = db_new(path, fd, end);
    if (!db) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    db->torn = size - end;
    sodium_memzero(data, size); /* an unencrypted wallet's secrets */
    free(data);
    return db;

fail:
    if (data)
        sodium_memzero(data, size);
    free(data);
    close(fd);
    return NULL;
}

/* Writes image to a new temporary file next to path, fsync'd, mode 0600.
 * Returns its descriptor and name (the caller frees it). */
static int write_temp(const char *path, const uint8_t *image, size_t len, char **tmp_out,
                      char *err, size_t errlen)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".new.XXXXXX", 12);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "Cannot create a file next to %s: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    if (fchmod(fd, 0600) != 0 || !fs_pwrite_all(fd, image, len, 0) || fsync(fd) != 0) {
        snprintf(err, errlen, "Cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    *tmp_out = tmp;
    return fd;
}

struct walletdb *walletdb_create(const char *path, const uint8_t *image, size_t len, char *err,
                                 size_t errlen)
{
    char *tmp;
    int fd = write_temp(path, image, len, &tmp, err, errlen);
    if (fd < 0)
        return NULL;
    crashpoint("wallet create (temporary written)");
    /* link() never replaces an existing file, and the new name appears
     * with the whole content or not at all. */
    if (link(tmp, path) != 0) {
        if (errno == EEXIST)
            snprintf(err, errlen, "Wallet file %s already exists", path);
        else
            snprintf(err, errlen, "Cannot create wallet file %s: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return NULL;
    }
    unlink(tmp);
    free(tmp);
    /* The file's directory entry, and the directory's own entry in its
     * parent (a wallet directory is created just before its file). */
    char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    bool synced = dir && fs_sync_parent_dir(path) && (!slash || fs_sync_parent_dir(dir));
    free(dir);
    if (!synced) {
        snprintf(err, errlen, "Cannot sync the directory of %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!lock_fd(fd, path, err, errlen)) {
        close(fd);
        return NULL;
    }
    struct walletdb *db = db_new(path, fd, len);
    if (!db) {
        snprintf(err, errlen, "out of memory");
        close(fd);
    }
    return db;
}

bool walletdb_append(struct walletdb *db, const uint8_t *framed, size_t len, char *err,
                     size_t errlen)
{
    if (len == 0)
        return true;
    if (db->fd < 0) {
        snprintf(err, errlen, "Wallet file %s is not open", db->path);
        return false;
    }
    crashpoint("wallet append (before)");
    if (crashpoint_due()) {
        /* A torn record: part of what was to be appended. */
        bool torn = fs_pwrite_all(db->fd, framed, len / 2, db->size);
        (void)torn;
        crashpoint_crash("wallet append (torn record)");
    }
    bool written = fs_pwrite_all(db->fd, framed, len, db->size);
    if (written)
        crashpoint("wallet append (written, not synced)");
    if (!written || fdatasync(db->fd) != 0) {
        int saved = errno;
        /* Leave the file as it was so the next append starts on a record
         * boundary; a failure here leaves a torn record the next load drops. */
        if (ftruncate(db->fd, (off_t)db->size) == 0)
            (void)fdatasync(db->fd);
        snprintf(err, errlen, "Cannot write wallet file %s: %s", db->path, strerror(saved));
        return false;
    }
    db->size += len;
    walletdb_appends++;
    crashpoint("wallet append (synced)");
    return true;
}

bool walletdb_rewrite(struct walletdb *db, const uint8_t *image, size_t len, char *err,
                      size_t errlen)
{
    char *tmp;
    int fd = write_temp(db->path, image, len, &tmp, err, errlen);
    if (fd < 0)
        return false;
    crashpoint("wallet rewrite (temporary written)");
    /* The new file is locked before it takes the name, so no other process
     * can open it unlocked in between. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || rename(tmp, db->path) != 0) {
        snprintf(err, errlen, "Cannot replace wallet file %s: %s", db->path, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return false;
    }
    free(tmp);
    if (db->fd >= 0)
        close(db->fd);
    db->fd = fd;
    db->size = len;
    crashpoint("wallet rewrite (renamed, directory not synced)");
    /* The new content is in place either way: a crash before the directory
     * reaches the disk leaves the old file or the new one, both whole. */
    if (!fs_sync_parent_dir(db->path))
        log_printf("Wallet file %s: cannot sync its directory: %s", db->path, strerror(errno));
    return true;
}

void walletdb_close(struct walletdb *db)
{
    if (!db)
        return;
    if (db->fd >= 0)
        close(db->fd);
    free(db->path);
    free(db);
}

uint64_t walletdb_size(const struct walletdb *db)
{
    return db->size;
}

uint64_t walletdb_torn_bytes(const struct walletdb *db)
{
    return db->torn;
}
