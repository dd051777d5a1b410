#!/usr/bin/env python3
"""Writes consensus/test_genesis.inc, the built-in test network's genesis as C,
from share/genesis/test.json (doc/launch.md, doc/protocol.md §11).  Run it
after replacing the file; tests/unit/test_genesisfile checks that the two
give the same genesis hash.

    python3 scripts/gen_test_genesis.py [share/genesis/test.json [consensus/test_genesis.inc]]
"""

import json
import os
import sys

COIN = 100000000
# The parameters a genesis file may set that are amounts (FML), the rest are integers.
AMOUNTS = {"min_validator_stake", "min_delegation", "block_reward", "market_min_provider_stake"}


def units(v):
    if isinstance(v, int):
        return v * COIN
    whole, _, frac = v.partition(".")
    if len(frac) > 8 or not whole.isdigit() or (frac and not frac.isdigit()):
        raise SystemExit("bad amount %r" % v)
    return int(whole) * COIN + int((frac + "00000000")[:8])


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "share/genesis/test.json")
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "consensus/test_genesis.inc")
    with open(src) as f:
        g = json.load(f)
    if g["name"] != "test":
        raise SystemExit("%s: not the test network's genesis (name %r)" % (src, g["name"]))
    out = ["/* The built-in test network's genesis: generated from share/genesis/test.json",
           " * by scripts/gen_test_genesis.py; do not edit.  tests/unit/test_genesisfile",
           " * checks that this and the file give the same genesis hash. */",
           "",
           "#define TEST_GENESIS_TIME UINT64_C(%d)" % g["genesis_time"],
           "",
           "/* The file's \"params\", over the defaults of a genesis file. */",
           "static void test_genesis_params(struct chain_params *p)",
           "{"]
    for name, v in sorted(g.get("params", {}).items()):
        val = units(v) if name in AMOUNTS else int(v)
        out.append("    p->%s = UINT64_C(%d);" % (name, val) if name in AMOUNTS or val > 0xffffffff
                   else "    p->%s = %d;" % (name, val))
    out += ["}", "",
            "static const struct {",
            "    const char *pubkey;",
            "    uint64_t amount;",
            "} test_genesis_allocs[] = {"]
    for a in g.get("allocations", []):
        out.append("    {\"%s\", UINT64_C(%d)}," % (a["pubkey"], units(a["amount"])))
    out += ["};", "",
            "static const struct {",
            "    const char *pubkey;",
            "    uint64_t stake;",
            "    uint16_t commission_bps;",
            "    const char *randao_commit;",
            "} test_genesis_validators[] = {"]
    for v in g["validators"]:
        out.append("    {\"%s\", UINT64_C(%d), %d,\n     \"%s\"}," %
                   (v["pubkey"], units(v["stake"]), v.get("commission_bps", 0), v["randao_commit"]))
    out.append("};")
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
