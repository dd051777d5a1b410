/* -blocknotify and -walletnotify: shell commands run when the tip changes
 * and when a wallet transaction is first seen in the mempool or enters a
 * block of the active chain, as bitcoind's.
 *
 * In the command, %s is replaced by the block hash (-blocknotify) or the
 * txid (-walletnotify), always 64 hex digits; -walletnotify also replaces
 * %w by the wallet name (shell-quoted), %b by the hash of the block holding
 * the transaction ("unconfirmed" in the mempool) and %h by its height (-1 in
 * the mempool).  Commands run through /bin/sh -c in the background: the
 * node thread only starts them (posix_spawn), a thread per command waits for
 * it; at most NOTIFY_MAX_RUNNING run at once and a command beyond that is
 * not run (logged). */
#ifndef FML_NODE_NOTIFY_H
#define FML_NODE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "consensus/attr.h"

#define NOTIFY_MAX_RUNNING 16
/* A command after substitution longer than this is not run. */
#define NOTIFY_MAX_COMMAND 8192

struct config;
struct chain;
struct mempool;
struct wallets;
struct notify;

/* Reads -blocknotify and -walletnotify (ignored without wallets) and starts
 * listening; *out is NULL when neither is set. */
bool notify_start(const struct config *cfg, struct chain *chain, struct mempool *mp,
                  struct wallets *ws, struct notify **out, char *err, size_t errlen) WARN_UNUSED;
/* Stops listening (with the node lock held, before the wallets, mempool
 * and chain go).  Commands still running are left to finish. */
void notify_stop(struct notify *n);

/* The command for one event: tmpl with %s, %w, %b, %h replaced (wallet
 * NULL for -blocknotify: only %s is replaced).  False when the result
 * would not fit in outlen. */
bool notify_format(const char *tmpl, const char *hex, const char *wallet, const char *block,
                   long long height, char *out, size_t outlen) WARN_UNUSED;

#endif
