/* Replays a fuzz target's corpus without libFuzzer, so that every build's
 * `make check` runs the inputs checked in under tests/fuzz/corpus/<target>/
 * (and every crash found once stays fixed).
 *
 *   fuzz_<target> [FILE|DIR]...
 *
 * Without arguments it reads the directory FUZZ_CORPUS_DIR/FUZZ_TARGET fixed
 * at build time.  An input that trips a check aborts the program; otherwise
 * it prints how many inputs it ran and exits 0.  An empty or missing corpus
 * is a failure: a replay that runs nothing tests nothing.
 */
#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

/* The largest input replayed (libFuzzer's default -max_len is far smaller). */
#define REPLAY_MAX_INPUT (8u << 20)

static bool run_file(const char *path, size_t *count)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    size_t len;
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return false;
    }
    buf = malloc(REPLAY_MAX_INPUT + 1);
    if (!buf) {
        fclose(f);
        return false;
    }
    len = fread(buf, 1, REPLAY_MAX_INPUT + 1, f);
    if (ferror(f) || len > REPLAY_MAX_INPUT) {
        fprintf(stderr, "%s: unreadable or larger than %u bytes\n", path, REPLAY_MAX_INPUT);
        free(buf);
        fclose(f);
        return false;
    }
    fclose(f);
    /* A copy of exactly len bytes, so that AddressSanitizer sees overreads. */
    uint8_t *input = malloc(len ? len : 1);
    if (!input) {
        free(buf);
        return false;
    }
    memcpy(input, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(input, len);
    free(input);
    (*count)++;
    return true;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir, in name order. */
static bool run_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    bool ok = true;
    if (!d) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return false;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, cap * sizeof(*names));
            if (!grown) {
                ok = false;
                break;
            }
            names = grown;
        }
        if (!(names[n] = strdup(e->d_name))) {
            ok = false;
            break;
        }
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (ok && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            ok = run_file(path, count);
        free(names[i]);
    }
    free(names);
    return ok;
}

static bool run_path(const char *path, size_t *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return false;
    }
    return S_ISDIR(st.st_mode) ? run_dir(path, count) : run_file(path, count);
}

int main(int argc, char **argv)
{
    size_t count = 0;
    bool ok = true;
    if (argc > 1) {
        for (int i = 1; i < argc && ok; i++)
            ok = run_path(argv[i], &count);
    } else {
        ok = run_path(FUZZ_CORPUS_DIR "/" FUZZ_TARGET, &count);
    }
    if (!ok || count == 0) {
        fprintf(stderr, "fuzz replay %s: %s\n", FUZZ_TARGET, ok ? "no inputs" : "failed");
        return 1;
    }
    printf("fuzz replay %s: %zu inputs\n", FUZZ_TARGET, count);
    return 0;
}
