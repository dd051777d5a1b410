/* Small file-system helpers: atomic writes, bounded reads, directories and
 * the default data directory.
 *
 * Errors are reported as false (or NULL) with errno set; nothing here logs
 * or exits.
 */
#ifndef FML_UTIL_FS_H
#define FML_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Writes data to path atomically: a temporary file in the same directory
 * created with mode, written, fsynced, renamed over path, and the directory
 * fsynced.  A crash leaves either the old file or the new one. */
bool fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
    __attribute__((warn_unused_result));

/* Writes the len bytes of data at offset off of fd, through short writes
 * and EINTR; false with errno set. */
bool fs_pwrite_all(int fd, const void *data, size_t len, uint64_t off)
    __attribute__((warn_unused_result));

/* Reads exactly len bytes at offset off of fd into data, through short
 * reads and EINTR; false with errno set (EIO when the file ends first). */
bool fs_pread_all(int fd, void *data, size_t len, uint64_t off)
    __attribute__((warn_unused_result));

/* fsync of the directory holding path ("." when path has no slash), so that
 * a rename, link or new file there is durable. */
bool fs_sync_parent_dir(const char *path) __attribute__((warn_unused_result));

/* Reads a whole file of at most max_bytes (errno EFBIG when larger).  *data
 * is NUL-terminated for convenience (not counted in *len); the caller frees
 * it. */
bool fs_read_file(const char *path, size_t max_bytes, char **data, size_t *len)
    __attribute__((warn_unused_result));

/* Creates path and its missing parents (mkdir -p); true when it exists as a
 * directory afterwards. */
bool fs_mkdir_p(const char *path, mode_t mode) __attribute__((warn_unused_result));

/* True when path exists and is a directory. */
bool fs_is_dir(const char *path);

/* "$HOME/.fml" (the password database's home when HOME is unset).  The
 * caller frees it; NULL when no home directory is known. */
char *fs_default_datadir(void);

/* dir + "/" + name, or a copy of name when it is absolute (as bitcoind
 * resolves relative option values against the data directory).  The caller
 * frees it; NULL on allocation failure. */
char *fs_path_join(const char *dir, const char *name);

#endif
