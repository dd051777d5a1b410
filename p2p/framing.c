/* Message framing (see framing.h). */
#include "p2p/framing.h"

#include <string.h>

#include "consensus/hash.h"

const char *p2p_frame_status_name(enum p2p_frame_status s)
{
    switch (s) {
    case P2P_FRAME_OK:
        return "ok";
    case P2P_FRAME_NEED_MORE:
        return "need-more";
    case P2P_FRAME_BAD_MAGIC:
        return "bad-magic";
    case P2P_FRAME_BAD_COMMAND:
        return "bad-command";
    case P2P_FRAME_OVERSIZE:
        return "oversized-message";
    case P2P_FRAME_BAD_CHECKSUM:
        return "bad-checksum";
    }
    return "?";
}

bool p2p_command_decode(const uint8_t raw[P2P_COMMAND_SIZE], char out[P2P_COMMAND_SIZE + 1])
{
    size_t len = 0;
    while (len < P2P_COMMAND_SIZE && raw[len] != 0) {
        uint8_t c = raw[len];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return false;
        len++;
    }
    if (len == 0)
        return false;
    for (size_t i = len; i < P2P_COMMAND_SIZE; i++)
        if (raw[i] != 0)
            return false;
    memcpy(out, raw, len);
    out[len] = '\0';
    return true;
}

void p2p_frame_checksum(const uint8_t *payload, size_t len, uint8_t out[4])
{
    uint8_t h[HASH_SIZE];
    hash_tagged(h, HTAG_CHECKSUM, payload, len);
    memcpy(out, h, 4);
}

void p2p_frame_encode(struct wbuf *w, const uint8_t magic[4], const char *command,
                      const uint8_t *payload, size_t len)
{
    uint8_t cmd[P2P_COMMAND_SIZE] = {0};
    uint8_t sum[4];
    size_t clen = strnlen(command, P2P_COMMAND_SIZE);
    memcpy(cmd, command, clen);
    p2p_frame_checksum(payload, len, sum);
    put_bytes(w, magic, 4);
    put_bytes(w, cmd, sizeof(cmd));
    put_u32(w, (uint32_t)len);
    put_bytes(w, sum, sizeof(sum));
    put_bytes(w, payload, len);
}

enum p2p_frame_status p2p_frame_parse(const uint8_t *buf, size_t len, const uint8_t magic[4],
                                      uint32_t max_block_size, struct p2p_frame *f)
{
    /* The magic is checked byte by byte, so garbage is refused at once. */
    size_t m = len < 4 ? len : 4;
    if (memcmp(buf, magic, m) != 0)
        return P2P_FRAME_BAD_MAGIC;
    if (len < P2P_HEADER_SIZE)
        return P2P_FRAME_NEED_MORE;

    memset(f, 0, sizeof(*f));
    if (!p2p_command_decode(buf + 4, f->command))
        return P2P_FRAME_BAD_COMMAND;
    f->length = read_le32(buf + 16);
    memcpy(f->checksum, buf + 20, 4);
    f->known = p2p_msg_from_command(f->command, &f->type);
    uint32_t limit = f->known ? p2p_msg_max_payload(f->type, max_block_size)
                              : P2P_MAX_UNKNOWN_PAYLOAD;
    if (f->length > limit)
        return P2P_FRAME_OVERSIZE;
    if (len - P2P_HEADER_SIZE < f->length)
        return P2P_FRAME_NEED_MORE;

    uint8_t sum[4];
    p2p_frame_checksum(buf + P2P_HEADER_SIZE, f->length, sum);
    if (memcmp(sum, f->checksum, 4) != 0)
        return P2P_FRAME_BAD_CHECKSUM;
    return P2P_FRAME_OK;
}
