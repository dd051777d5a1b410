/* Progress lines while the node catches up, and the block connect times of
 * the metrics.
 *
 * While blocks are connected behind the best known header (a sync from
 * peers), debug.log (and the console with -printtoconsole) gets at most one
 * line every PROGRESS_INTERVAL_MS (regtest: -progressinterval):
 *   Sync progress: height=H headers=N (P%) blocks/s=R eta=Ts
 * with P the verification progress of getblockchaininfo, R the rate since
 * the last line and T the time left at that rate; and one "Sync done" line
 * once the tip is the best header and no block came for PROGRESS_IDLE_MS,
 * for a catch-up of at least PROGRESS_MIN_BLOCKS blocks (a block or two
 * behind in normal running says nothing).  Runs in the chain's connected
 * callback and a one-second timer on the node's event loop, under the node
 * lock.
 */
#ifndef FML_NODE_PROGRESS_H
#define FML_NODE_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#define PROGRESS_INTERVAL_MS 5000
#define PROGRESS_MIN_BLOCKS 100
#define PROGRESS_IDLE_MS 2000

struct node;

/* Needs n->base and n->chain.  False on a bad -progressinterval. */
bool progress_watch(struct node *n, char *err, size_t errlen);
void progress_unwatch(struct node *n);

#endif
