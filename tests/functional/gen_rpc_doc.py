#!/usr/bin/env python3
"""Writes doc/rpc.md from the node's own help: the conventions (transport,
authentication, errors, amounts) and, for every method, its full help text.
The methods' table entries are the single source; rpc_doc_current.py fails
when doc/rpc.md no longer matches them.

    python3 tests/functional/gen_rpc_doc.py [OUTPUT]   (default: doc/rpc.md)
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_framework.framework import TestNode  # noqa: E402

INTRO = """# fmld JSON-RPC reference

This file is generated from the node's `help` text by
`tests/functional/gen_rpc_doc.py`; a test fails when the two disagree.

## Transport

- HTTP/1.1 `POST` to `http://127.0.0.1:<rpcport>/` (main 8732, test 18732, regtest 28732),
  keep-alive supported.  Wallet methods may be sent to `/wallet/<name>` to name a wallet;
  with one wallet loaded `/` works too.
- The server binds to 127.0.0.1 unless both `-rpcbind` and `-rpcallowip` are given; requests
  from addresses other than 127.0.0.1, ::1 and the `-rpcallowip` subnets get HTTP 403.
- Bodies up to 16 MiB (HTTP 413 beyond); `-rpcthreads` workers (default 4) and a queue of
  `-rpcworkqueue` requests (default 64; HTTP 503 when full).

## Authentication

HTTP Basic.  Without `-rpcuser`/`-rpcpassword` the node writes `<datadir>/<network>/.cookie`
(mode 0600, `__cookie__:<64 hex digits>`, no trailing newline) at start and removes it at
shutdown.  Missing or wrong credentials get HTTP 401 after a delay, and the method never runs.

## REST

With `-rest=1` (off by default) the same port also answers read-only `GET` requests without
credentials under `/rest/`, each answered by the RPC method named in `doc/rest.md`:
`/rest/chaininfo.json`, `/rest/block/<hash>.json|.hex|.bin`, `/rest/block/notxdetails/<hash>.json`,
`/rest/headers/<count>/<hash>.json`, `/rest/tx/<txid>.json|.hex|.bin`, `/rest/mempool/info.json`,
`/rest/mempool/contents.json`, `/rest/blockhashbyheight/<height>.json|.hex|.bin`,
`/rest/account/<address>.json`, `/rest/address/<address>/history.json?skip=N&count=M`
(with `-addressindex=1`), `/rest/validators.json`, `/rest/fl/tasks.json`,
`/rest/fl/task/<task>.json`, `/rest/fl/round/<task>/<round>.json`, `/rest/arena/tasks.json`,
`/rest/arena/task/<task>.json`, `/rest/market/models.json`, `/rest/market/model/<model>.json`.
Bad input gets 400 or 404, other methods 405, a `Host` that is not an IP literal, `localhost`
or an `-rpcallowhost` name 403, a mempool of more than 1,000 transactions 413 on
`/rest/mempool/contents.json`, and every `/rest/` path 404 while REST is off.

Also without credentials, each off by default: the built-in explorer at `/explorer/`
(`-explorer=1`, static files that read REST; doc/rest.md, "Built-in explorer") and Prometheus
metrics at `/metrics` (`-metrics=1`; doc/operator.md).  Push notifications: ZMQ and
`-blocknotify`/`-walletnotify` (doc/zmq.md).

## Requests and replies

- JSON-RPC 1.0/1.1 shape: `{"method": ..., "params": [...] or {...}, "id": ...}` answered with
  `{"result": ..., "error": null, "id": ...}` or `{"result": null, "error": {"code", "message"},
  "id": ...}`; HTTP 200 on success, 404 for -32601, 400 for -32600, 500 for other errors.
- JSON-RPC 2.0 (`"jsonrpc": "2.0"`): the reply has `result` or `error`, never both, with HTTP
  200; a request without `id` is a notification and gets no reply (HTTP 204 when alone).
- Batches: a JSON array of requests, answered by an array in the same order (HTTP 200).
- Parameters by position, or by name (an object).  Types are checked before a method runs.

## Error codes

| code | meaning |
|---|---|
| -32700 | parse error (malformed JSON, invalid UTF-8, nesting too deep) |
| -32600 | invalid request (not an object, method not a string, bad params) |
| -32601 | method not found |
| -32602 | invalid parameters |
| -32603 | internal error |
| -1 | misc error; also wrong argument count (with the usage) |
| -3 | wrong type of argument, invalid amount |
| -4 | wallet error |
| -5 | invalid address or key; block or transaction not found |
| -6 | insufficient funds |
| -8 | invalid parameter value |
| -13 | wallet locked: unlock with walletpassphrase |
| -14 | wrong passphrase |
| -18 | wallet not found or not loaded |
| -19 | several wallets loaded: name one with /wallet/<name> |
| -20 | database error |
| -22 | transaction or block decode failed |
| -25 | verify error |
| -26 | transaction rejected; the message starts with the reject reason (`bad-txns-sig`, ...) |
| -27 | transaction already in the chain |
| -35 / -36 | wallet already loaded / already exists |

## Amounts

FML as JSON numbers with 8 decimals (1 FML = 10^8 base units), written exactly.  Amount
arguments may be JSON numbers or decimal strings; strings are parsed exactly (a number whose
value needs more than 15 significant digits should be sent as a string).  Fee rates are FML
per 1,000 bytes.

## AI Arena

A task (its id is the txid of its `arenacreatetask`) runs through fixed windows: stakes,
delegations, shares and submission commits until `submit_end`; submission and set reveals
until `reveal_end`; score commits until `score_commit_end`; score reveals until
`settle_height`, at whose end it settles; Reward B vests at `vest_heights`.  A wallet method
sent outside its window is refused before anything is sent (-8, naming the heights).
Losses are Q16.16 unsigned fixed point (value = raw / 65536): arguments take the raw u32,
results show both the raw number (`..._raw`) and the exact decimal as a string.  Weights and
set values are Q16.16 signed.  The wallet keeps what a commitment hides (sets and salts,
weights and salt, losses and salt) in `wallet.dat` and sends the reveals by itself on each
new block of their window (it must be unlocked then); `arenareveal` does it at once.

## FL Alliance

A task (its id is the txid of its `flcreatetask`) takes joins until `join_end`, then runs
rounds; each round draws `proposer_slots` slots by stake (an address drawn j times carries
weight j: a proposer; the others are listed as voters), and every active participant of
the round votes, proposers too (a proposer's verdict on its own update is not counted).  A
round's windows, in order (`flgettask` and `flgetround` show them as `phase`, for the next
block): `submit` (proposers commit an update with `flsubmitupdate`), `update_reveal`
(`flrevealupdate`), `commit` (every participant reads each revealed update with
`flgetupdate` and commits one verdict per update, in the round's `revealed_order`, with
`flcommitvote`), `reveal` (`flrevealvote`); the round is
finalized at the end of the reveal window (phase `closed`; the task: `completed` or
`cancelled` at its end, `joining` before round 1).  A wallet method sent outside its window,
with the wrong number of verdicts, or from a key without the role (a vote: without an
entry in the round) is refused before
anything is sent (-8 naming the heights, or -4).  The wallet keeps what a commitment hides
(weights and salt, verdicts and salt) in `wallet.dat` until the round has closed; the reveal
methods take it from there, also after a restart.  Weights and metrics are Q16.16 signed
(integers `..._q16`, exact decimals).

## AI Market

A model (its id is the txid of its `marketpublish`) is an upload, a completed FL task's model,
a settled Arena task's winner, or a composite of published models (`average` or `pipeline`).
Its price per call is its own part (base price plus the complexity fee, times its demand
multiplier) plus each component's, recursively; `price` in every result is the one a call in
the next block pays, since multipliers change only at the end of a block.  Multipliers are
Q32 fixed point, shown as the integer (`..._q32`) and as an exact decimal string.  Prices and
amounts are FML.  A compute provider serves `predict` for the calls bought from it
(`marketcall`), each request signed by the payer (`marketsignrequest`).  A wallet method whose
transaction the state would refuse (unknown model or provider, not the owner, price above the
maximum, nothing to claim) is refused before anything is sent, naming the reject reason.

## Methods
"""


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "doc", "rpc.md")
    tmp = tempfile.mkdtemp(prefix="fml_rpcdoc_")
    node = TestNode(0, tmp, "regtest", ["-debug=0"], print)
    node.start()
    try:
        text = render(node)
    finally:
        node.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    with open(out, "w") as f:
        f.write(text)


def render(node):
    listing = node.help()
    parts = [INTRO]
    category = None
    toc = []
    bodies = []
    for line in listing.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("== "):
            category = line.strip("= ").strip()
            bodies.append("\n### %s\n" % category)
            toc.append("\n**%s:** " % category)
            continue
        name = line.split()[0]
        toc.append("[%s](#%s) " % (name, name))
        bodies.append("\n#### %s\n\n```\n%s\n```\n" % (name, node.help(name).rstrip()))
    parts.append("".join(toc).strip() + "\n")
    parts.extend(bodies)
    return "".join(parts)


if __name__ == "__main__":
    main()
