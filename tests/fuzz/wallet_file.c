/* Fuzz target: loading wallet.dat (wallet/walletdb.c framing and recovery,
 * wallet/wallet.c, keys.c and txrecords.c record replay) through a file in
 * a temporary directory.
 *
 * Input: mode u8 | bytes.  Mode bit 0 clear: the bytes are the file.  Set:
 * the bytes are records, each type u8 | len u16 | body [len], which the
 * target frames with their checksums (so that the fuzzer reaches the record
 * parsers); mode bit 1 then appends a torn copy of the last record.
 * Properties: a load either fails with a message or gives a wallet that can
 * be closed; a torn tail is dropped, never replayed. */
#include "tests/fuzz/fuzz.h"

#include "consensus/params.h"
#include "wallet/wallet.h"
#include "wallet/walletdb.h"

#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct chain_params params;
static char dir[256];
static char path[320];

static void remove_dir(void)
{
    char sub[300];
    unlink(path);
    snprintf(sub, sizeof(sub), "%s/w", dir);
    rmdir(sub);
    rmdir(dir);
}

static void setup(void)
{
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    char sub[300];
    FUZZ_CHECK(sodium_init() >= 0);
    FUZZ_CHECK(params_init(&params, NET_REGTEST));
    snprintf(dir, sizeof(dir), "%s/fml-fuzz-wallet-XXXXXX", tmp);
    FUZZ_CHECK(mkdtemp(dir) != NULL);
    snprintf(sub, sizeof(sub), "%s/w", dir);
    FUZZ_CHECK(mkdir(sub, 0700) == 0);
    snprintf(path, sizeof(path), "%s/wallet.dat", sub);
    atexit(remove_dir);
}

/* Frames the records of p into w; returns the frame of the last one. */
static void frame_records(struct wbuf *w, const uint8_t *p, size_t n, size_t *last_start)
{
    struct rbuf r;
    rbuf_init(&r, p, n);
    *last_start = 0;
    while (r.left > 0) {
        uint8_t type;
        uint16_t len;
        const uint8_t *body;
        if (!get_u8(&r, &type) || !get_u16(&r, &len))
            break;
        if (len > r.left)
            len = (uint16_t)r.left;
        if (!get_view(&r, &body, len))
            break;
        *last_start = w->len;
        walletdb_frame(w, type, body, len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    struct wbuf file;
    char err[512] = "";
    if (!ready) {
        setup();
        ready = true;
    }
    if (size < 1)
        return 0;
    wbuf_init(&file);
    if (data[0] & 1) {
        size_t last;
        frame_records(&file, data + 1, size - 1, &last);
        if ((data[0] & 2) && file.len > last + 1) {
            size_t tear = (file.len - last) / 2;
            uint8_t *copy = malloc(tear);
            FUZZ_CHECK(copy != NULL);
            memcpy(copy, file.data + last, tear);
            put_bytes(&file, copy, tear);
            free(copy);
        }
    } else {
        put_bytes(&file, data + 1, size - 1);
    }
    FUZZ_CHECK(!file.failed);

    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(file.len == 0 || fwrite(file.data, 1, file.len, f) == file.len);
    FUZZ_CHECK(fclose(f) == 0);

    struct wallet *w = wallet_load(&params, dir, "w", err, sizeof(err));
    if (w) {
        uint8_t hash[HASH_SIZE];
        uint64_t height;
        (void)wallet_file_size(w);
        (void)wallet_version(w);
        (void)wallet_birth_time(w);
        (void)wallet_birth_height(w, &height);
        (void)wallet_best_block(w, hash, &height);
        (void)wallet_is_encrypted(w);
        (void)wallet_is_locked(w);
        wallet_free(w);
    } else {
        FUZZ_CHECK(err[0] != '\0');
    }
    wbuf_free(&file);
    unlink(path);
    return 0;
}
