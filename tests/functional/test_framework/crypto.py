"""Independent Python versions of the protocol's primitives, written from
doc/protocol.md: tagged BLAKE2b, BIP340 (after the BIP's reference code),
bech32m addresses, and the transaction encoding.  Tests use them to build
transactions the node's own wallet would never make (bad signatures, other
networks, wrong nonces) and to check the node's answers independently.

Pure Python and slow (milliseconds per signature): fine for tests.
"""

import hashlib
import struct

# --- tagged BLAKE2b-256 ---


def tagged_hash(tag, data):
    return hashlib.blake2b(data, digest_size=32, person=tag.encode().ljust(16, b"\0")).digest()


# --- secp256k1 / BIP340 ---
P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and p1[1] != p2[1]:
        return None
    if p1 == p2:
        lam = 3 * p1[0] * p1[0] * pow(2 * p1[1], P - 2, P) % P
    else:
        lam = (p2[1] - p1[1]) * pow(p2[0] - p1[0], P - 2, P) % P
    x3 = (lam * lam - p1[0] - p2[0]) % P
    return (x3, (lam * (p1[0] - x3) - p1[1]) % P)


def _mul(pt, k):
    r = None
    for i in range(256):
        if (k >> i) & 1:
            r = _add(r, pt)
        pt = _add(pt, pt)
    return r


def _sha_tag(tag, msg):
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + msg).digest()


def _b32(x):
    return x.to_bytes(32, "big")


def _int(b):
    return int.from_bytes(b, "big")


def pubkey(sec):
    """x-only public key of a 32-byte secret."""
    return _b32(_mul(G, _int(sec))[0])


def sign(msg, sec, aux=bytes(32)):
    d0 = _int(sec)
    pt = _mul(G, d0)
    d = d0 if pt[1] % 2 == 0 else N - d0
    t = bytes(a ^ b for a, b in zip(_b32(d), _sha_tag("BIP0340/aux", aux)))
    k0 = _int(_sha_tag("BIP0340/nonce", t + _b32(pt[0]) + msg)) % N
    r = _mul(G, k0)
    k = k0 if r[1] % 2 == 0 else N - k0
    e = _int(_sha_tag("BIP0340/challenge", _b32(r[0]) + _b32(pt[0]) + msg)) % N
    return _b32(r[0]) + _b32((k + e * d) % N)


# --- bech32m addresses ---
_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for k in range(5):
            chk ^= gen[k] if (b >> k) & 1 else 0
    return chk


def _to5(data):
    acc = bits = 0
    out = []
    for x in data:
        acc = acc << 8 | x
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def address(hrp, pub):
    data = [0] + _to5(pub)
    values = [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp] + data
    pm = _polymod(values + [0] * 6) ^ 0x2bc830a3
    return hrp + "1" + "".join(_CHARSET[d] for d in data + [(pm >> 5 * (5 - k)) & 31 for k in range(6)])


def address_to_pubkey(addr):
    hrp, _, rest = addr.rpartition("1")
    vals = [_CHARSET.index(c) for c in rest[:-6]]
    acc = bits = 0
    out = bytearray()
    for v in vals[1:]:
        acc = acc << 5 | v
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xff)
    return bytes(out)


# --- encodings ---


def compact_size(n):
    if n < 0xfd:
        return struct.pack("<B", n)
    if n <= 0xffff:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xffffffff:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


TX_TRANSFER = 1


def regtest_secret(i):
    """The well-known regtest validator key i."""
    return tagged_hash("FML/keyseed", ("fml regtest validator %d" % i).encode())


class Tx:
    """A transaction envelope; payload is raw bytes."""

    def __init__(self, sender, nonce, fee, tx_type=TX_TRANSFER, payload=b"", version=1):
        self.version = version
        self.type = tx_type
        self.sender = sender
        self.nonce = nonce
        self.fee = fee
        self.payload = payload
        self.sig = bytes(64)

    def unsigned(self):
        return (struct.pack("<BB", self.version, self.type) + self.sender +
                struct.pack("<QQ", self.nonce, self.fee) + compact_size(len(self.payload)) + self.payload)

    def serialize(self):
        return self.unsigned() + self.sig

    def sighash(self, genesis):
        return tagged_hash("FML/txsig", genesis + self.unsigned())

    def sign(self, sec, genesis):
        self.sig = sign(self.sighash(genesis), sec)
        return self

    def txid(self):
        return tagged_hash("FML/txid", self.serialize()).hex()

    def hex(self):
        return self.serialize().hex()


def transfer(sec, to_pub, amount, nonce, fee, genesis):
    """A signed TRANSFER of `amount` base units."""
    payload = to_pub + struct.pack("<Q", amount)
    return Tx(pubkey(sec), nonce, fee, TX_TRANSFER, payload).sign(sec, genesis)
