/* What the files of the wallet RPCs share (internal to wallet/):
 * finding the request's wallet, the unlock check, signed amounts, option
 * parsing, and the
 * handlers of wallet/rpcsend.c that the table in wallet/rpcwallet.c names. */
#ifndef FML_WALLET_RPCINTERNAL_H
#define FML_WALLET_RPCINTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "rpc/rpc.h"
#include "wallet/chain_iface.h"
#include "wallet/wallet.h"
#include "consensus/attr.h"

/* The wallet of the request (URI /wallet/NAME, or the only loaded one), or
 * NULL with -18 / -19 raised. */
struct wallet *rpcw_wallet(struct rpc_call *call);
/* False with -13 raised when the wallet is encrypted and locked. */
bool rpcw_unlocked(struct rpc_call *call, struct wallet *w) WARN_UNUSED;
/* An exact FML amount, negative when asked (sends and fees). */
json_t *rpcw_amount(uint64_t units, bool negative);

json_t *rpcw_getbalance(struct rpc_call *call);
json_t *rpcw_getbalances(struct rpc_call *call);
json_t *rpcw_sendtoaddress(struct rpc_call *call);
json_t *rpcw_sendmany(struct rpc_call *call);
json_t *rpcw_listtransactions(struct rpc_call *call);
json_t *rpcw_gettransaction(struct rpc_call *call);
json_t *rpcw_abandontransaction(struct rpc_call *call);
json_t *rpcw_signrawtransaction(struct rpc_call *call);
json_t *rpcw_settxfee(struct rpc_call *call);
json_t *rpcw_rescanblockchain(struct rpc_call *call);
/* The fee rate of the wallet's sends (units per 1,000 bytes): settxfee, else
 * -walletfeerate, raised to the mempool's required rate; and a fee for size. */
uint64_t rpcw_fee_rate(struct rpc_call *call, struct wallet *w);
uint64_t rpcw_fee_for(uint64_t rate, size_t size);
/* Gives tx (sender, type, payload and fee set) the sender's next nonce,
 * signs it, records it in the wallet, and submits it to the mempool.  The
 * txid, or NULL with the error raised (-13 locked, -26 rejected, ...). */
json_t *rpcw_sign_and_submit(struct rpc_call *call, struct wallet *w, struct tx *tx,
                             const char *comment, const char *comment_to);
/* A transaction of type from sender with the payload, its fee at the
 * wallet's rate, through rpcw_sign_and_submit (no comments): the txid, or
 * NULL with the error raised (-7 when the payload failed to encode). */
json_t *rpcw_submit_payload(struct rpc_call *call, struct wallet *w,
                            const uint8_t sender[PUBKEY_SIZE], uint8_t type,
                            const struct wbuf *payload);

/* The chain and mempool as the wallets see them (wallet/chain_iface.h):
 * NULL when the wallets are not attached to a chain. */
const struct wallet_chain *rpcw_chain(struct rpc_call *call);
/* Whether there is a mempool to send to. */
bool rpcw_has_mempool(struct rpc_call *call);
/* The height of the tip (0 without a chain). */
uint64_t rpcw_tip_height(struct rpc_call *call);
/* The account at the tip; false with -20 "State read error" raised. */
bool rpcw_account(struct rpc_call *call, const uint8_t pub[PUBKEY_SIZE], struct account *a)
    WARN_UNUSED;

/* The same without raising an error (false: not readable). */
bool rpcw_peek_account(struct rpc_call *call, const uint8_t pub[PUBKEY_SIZE], struct account *a)
    WARN_UNUSED;
/* A snapshot of the state at the tip for lookups through rpcw_chain(call)
 * (NULL when unreadable); free it with rpcw_snapshot_free. */
struct chain_snapshot *rpcw_snapshot(struct rpc_call *call);
void rpcw_snapshot_free(struct rpc_call *call, struct chain_snapshot *s);

/* An address argument that must be one of the wallet's keys (-4 when it
 * is not). */
bool rpcw_own_address(struct rpc_call *call, struct wallet *w, size_t idx,
                      uint8_t pub[PUBKEY_SIZE]) WARN_UNUSED;
/* The wallet account with the largest confirmed balance above `need`,
 * skipping those `skip` (when given) says no to; -6 when there is none. */
bool rpcw_richest(struct rpc_call *call, struct wallet *w, uint64_t need,
                  bool (*skip)(void *arg, const uint8_t pub[PUBKEY_SIZE]), void *arg,
                  uint8_t out[PUBKEY_SIZE]) WARN_UNUSED;

/* Options of a JSON object (wallet/rpcfl.c): an absent member leaves *out
 * as it is; a present one must be an integer 0..max, or an amount (-3 with
 * the member named otherwise). */
bool rpcw_opt_uint(struct rpc_call *call, json_t *o, const char *name, uint64_t max,
                   uint64_t *out) WARN_UNUSED;
bool rpcw_opt_amount(struct rpc_call *call, json_t *o, const char *name, uint64_t *out)
    WARN_UNUSED;
/* A decimal (JSON number or string; a real through its shortest decimal
 * text, so 0.1 means 0.1) as Q16.16; false when it is none or out of range. */
bool rpcw_parse_q16(const json_t *x, int32_t *out) WARN_UNUSED;

/* The confirmed balance at the tip of the wallet's handed-out keys. */
bool rpcw_balance(struct rpc_call *call, struct wallet *w, uint64_t *total) WARN_UNUSED;

#endif
