/* File-system helpers (see fs.h). */
#include "util/fs.h"
#include "util/crashpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool fs_pwrite_all(int fd, const void *data, size_t len, uint64_t off)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return true;
}

bool fs_pread_all(int fd, void *data, size_t len, uint64_t off)
{
    uint8_t *p = data;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return false;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return true;
}

bool fs_sync_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return false;
    char *slash = strrchr(copy, '/');
    const char *dir = ".";
    if (slash == copy)
        dir = "/";
    else if (slash) {
        *slash = '\0';
        dir = copy;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool ok = fd >= 0 && fsync(fd) == 0;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    free(copy);
    errno = saved;
    return ok;
}

bool fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return false;
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        free(tmp);
        return false;
    }
    bool ok = fchmod(fd, mode) == 0 && fs_pwrite_all(fd, data, len, 0) && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok)
        crashpoint("file replace (temporary written)");
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        unlink(tmp);
        free(tmp);
        errno = saved;
        return false;
    }
    free(tmp);
    crashpoint("file replace (renamed, directory not synced)");
    return fs_sync_parent_dir(path);
}

bool fs_read_file(const char *path, size_t max_bytes, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    bool ok = buf != NULL;
    while (ok) {
        if (n + 1 >= cap) {
            size_t ncap = cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                ok = false;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            ok = false;
        } else if (r == 0) {
            break;
        } else {
            n += (size_t)r;
            if (n > max_bytes) {
                errno = EFBIG;
                ok = false;
            }
        }
    }
    int saved = errno;
    close(fd);
    if (!ok) {
        free(buf);
        errno = saved;
        return false;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return true;
}

bool fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fs_mkdir_p(const char *path, mode_t mode)
{
    char *copy = strdup(path);
    if (!copy)
        return false;
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, mode) != 0 && errno != EEXIST) {
            int saved = errno;
            free(copy);
            errno = saved;
            return false;
        }
        *p = '/';
    }
    bool ok = mkdir(copy, mode) == 0 || errno == EEXIST;
    free(copy);
    if (ok && !fs_is_dir(path)) {
        errno = ENOTDIR;
        return false;
    }
    return ok;
}

char *fs_default_datadir(void)
{
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home || !*home) {
        errno = ENOENT;
        return NULL;
    }
    return fs_path_join(home, ".fml");
}

char *fs_path_join(const char *dir, const char *name)
{
    if (name[0] == '/' || !dir || !*dir)
        return strdup(name);
    size_t dlen = strlen(dir);
    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    size_t nlen = strlen(name);
    char *out = malloc(dlen + 1 + nlen + 1);
    if (!out)
        return NULL;
    memcpy(out, dir, dlen);
    size_t k = dlen;
    if (!(dlen == 1 && dir[0] == '/'))
        out[k++] = '/';
    memcpy(out + k, name, nlen + 1);
    return out;
}
