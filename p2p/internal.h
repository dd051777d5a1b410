/* Shared state of the p2p/ files: the peer and the layer's tables, limits,
 * misbehaviour scores, and the functions the files call in one another.
 * Not for use outside p2p/ (node/ and rpc/ use p2p.h).
 *
 * Every function here runs with the node lock held, on the event loop's
 * thread, unless it says otherwise.
 */
#ifndef FML_P2P_INTERNAL_H
#define FML_P2P_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "p2p/addrman.h"
#include "p2p/banman.h"
#include "p2p/framing.h"
#include "p2p/invset.h"
#include "p2p/messages.h"
#include "p2p/p2p.h"
#include "p2p/v2.h"
#include "util/hmap.h"
#include "consensus/attr.h"

/* Competing blocks queued for announcement at most at once. */
#define P2P_ANNOUNCE_QUEUE_MAX 16

struct bufferevent;
struct event;
struct evconnlistener;
struct block_index;
struct mempool_entry;
struct validation;

#define P2P_NODEKEY_FILE "nodekey"

/* ---- Limits ---- */
#define P2P_BAN_THRESHOLD 100
#define P2P_TICK_MS 250
#define P2P_CONNECT_TIMEOUT_MS 5000
#define P2P_MAX_MSGS_PER_CALLBACK 64
#define P2P_DOWNLOAD_WINDOW 1024          /* blocks ahead of the lowest missing one */
#define P2P_BLOCK_TIMEOUT_BASE_MS 10000   /* plus one second per block in flight */
#define P2P_HELD_BLOCKS_MAX 1024          /* bodies waiting for their parent's */
#define P2P_HELD_BYTES_MAX (64u << 20)
#define P2P_MAX_FUTURE_SECONDS 15         /* slots starting later are held back */
#define P2P_HEADERS_RETRY_MS 5000
#define P2P_MAX_UNCONNECTING_HEADERS 10
#define P2P_KNOWN_INV_MAX 5000            /* per peer */
#define P2P_RECENT_REJECTS_MAX 50000
#define P2P_MAX_TX_IN_FLIGHT 5000         /* per peer */
#define P2P_TX_REQUEST_TIMEOUT_MS 60000
#define P2P_TX_QUEUE_MAX 100000           /* transactions waiting to be announced */
#define P2P_MAX_GETDATA_QUEUE 50000       /* entries waiting to be served, per peer */
#define P2P_INV_BUCKET 100000             /* inventory entries a peer may send at once */
#define P2P_INV_RATE 10000                /* ... refilled per second */
#define P2P_ADDR_BUCKET 1000              /* addresses a peer may send at once */
#define P2P_ADDR_RATE_MILLI 100           /* ... refilled per second, in thousandths */
#define P2P_ADDR_RETRY_SECONDS 60         /* before trying an address book entry again */
#define P2P_ADDNODE_RETRY_MAX_S 30
#define P2P_SAVE_INTERVAL_MS (15 * 60 * 1000)
#define P2P_MAX_ANNOUNCE_HEADERS 8
#define P2P_HELD_HEADERS_MAX 1024         /* per peer: headers whose leader cannot be checked yet */
#define P2P_UNCHECKED_HEADERS_MAX 1024    /* per peer: indexed before their leader could be checked */
#define P2P_DOWNLOAD_TARGETS_MAX 8        /* branches whose bodies are fetched at once */
#define P2P_FORGET_MAX 64                 /* header-only branches looked at per sweep */
#define P2P_FORGET_INTERVAL_MS 60000      /* between sweeps (regtest: 5 s) */
#define P2P_MAX_DOUBLE_PROPOSALS 16       /* per peer: second proposals indexed, then dropped */
#define P2P_MAX_STALLS 3                  /* block requests timed out in a row: disconnected */

/* ---- Misbehaviour scores (doc/protocol.md, "P2P messages") ---- */
#define P2P_SCORE_BAD_MAGIC 100
#define P2P_SCORE_BAD_COMMAND 100
#define P2P_SCORE_OVERSIZE 100
#define P2P_SCORE_BAD_CHECKSUM 20
#define P2P_SCORE_BAD_ENCODING 20
#define P2P_SCORE_UNEXPECTED 10           /* before version/verack, second version */
#define P2P_SCORE_INVALID 100             /* invalid block, header or transaction */
#define P2P_SCORE_NONCONTINUOUS 20        /* headers that do not chain together */
#define P2P_SCORE_UNCONNECTING 20         /* every 10th headers message that does not connect */
#define P2P_SCORE_FLOOD 20                /* inventory or getdata beyond the rate */
#define P2P_SCORE_BAD_VOTE 10             /* a vote by a key with no weight (bad-vote-not-validator) */
#define P2P_SCORE_UNREQUESTED 10          /* a block nobody asked for that cannot become the tip */

enum conn_type { CONN_INBOUND, CONN_OUTBOUND, CONN_MANUAL };

/* Where a connection's transport is (doc/protocol.md, "Transport v2"). */
enum transport_state {
    TRANSPORT_V1,        /* plaintext framing (-v2transport=0) */
    TRANSPORT_V2_DETECT, /* inbound: waiting for 4 bytes (the v1 magic or a key) */
    TRANSPORT_V2_KEY,    /* waiting for the other side's 32-byte key */
    TRANSPORT_V2_HELLO,  /* keys derived; waiting for the other side's hello */
    TRANSPORT_V2,        /* messages */
};

/* -peerkey=<hex>@<ip:port>: the node key a peer must prove. */
struct peer_pin {
    struct p2p_addr addr;
    uint8_t key[V2_NODEKEY_SIZE];
};

struct sigcheck_verdict;

struct peer {
    struct peer *next;
    struct p2p *p2p;
    int64_t id;
    struct bufferevent *bev;
    struct event *ev_process; /* continues reading when a callback stopped early */
    /* While a held tx message is handled: its pre-check verdict (NULL:
     * none), for relay_on_tx to hand to the mempool. */
    const struct sigcheck_verdict *tx_pre;
    enum conn_type type;
    struct p2p_addr addr;      /* remote */
    struct p2p_addr local;     /* our end */
    char name[P2P_ADDR_STRLEN];

    bool connected;            /* TCP established */
    bool version_sent, version_received, verack_received, handshake_done;
    bool disconnect;           /* marked: freed by the next reap */
    bool read_paused;          /* send queue over the limit */
    uint64_t local_nonce;

    /* From the peer's version. */
    uint32_t version;
    uint64_t services;
    char user_agent[P2P_MAX_USER_AGENT + 1];
    uint64_t start_height;
    int64_t time_offset;
    struct p2p_addr addr_local; /* us as the peer sees us */
    bool has_addr_local;

    /* Times: *_ms monotonic, the others unix seconds. */
    uint64_t created_ms, last_msg_ms;
    uint64_t conn_time, last_send, last_recv, last_block, last_tx;

    uint64_t bytes_sent, bytes_recv;
    uint64_t sent_per_msg[P2P_MSG_COUNT + 1], recv_per_msg[P2P_MSG_COUNT + 1];
    int score;

    /* Ping. */
    uint64_t ping_nonce, ping_start_ms, next_ping_ms;
    bool ping_queued, has_ping;
    uint64_t ping_ms, min_ping_ms;

    /* Sync. */
    uint8_t best_known[HASH_SIZE]; /* the best block we know the peer has */
    uint64_t best_known_height;
    bool has_best_known;
    uint64_t headers_retry_ms;     /* re-ask for headers then (0: no) */
    unsigned unconnecting;
    size_t blocks_in_flight;
    /* Headers from the peer whose leader the tip's state cannot check yet
     * (a run, each the parent of the next, the first one's parent indexed),
     * at most P2P_HELD_HEADERS_MAX; tried again as the chain moves. */
    struct block_header *held_hdrs;
    size_t n_held_hdrs;
    bool held_unknown;     /* the run forks below the tip ("leader-unknown") */
    bool held_more;        /* the peer has more after the run: ask when it is used up */
    size_t unchecked_added; /* headers indexed unchecked for this peer */
    unsigned stalls;       /* block requests timed out or notfound since the last block it sent */
    unsigned double_proposals; /* second proposals for a slot it made us index */

    /* Relay. */
    struct invset known;           /* inventory the peer has or was sent */
    struct p2p_inv *getdata_q;     /* requests waiting for room in the send queue */
    size_t getdata_n, getdata_pos;
    size_t tx_in_flight;
    uint64_t inv_tokens, inv_tokens_ms;
    uint64_t addr_tokens_milli, addr_tokens_ms;
    uint64_t addr_processed, addr_rate_limited;
    bool getaddr_answered;

    /* Transport. */
    enum transport_state transport;
    struct v2_cipher *v2;          /* from TRANSPORT_V2_HELLO on */
    uint8_t v2_priv[V2_KEY_SIZE], v2_pub[V2_PUBKEY_SIZE];
    int64_t v2_len;                /* the packet's contents length, once decrypted; else -1 */
    const struct peer_pin *pin;    /* an outbound connection to a pinned address */
    bool peerkey_proven;           /* the peer proved peerkey in its hello */
    bool peerkey_verified;         /* ... and it is the key pinned for it */
    uint8_t peerkey[V2_NODEKEY_SIZE];
};

struct added_node {
    char *name;
    struct p2p_addr addr;
    uint64_t next_try_ms;
    uint32_t backoff_s;
};

struct block_request {
    uint8_t hash[HASH_SIZE];
    uint64_t height;
    int64_t peer_id;     /* -1: waiting for another peer after a timeout or notfound */
    int64_t avoid_peer;  /* the peer that timed out or had not got it, or -1 */
    uint64_t deadline_ms; /* peer_id >= 0: answer due; else: avoid_peer may be asked again */
};

struct held_block {
    struct block block;
    uint8_t hash[HASH_SIZE];
    size_t size;
    int64_t peer_id;
};

struct tx_request {
    int64_t peer_id;
    uint64_t deadline_ms;
};

struct p2p {
    struct event_base *base;
    struct p2p_env env;
    bool regtest;

    /* Options. */
    bool listen;
    bool connect_only;
    int max_connections, max_outbound, max_inbound;
    uint64_t bantime;
    size_t max_send, max_receive;
    uint64_t ping_interval_ms, timeout_ms, handshake_timeout_ms;
    uint32_t max_message; /* the largest payload of any command */
    char user_agent[64];

    struct evconnlistener **listeners;
    size_t n_listeners;
    uint16_t bound_port;
    struct p2p_addr *bound;
    size_t n_bound;

    struct peer *peers;
    size_t n_peers;
    int64_t next_id;

    struct addrman am;
    struct banman bm;
    char *peers_path, *bans_path;
    uint64_t next_save_ms;

    struct added_node *added;   /* -addnode, addnode add, -connect */
    size_t n_added;
    struct p2p_addr *onetry;    /* addnode onetry, waiting for the loop */
    size_t n_onetry;

    struct event *tick, *wakeup;

    /* Sync. */
    struct hmap block_requests; /* hash -> struct block_request */
    struct held_block *held;
    size_t n_held, held_bytes;
    /* Header-only branches no peer served at the last sweep: forgotten if
     * still unserved at the next. */
    uint8_t forget_marks[P2P_FORGET_MAX][HASH_SIZE];
    size_t n_forget_marks;
    uint64_t next_forget_ms;

    /* Relay. */
    uint8_t (*tx_queue)[HASH_SIZE];
    size_t n_tx_queue;
    bool tip_changed;
    /* Blocks off the active chain to announce (p2p_announce_block). */
    uint8_t announce_queue[P2P_ANNOUNCE_QUEUE_MAX][HASH_SIZE];
    size_t n_announce;
    bool pings_requested;
    struct invset recent_rejects;
    struct hmap tx_requests;    /* txid -> struct tx_request */

    uint64_t bytes_sent, bytes_recv;

    /* getnetworkinfo: the last outbound peers' clock offsets (a ring) and
     * the addresses peers can reach us at (connman.c). */
    int64_t time_offsets[P2P_TIME_SAMPLES];
    size_t n_time_offsets, next_time_offset;
    struct local_addr {
        struct p2p_addr addr; /* port: where we listen */
        int score;
    } local[P2P_MAX_LOCAL];
    size_t n_local;
    /* Addresses one outbound peer reported for us, waiting for a peer of
     * another network group to agree (a ring). */
    struct local_candidate {
        struct p2p_addr addr;
        uint8_t group[5]; /* the reporter's */
    } local_cand[P2P_LOCAL_CANDIDATES];
    size_t n_local_cand, next_local_cand;
    size_t n_time_outliers; /* outbound offsets beyond P2P_MAX_TIME_OFFSET, since start */
    bool clock_warned;
    /* Transport. */
    bool v2transport;              /* -v2transport */
    uint8_t nodekey_pk[V2_NODEKEY_SIZE], nodekey_sk[64];
    struct peer_pin *pins;         /* -peerkey */
    size_t n_pins;
};

/* ---- p2p.c ---- */
/* Runs the loop-side work (reaping, announcements, pings) soon; any thread. */
void p2p_wakeup(struct p2p *p);

/* ---- peer.c ---- */
struct peer *peer_new(struct p2p *p, struct bufferevent *bev, enum conn_type type,
                      const struct p2p_addr *addr);
void peer_free(struct peer *peer);
struct peer *peer_by_id(struct p2p *p, int64_t id);
/* Frames and queues a message; false (and the peer marked) on failure.  No
 * WARN_UNUSED: the failure is handled here, callers only stop early. */
bool peer_send(struct peer *peer, enum p2p_msg_type t, const struct wbuf *payload);
bool peer_send_empty(struct peer *peer, enum p2p_msg_type t);
size_t peer_send_queue(const struct peer *peer);
void peer_disconnect(struct peer *peer, const char *why);
/* Adds points; at P2P_BAN_THRESHOLD the peer is banned and disconnected. */
void peer_misbehaving(struct peer *peer, int score, const char *reason);
/* Frees every peer marked for disconnection. */
void peer_reap(struct p2p *p);
/* Sends our version (outbound: as soon as connected). */
bool peer_send_version(struct peer *peer);

/* ---- process.c ---- */
/* Handles one whole, checksummed message. */
void process_message(struct peer *peer, const struct p2p_frame *f, const uint8_t *payload);
/* Pings, timeouts, for one peer; from the timer. */
void process_peer_timers(struct peer *peer, uint64_t now_ms);

/* ---- sync.c ---- */
void sync_handshake_done(struct peer *peer);
void sync_on_getheaders(struct peer *peer, const uint8_t *payload, size_t len);
void sync_on_headers(struct peer *peer, const uint8_t *payload, size_t len);
/* A peer told us of a block (inv) that we know. */
void sync_on_block_inv(struct peer *peer, const uint8_t hash[HASH_SIZE]);
void sync_send_getheaders(struct peer *peer, const struct block_index *from,
                          const uint8_t stop[HASH_SIZE]);
/* Records that the peer has the block (a header, inv or block from it). */
void sync_peer_has(struct peer *peer, const struct block_index *bi);
/* Off regtest: the header's slot starts too far ahead of our clock. */
bool sync_too_far_ahead(const struct p2p *p, const struct block_header *h);
/* Whether a refused block or header earns the sender points. */
bool sync_punishable(const struct validation *v);
/* Tries the held headers of every peer again (the chain moved). */
void sync_retry_held(struct p2p *p);

/* ---- download.c ---- */
void download_on_block(struct peer *peer, const uint8_t *payload, size_t len);
/* A peer does not have a block we asked for. */
void download_on_notfound(struct peer *peer, const uint8_t hash[HASH_SIZE]);
/* Requests missing blocks from peers with room. */
void download_schedule(struct p2p *p);
/* Moves timed-out requests to other peers. */
void download_check_timeouts(struct p2p *p, uint64_t now_ms);
void download_peer_gone(struct peer *peer);
void download_free(struct p2p *p);

/* ---- relay.c ---- */
void relay_on_inv(struct peer *peer, const uint8_t *payload, size_t len);
void relay_on_getdata(struct peer *peer, const uint8_t *payload, size_t len);
void relay_on_notfound(struct peer *peer, const uint8_t *payload, size_t len);
void relay_on_tx(struct peer *peer, const uint8_t *payload, size_t len);
/* Serves queued getdata entries while the send queue has room. */
void relay_serve_getdata(struct peer *peer);
/* Announcements queued by the listeners. */
void relay_announce(struct p2p *p);
/* A peer finished its handshake: announce our mempool. */
void relay_handshake_done(struct peer *peer);
void relay_peer_gone(struct peer *peer);
void relay_check_timeouts(struct p2p *p, uint64_t now_ms);
/* Takes tokens from a peer's inventory bucket; false (and points) when empty. */
bool relay_take_inv_tokens(struct peer *peer, size_t n);
void relay_free(struct p2p *p);
/* Chain and mempool listeners (node lock held, any thread). */
void relay_tip_changed(void *arg, const struct block_index *tip);
void relay_tx_added(void *arg, const struct mempool_entry *e);

/* ---- connman.c ---- */
bool connman_listen(struct p2p *p, const struct p2p_options *o, char *err, size_t errlen)
    WARN_UNUSED;
void connman_stop_listening(struct p2p *p);
/* A peer's version showed us at ip (peer->addr_local): its entry in
 * p->local scores one more; an outbound peer's view is added when new (a
 * peer we chose, so inbound ones cannot fill the table).  Nothing when not
 * listening or ip is unusable. */
/* A peer at from reported seeing us at ip: an address already listed scores
 * one more; a new one is listed (score 2) once outbound peers of two
 * network groups reported it. */
void connman_local_seen(struct p2p *p, const struct p2p_addr *ip, bool outbound,
                        const struct p2p_addr *from);
/* The network group of an address (evict.c): IPv4 /16, IPv6 /32. */
void p2p_netgroup(const struct p2p_addr *a, uint8_t out[5]);
/* Opens outbound connections the tables call for. */
void connman_open_connections(struct p2p *p, uint64_t now_ms);
/* Opens the connections addnode onetry asked for. */
void connman_open_onetry(struct p2p *p);
bool connman_connect(struct p2p *p, const struct p2p_addr *addr, enum conn_type type) WARN_UNUSED;
size_t connman_count(const struct p2p *p, enum conn_type type);
bool connman_add_node(struct p2p *p, const char *name, const struct p2p_addr *addr) WARN_UNUSED;

/* ---- evict.c ---- */
/* The inbound slots are full: marks the inbound peer the node would miss
 * least for disconnection; false (nothing marked) when all are protected. */
bool evict_inbound(struct p2p *p);

#endif
