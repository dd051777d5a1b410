/* The chain manager: the block index, the active chain, the committed state,
 * and the rules for moving between them (accept a block, choose the best
 * chain, connect and disconnect blocks, reorganize).
 *
 * It knows no module by name: connecting a block runs the state transition
 * of state/apply.c, which dispatches to the modules.  Every connected block is
 * one synced LevelDB batch holding the state changes, the undo data, the
 * transaction index entries, the state root lanes and the new tip; a crash at
 * any point leaves a valid tip with the state of that tip.
 *
 * Not thread-safe: callers hold the node lock.
 */
#ifndef FML_STATE_CHAIN_H
#define FML_STATE_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/accounts.h"
#include "consensus/block.h"
#include "consensus/params.h"
#include "consensus/validation.h"
#include "consensus/attr.h"

enum block_status {
    BLOCK_HAVE_DATA = 1 << 0,    /* the body is in the block store */
    BLOCK_VALID = 1 << 1,        /* connected successfully at least once */
    BLOCK_FAILED = 1 << 2,       /* invalid */
    BLOCK_FAILED_CHILD = 1 << 3, /* descends from an invalid block */
    /* Indexed before its leader could be checked (a fork below the tip's
     * epoch), or above such a header not yet connected: a branch anyone
     * can sign, downloaded after the checked ones. */
    BLOCK_LEADER_UNCHECKED = 1 << 4,
    /* just_epoch is known (the block was connected, or it is the genesis
     * block): the fork choice ranks by it (doc/protocol.md section 20.4). */
    BLOCK_JUST_KNOWN = 1 << 5,
    /* vote_top is known (computed from the body). */
    BLOCK_VOTES_KNOWN = 1 << 6,
};

struct block_index {
    uint8_t hash[HASH_SIZE];
    struct block_header hdr;
    struct block_index *prev;
    /* An ancestor further down (at skip_height in state/blockindex.c), so that
     * chain_ancestor reaches any height in O(log n) steps. */
    struct block_index *skip;
    uint32_t status;
    uint32_t file;   /* position of the body in the block store */
    uint32_t offset;
    uint32_t size;
    uint32_t ntx;
    uint64_t seq;    /* order of arrival: the first seen wins a tie */
    /* The epoch of the justified checkpoint in the state after this block
     * (with BLOCK_JUST_KNOWN): set when the block is connected, kept after
     * it is disconnected. */
    uint64_t just_epoch;
    /* The highest target epoch of the block's FINALITY_VOTE transactions (0:
     * none; with BLOCK_VOTES_KNOWN): what the block could justify at most. */
    uint64_t vote_top;
};

/* Told about every block connected to or disconnected from the active chain,
 * in order.  During a reorganization all disconnections come first. */
struct chain_listener {
    void (*connected)(void *arg, const struct block *b, const struct block_index *bi);
    void (*disconnected)(void *arg, const struct block *b, const struct block_index *bi);
    /* After the active chain moved (once per change, after all of the above). */
    void (*tip_changed)(void *arg, const struct block_index *tip);
    /* Two different headers signed by one proposer for one slot were seen
     * (the first known one and the new one): evidence for slashing. */
    void (*double_proposal)(void *arg, const struct block_header *first,
                            const struct block_header *second);
    void *arg;
};

struct chain;
struct sigcheck;

/* Opens (creating on first use) the block store and state under datadir.
 * reindex: wipe the state and rebuild it from the stored blocks. */
struct chain *chain_open(const struct chain_params *params, const char *datadir, bool reindex,
                         char *err, size_t errlen);

struct chain_options {
    /* -reindex: rebuild the block index from the block files, then the state
     * by connecting the stored blocks again. */
    bool reindex;
    /* -reindex-chainstate: keep the block index, rebuild the state by
     * connecting the stored blocks again. */
    bool reindex_chainstate;
    /* Checks blocks' transactions (state/sigcheck.h), also while opening;
     * NULL: on the calling thread, without a signature cache.  Must outlive
     * the chain. */
    struct sigcheck *sigcheck;
    /* -addressindex: keep the address index (state/addrindex.h).  A
     * chainstate whose index is not complete (synced without it, or while it
     * was off) is rebuilt from the block files as -reindex does; opening a
     * chainstate that has the index without it marks the index stale. */
    bool addrindex;
};

/* chain_open with options.  Every block connected that was not checked on
 * arrival in this process (read back from the block files: a reindex, a
 * reorganization, blocks stored before a crash) is checked in full first,
 * signatures included (sigcheck_block); one that fails is marked invalid
 * and the chain stays at its parent. */
struct chain *chain_open_with(const struct chain_params *params, const char *datadir,
                              const struct chain_options *opts, char *err, size_t errlen);
/* The pool and cache the chain checks blocks with (NULL: none). */
struct sigcheck *chain_sigcheck(const struct chain *c);
void chain_close(struct chain *c);
/* Start-up check: reads back the last nblocks blocks of the active chain (0:
 * all) and checks them against their hashes, reads every chainstate entry
 * and checks that the state adds up to the tip's state root.  On damage,
 * says what is damaged and how to recover (-reindex). */
bool chain_verify(struct chain *c, uint64_t nblocks, char *err, size_t errlen) WARN_UNUSED;

const struct chain_params *chain_params(const struct chain *c);
const struct block_index *chain_tip(const struct chain *c);
uint64_t chain_height(const struct chain *c);
/* The tip as of the end of the last activation (a connect, a
 * reorganization, the load): safe to call without the node lock, for
 * readers that need one consistent tip but not the chain's other
 * structures.  Its block_index lives as long as the chain; its height and
 * hash never change. */
const struct block_index *chain_published_tip(const struct chain *c);
/* The share of the chain verified, 0..1, as getblockchaininfo's
 * verificationprogress: the smaller of the tip's time since genesis against
 * the time elapsed since genesis at now (unix seconds), and the tip's height
 * against the best known header's. */
double chain_verification_progress(const struct chain *c, uint64_t now);
const struct block_index *chain_at(const struct chain *c, uint64_t height);
const struct block_index *chain_lookup(const struct chain *c, const uint8_t hash[HASH_SIZE]);
bool chain_contains(const struct chain *c, const struct block_index *bi);
/* The ancestor of bi at height (bi itself at its own height; NULL above
 * it), in O(log n) steps over the skip pointers. */
const struct block_index *chain_ancestor(const struct block_index *bi, uint64_t height);
/* The last block that two branches share. */
const struct block_index *chain_fork_point(const struct block_index *a, const struct block_index *b);
/* Number of known block index entries (all branches). */
size_t chain_index_size(const struct chain *c);
/* Calls fn for every known block (any branch), in no particular order. */
void chain_foreach_index(const struct chain *c, void (*fn)(void *arg, const struct block_index *bi),
                         void *arg);

bool chain_read_block(struct chain *c, const struct block_index *bi, struct block *out) WARN_UNUSED;
/* The raw bytes of a stored block; the caller frees *data. */
bool chain_read_raw(struct chain *c, const struct block_index *bi, uint8_t **data, size_t *len)
    WARN_UNUSED;
/* Finds a transaction of the active chain by txid. */
bool chain_find_tx(struct chain *c, const uint8_t txid[HASH_SIZE], struct tx *out,
                   const struct block_index **bi, uint32_t *index) WARN_UNUSED;

/* Validates and stores a block, then moves the active chain to the best
 * chain.  False with a reason when the block is invalid (VAL_CONSENSUS,
 * VAL_MALFORMED), unconnectable (VAL_PREMATURE: unknown parent, or parent
 * known only by its header), already known (VAL_DUPLICATE) or on a local
 * error (VAL_ERROR). */
bool chain_process_block(struct chain *c, const struct block *b, struct validation *v) WARN_UNUSED;

/* Checks a header whose parent is known (context, the leader of its slot,
 * signature) and indexes it without its body; the body can follow
 * (headers-first sync).  Reasons as for blocks; VAL_DUPLICATE when already
 * known.  The leader is checked against the schedule the header's branch
 * implies as far as the tip's state fixes it (the tip's epoch and the next):
 * a wrong one is VAL_CONSENSUS "bad-blk-proposer"; one that cannot be checked
 * yet is VAL_PREMATURE "leader-not-yet-known" (the branch grows from the tip:
 * retry once more of it is connected) or "leader-unknown" (the branch forks
 * below the tip), and nothing is indexed.  chain_process_block applies the
 * same rule to a block whose header is new. */
bool chain_process_header(struct chain *c, const struct block_header *hdr, struct validation *v)
    WARN_UNUSED;

/* As chain_process_header, but a header whose leader the tip's state cannot
 * tell (a branch forking below the tip's epoch, VAL_PREMATURE
 * "leader-unknown" above) is indexed unchecked; its leader is checked when
 * its block is connected.  For branches that could become the best chain
 * (the caller judges, and bounds what each peer may add this way).  A header
 * the tip's state can check is checked all the same. */
bool chain_process_header_unchecked(struct chain *c, const struct block_header *hdr,
                                    struct validation *v) WARN_UNUSED;

/* The tip of the best valid header chain (the active tip when no header
 * beats it). */
const struct block_index *chain_best_header(const struct chain *c);
/* Whether a branch through from (indexed) whose top is at top_height could
 * become the best chain, so that its headers and bodies are worth fetching:
 * it is higher than the tip, or it forks from the active chain at most
 * finality_depth below the tip (the fork choice ranks by justified epoch
 * first, which only the bodies tell: doc/protocol.md section 20.4). */
bool chain_branch_wanted(const struct chain *c, const struct block_index *from,
                         uint64_t top_height);
/* Whether bi lies on a lower side branch not evaluated yet: off the active
 * chain, no higher than the tip, its justified epoch not known. */
bool chain_lower_branch(const struct chain *c, const struct block_index *bi);
/* The bodies stored on lower side branches not evaluated yet that fork
 * within finality_depth of the tip (a block shared by two such branches
 * counts twice); O(leaves * finality_depth).  Sync fetches no more bodies
 * of such branches once it reaches chain_lower_bodies_max (2 *
 * finality_depth): doc/protocol.md section 20.4. */
size_t chain_lower_bodies(const struct chain *c);
size_t chain_lower_bodies_max(const struct chain *c);
/* Whether pub has weight in the tip state's vote weights for the tip's
 * epoch or the one before (a key staking now). */
bool chain_has_vote_weight(struct chain *c, const uint8_t pub[PUBKEY_SIZE]);
/* Blocks of the best header chain that lack their body, lowest first, at
 * most max: what to download next. */
size_t chain_missing_blocks(const struct chain *c, const struct block_index **out, size_t max);
/* The same for the branch of target (none when it is invalid or not
 * wanted: chain_branch_wanted). */
size_t chain_missing_blocks_to(const struct chain *c, const struct block_index *target,
                               const struct block_index **out, size_t max);

/* Indexed blocks with neither a body nor a known child (the tops of
 * header-only branches), at most max, in no particular order; O(index). */
size_t chain_header_leaves(const struct chain *c, const struct block_index **out, size_t max);
/* Forgets a header-only branch: leaf (a block from chain_header_leaves) and
 * its ancestors down to the first that has its body or another child are
 * removed from the index (memory and disk).  Returns how many; leaf and
 * every pointer to a forgotten block are invalid afterwards. */
size_t chain_forget_headers(struct chain *c, const struct block_index *leaf);
/* The same, stopping below keep (an ancestor of leaf, or NULL): keep and
 * what lies under it stay. */
size_t chain_forget_headers_above(struct chain *c, const struct block_index *leaf,
                                  const struct block_index *keep);

/* Marks a block and its descendants invalid and moves to the best remaining
 * chain; chain_reconsider undoes that. */
bool chain_invalidate(struct chain *c, const uint8_t hash[HASH_SIZE], struct validation *v)
    WARN_UNUSED;
bool chain_reconsider(struct chain *c, const uint8_t hash[HASH_SIZE], struct validation *v)
    WARN_UNUSED;

void chain_add_listener(struct chain *c, const struct chain_listener *l);
/* Removes the listeners registered with this arg. */
void chain_remove_listener(struct chain *c, void *arg);

/* The last finalized block of the tip state (state/modules.h's
 * `finalized`: the genesis block until one is): its hash and height.  The
 * chain never disconnects it nor connects a branch without it
 * (bad-fork-prior-to-finalized); finality_depth stays as a fallback.
 * False on a read error (then genesis is reported). */
bool chain_finalized(struct chain *c, uint64_t *height, uint8_t hash[HASH_SIZE]);

/* A read-only view of the state at the tip (the caller frees it). */
struct view *chain_view(struct chain *c);
/* The account at the tip (zero balance and nonce when absent). */
bool chain_get_account(struct chain *c, const uint8_t pub[PUBKEY_SIZE], struct account *a)
    WARN_UNUSED;
void chain_state_root(const struct chain *c, uint8_t out[HASH_SIZE]);
/* The state root the tip state would have with a view's changes applied (the
 * view must sit directly on the tip state, as chain_view's do). */
bool chain_root_with(const struct chain *c, struct view *v, uint8_t out[HASH_SIZE]) WARN_UNUSED;
/* Calls fn for every committed state pair whose key starts with prefix, in
 * key order, until fn returns false.  False on a read error. */
bool chain_scan_state(struct chain *c, const void *prefix, size_t plen,
                      bool (*fn)(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                                 size_t vlen),
                      void *arg) WARN_UNUSED;

/* How many double proposals (second headers of one proposer for one slot)
 * were indexed since the chain was opened: lets a caller count what each
 * source adds. */
uint64_t chain_double_proposals(const struct chain *c);

/* Seconds the last block connected to the active chain took to connect
 * (its state transition and its write); for a listener's statistics, read
 * in its connected callback. */
double chain_last_connect_seconds(const struct chain *c);

/* The address index (state/addrindex.h): whether it is kept, the number of
 * entries of an address, and entry i of it (0 = oldest).  False on a read
 * error or a missing entry. */
struct addrindex_entry;
bool chain_addrindex_enabled(const struct chain *c);
bool chain_addrindex_total(struct chain *c, const uint8_t pub[PUBKEY_SIZE], uint64_t *total)
    WARN_UNUSED;
bool chain_addrindex_get(struct chain *c, const uint8_t pub[PUBKEY_SIZE], uint64_t i,
                         struct addrindex_entry *out) WARN_UNUSED;

/* Bytes on disk of the block files (for getblockchaininfo). */
uint64_t chain_disk_size(const struct chain *c);

#endif
