/* Message framing on the wire:
 *
 *   magic [4] | command [12] | length u32 | checksum [4] | payload [length]
 *
 * The command is lower-case ASCII letters and digits, NUL-padded, at least
 * one character long, with nothing but NULs after the first NUL.  The checksum
 * is the first 4 bytes of BLAKE2b-256 "FML/p2p-check" of the payload.  The
 * length is checked against the command's limit (messages.h) as soon as the
 * header is in, so an oversized message is refused before its payload is
 * read.  Pure functions of bytes, so the parser can be fuzzed and tested at
 * every split point.
 */
#ifndef FML_P2P_FRAMING_H
#define FML_P2P_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/serialize.h"
#include "p2p/messages.h"

#define P2P_HEADER_SIZE 24
#define P2P_COMMAND_SIZE 12

enum p2p_frame_status {
    P2P_FRAME_OK,
    P2P_FRAME_NEED_MORE,    /* a prefix of a valid message: wait for more bytes */
    P2P_FRAME_BAD_MAGIC,    /* not this network's magic: the stream is lost */
    P2P_FRAME_BAD_COMMAND,  /* non-canonical command name */
    P2P_FRAME_OVERSIZE,     /* length above the command's limit */
    P2P_FRAME_BAD_CHECKSUM, /* whole message in, checksum wrong: skip it */
};

struct p2p_frame {
    char command[P2P_COMMAND_SIZE + 1];
    bool known;              /* command is one of ours */
    enum p2p_msg_type type;  /* when known */
    uint32_t length;
    uint8_t checksum[4];
};

const char *p2p_frame_status_name(enum p2p_frame_status s);

/* True when raw is a canonical command name; out gets it NUL-terminated. */
bool p2p_command_decode(const uint8_t raw[P2P_COMMAND_SIZE], char out[P2P_COMMAND_SIZE + 1])
    WARN_UNUSED;

void p2p_frame_checksum(const uint8_t *payload, size_t len, uint8_t out[4]);

/* Appends a whole message.  command must be canonical. */
void p2p_frame_encode(struct wbuf *w, const uint8_t magic[4], const char *command,
                      const uint8_t *payload, size_t len);

/* Looks at the first len bytes of a receive buffer.  OK: a whole message of
 * P2P_HEADER_SIZE + f->length bytes starts at buf, its payload at
 * buf + P2P_HEADER_SIZE.  BAD_CHECKSUM also fills f (the caller may skip the
 * message).  NEED_MORE: f is filled when the header is complete. */
enum p2p_frame_status p2p_frame_parse(const uint8_t *buf, size_t len, const uint8_t magic[4],
                                      uint32_t max_block_size, struct p2p_frame *f);

#endif
