"""Raw blocks for tests: split a block into its header and transactions,
damage a transaction's signature, and seal it again (Merkle root, header
signature) as a proposer whose key the test knows would, so that the block
is well-formed and only the damaged signature is wrong (doc/protocol.md,
"Blocks").  Standard library and test_framework.crypto only.
"""

import struct

from test_framework.crypto import pubkey, regtest_secret, sign, tagged_hash

HEADER_SIZE = 252
SIGNED_SIZE = 188  # the header bytes before its signature
TX_FIXED = 1 + 1 + 32 + 8 + 8  # version, type, sender, nonce, fee
SIG_SIZE = 64


def _compact(data, off):
    first = data[off]
    if first < 0xfd:
        return first, off + 1
    size = {0xfd: 2, 0xfe: 4, 0xff: 8}[first]
    return int.from_bytes(data[off + 1:off + 1 + size], "little"), off + 1 + size


def compact(n):
    if n < 0xfd:
        return bytes([n])
    if n <= 0xffff:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xffffffff:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def split_block(raw):
    """(header bytes, [raw transactions])."""
    header = raw[:HEADER_SIZE]
    n, off = _compact(raw, HEADER_SIZE)
    txs = []
    for _ in range(n):
        plen, p = _compact(raw, off + TX_FIXED)
        end = p + plen + SIG_SIZE
        txs.append(raw[off:end])
        off = end
    if off != len(raw):
        raise ValueError("trailing bytes after the transactions")
    return header, txs


def join_block(header, txs):
    return bytes(header) + compact(len(txs)) + b"".join(txs)


def merkle_root(leaves):
    if not leaves:
        return bytes(32)
    level = list(leaves)
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level), 2):
            if i + 1 == len(level):
                nxt.append(level[i])
            else:
                nxt.append(tagged_hash("FML/merkle", level[i] + level[i + 1]))
        level = nxt
    return level[0]


def proposer_secret(header):
    """The regtest validator key that proposed this header."""
    for i in range(4):
        sec = regtest_secret(i)
        if pubkey(sec) == header[124:156]:
            return sec
    raise ValueError("the proposer is not a regtest validator")


def damage_sig(tx):
    """The transaction with one bit of its signature flipped."""
    t = bytearray(tx)
    t[-SIG_SIZE + 5] ^= 0x10
    return bytes(t)


def seal(header, txs, genesis, sec):
    """The header with the transactions' Merkle root, signed again with sec."""
    h = bytearray(header)
    h[60:92] = merkle_root([tagged_hash("FML/txid", t) for t in txs])
    h[SIGNED_SIZE:HEADER_SIZE] = sign(tagged_hash("FML/blocksig", genesis + bytes(h[:SIGNED_SIZE])), sec)
    return bytes(h)


def with_bad_sigs(raw, positions, genesis):
    """The block with the signatures of the transactions at positions
    damaged, sealed again by its proposer: well-formed, invalid only by
    those signatures."""
    header, txs = split_block(raw)
    txs = [damage_sig(t) if i in positions else t for i, t in enumerate(txs)]
    return join_block(seal(header, txs, genesis, proposer_secret(header)), txs)


def block_file_records(path):
    """(offset of the block bytes, size) of each record of a block file."""
    with open(path, "rb") as f:
        data = f.read()
    out, off = [], 0
    while off + 8 <= len(data):
        size = struct.unpack_from("<I", data, off + 4)[0]
        out.append((off + 8, size))
        off += 8 + size
    return out
