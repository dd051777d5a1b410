/* fml-cli -getinfo: general information from the node in one batch of RPC
 * calls (getnetworkinfo, getblockchaininfo, getwalletinfo, getbalances,
 * getmempoolinfo), as bitcoin-cli -getinfo.  The answers are not atomic:
 * the wallet may be a block behind the chain they show.
 *
 * With -rpcwallet the wallet part is that wallet's; without, it is the only
 * wallet loaded, or with several loaded each one's balance (listwallets,
 * then getbalances of each); with none (or -disablewallet) it is left out.
 */
#ifndef FML_CLI_GETINFO_H
#define FML_CLI_GETINFO_H

#include <stdbool.h>

struct rpc_client_options;

/* Prints the summary (json_out: as one JSON object) on stdout; returns the
 * exit status (1 after printing an error on stderr). */
int cli_getinfo(const struct rpc_client_options *o, bool json_out);

#endif
