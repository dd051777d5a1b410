"""fmld's encrypted transport in Python (doc/protocol.md, "Transport v2").

An independent implementation of the node's p2p/v2.c: X25519 and
ChaCha20-Poly1305 from PyNaCl (python3-nacl), the length cipher's ChaCha20
keystream in pure Python (PyNaCl has no raw stream cipher), key schedule with
hashlib's BLAKE2b.  Run this file to check it against the vectors published
in doc/protocol.md.
"""

import hashlib
import os
import struct

import nacl.bindings as sodium
import nacl.signing

REKEY_INTERVAL = 224
LENGTH_SIZE = 3
TAG_SIZE = 16
IGNORE_BIT = 0x80
HELLO_PROOF = 0x01
HELLO_WANT = 0x02

SHORT_IDS = ["version", "verack", "ping", "pong", "getaddr", "addr", "inv",
             "getdata", "notfound", "getheaders", "headers", "block", "tx"]


def _rotl(v, c):
    return ((v << c) & 0xffffffff) | (v >> (32 - c))


def _quarter(x, a, b, c, d):
    x[a] = (x[a] + x[b]) & 0xffffffff
    x[d] = _rotl(x[d] ^ x[a], 16)
    x[c] = (x[c] + x[d]) & 0xffffffff
    x[b] = _rotl(x[b] ^ x[c], 12)
    x[a] = (x[a] + x[b]) & 0xffffffff
    x[d] = _rotl(x[d] ^ x[a], 8)
    x[c] = (x[c] + x[d]) & 0xffffffff
    x[b] = _rotl(x[b] ^ x[c], 7)


def chacha20_block(key, nonce, counter):
    """One 64-byte ChaCha20 block (RFC 8439)."""
    state = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
    state += list(struct.unpack("<8I", key))
    state += [counter] + list(struct.unpack("<3I", nonce))
    x = list(state)
    for _ in range(10):
        _quarter(x, 0, 4, 8, 12)
        _quarter(x, 1, 5, 9, 13)
        _quarter(x, 2, 6, 10, 14)
        _quarter(x, 3, 7, 11, 15)
        _quarter(x, 0, 5, 10, 15)
        _quarter(x, 1, 6, 11, 12)
        _quarter(x, 2, 7, 8, 13)
        _quarter(x, 3, 4, 9, 14)
    return struct.pack("<16I", *[(x[i] + state[i]) & 0xffffffff for i in range(16)])


def chacha20_keystream(key, nonce, n):
    out = b""
    counter = 0
    while len(out) < n:
        out += chacha20_block(key, nonce, counter)
        counter += 1
    return out[:n]


class FSChaCha20:
    """BIP324's FSChaCha20 for 3-byte chunks."""

    def __init__(self, key):
        self.key = key
        self.rekey_counter = 0
        self._period()

    def _period(self):
        nonce = struct.pack("<IQ", 0, self.rekey_counter)
        self.ks = chacha20_keystream(self.key, nonce, REKEY_INTERVAL * LENGTH_SIZE + 32)
        self.chunk = 0

    def crypt(self, data):
        assert len(data) == LENGTH_SIZE
        k = self.ks[self.chunk * 3:self.chunk * 3 + 3]
        out = bytes(a ^ b for a, b in zip(data, k))
        self.chunk += 1
        if self.chunk == REKEY_INTERVAL:
            self.key = self.ks[REKEY_INTERVAL * 3:]
            self.rekey_counter += 1
            self._period()
        return out


class FSChaCha20Poly1305:
    """BIP324's FSChaCha20Poly1305 (empty AAD)."""

    def __init__(self, key):
        self.key = key
        self.packet_counter = 0
        self.rekey_counter = 0

    def _nonce(self, packet):
        return struct.pack("<IQ", packet, self.rekey_counter)

    def _next(self):
        self.packet_counter += 1
        if self.packet_counter == REKEY_INTERVAL:
            out = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(
                b"\x00" * 32, None, self._nonce(0xffffffff), self.key)
            self.key = out[:32]
            self.packet_counter = 0
            self.rekey_counter += 1

    def encrypt(self, plain):
        out = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(
            plain, None, self._nonce(self.packet_counter), self.key)
        self._next()
        return out

    def decrypt(self, cipher):
        """The plaintext, or None when the tag is wrong."""
        try:
            out = sodium.crypto_aead_chacha20poly1305_ietf_decrypt(
                cipher, None, self._nonce(self.packet_counter), self.key)
        except Exception:
            out = None
        self._next()
        return out


def keypair(magic):
    while True:
        priv = os.urandom(32)
        pub = sodium.crypto_scalarmult_base(priv)
        if pub[:4] != magic:
            return priv, pub


class V2Cipher:
    def __init__(self, priv, our_pub, their_pub, initiator, magic):
        ecdh = sodium.crypto_scalarmult(priv, their_pub)
        if ecdh == b"\x00" * 32:
            raise ValueError("degenerate shared secret")
        ipub, rpub = (our_pub, their_pub) if initiator else (their_pub, our_pub)
        prk = hashlib.blake2b(b"FML/v2-prk" + magic + ipub + rpub + ecdh, digest_size=32).digest()

        def sub(label):
            return hashlib.blake2b(label.encode(), key=prk, digest_size=32).digest()
        mine, theirs = ("initiator", "responder") if initiator else ("responder", "initiator")
        self.send_len = FSChaCha20(sub(mine + "_L"))
        self.send_aead = FSChaCha20Poly1305(sub(mine + "_P"))
        self.recv_len = FSChaCha20(sub(theirs + "_L"))
        self.recv_aead = FSChaCha20Poly1305(sub(theirs + "_P"))
        self.session_id = sub("session_id")

    def encrypt(self, contents, ignore=False):
        n = len(contents)
        length = self.send_len.crypt(bytes([n & 0xff, (n >> 8) & 0xff, n >> 16]))
        header = bytes([IGNORE_BIT if ignore else 0])
        return length + self.send_aead.encrypt(header + contents)

    def decrypt_length(self, raw):
        b = self.recv_len.crypt(raw)
        return b[0] | b[1] << 8 | b[2] << 16

    def decrypt(self, raw):
        """(ignore, contents) of header + contents + tag, or None on a wrong tag."""
        plain = self.recv_aead.decrypt(raw)
        if plain is None:
            return None
        return bool(plain[0] & IGNORE_BIT), plain[1:]


def encode_message(command, payload):
    if command in SHORT_IDS:
        return bytes([SHORT_IDS.index(command) + 1]) + payload
    return b"\x00" + command.encode().ljust(12, b"\x00") + payload


def decode_message(contents):
    if not contents:
        raise ValueError("empty contents")
    if contents[0] == 0:
        return contents[1:13].rstrip(b"\x00").decode(), contents[13:]
    if contents[0] <= len(SHORT_IDS):
        return SHORT_IDS[contents[0] - 1], contents[1:]
    return "id%d" % contents[0], contents[1:]


def proof_message(session_id, initiator):
    return b"FML/v2-nodekey" + (b"I" if initiator else b"R") + session_id


def encode_hello(session_id, initiator, want=False, signing_key=None):
    """signing_key: a nacl.signing.SigningKey to prove, or None."""
    flags = (HELLO_WANT if want else 0) | (HELLO_PROOF if signing_key else 0)
    out = bytes([flags])
    if signing_key:
        sig = signing_key.sign(proof_message(session_id, initiator)).signature
        out += bytes(signing_key.verify_key) + sig
    return out


def decode_hello(contents):
    """(flags, nodekey or None, sig or None)."""
    flags = contents[0]
    if flags & HELLO_PROOF:
        assert len(contents) == 97
        return flags, contents[1:33], contents[33:97]
    assert len(contents) == 1
    return flags, None, None


def check_proof(nodekey, sig, session_id, initiator):
    try:
        nacl.signing.VerifyKey(nodekey).verify(proof_message(session_id, initiator), sig)
        return True
    except Exception:
        return False


# ---- Vectors (doc/protocol.md, "Transport v2", test vectors) ----

VECTOR_MAGIC = bytes.fromhex("fabf4d4c")
VECTOR_PRIV_I = bytes(range(1, 33))
VECTOR_PRIV_R = bytes(range(33, 65))


def vector():
    """The published vector: fixed private keys, the initiator's first packet
    (hello, no proof) and a version message, and the responder's view."""
    pub_i = sodium.crypto_scalarmult_base(VECTOR_PRIV_I)
    pub_r = sodium.crypto_scalarmult_base(VECTOR_PRIV_R)
    ci = V2Cipher(VECTOR_PRIV_I, pub_i, pub_r, True, VECTOR_MAGIC)
    cr = V2Cipher(VECTOR_PRIV_R, pub_r, pub_i, False, VECTOR_MAGIC)
    assert ci.session_id == cr.session_id
    hello = ci.encrypt(encode_hello(ci.session_id, True))
    # A version message (doc/protocol.md, "Messages"): protocol 1, services 1,
    # time 1700000000, to 127.0.0.1:28733 (services 1), from 0.0.0.0:0
    # (services 1), nonce 1, user agent "/fmld:vector/", height 0, genesis
    # 32 bytes of 0x11.
    v4 = b"\x00" * 10 + b"\xff\xff"
    ua = b"/fmld:vector/"
    version_payload = (struct.pack("<IQQ", 1, 1, 1700000000)
                       + struct.pack("<Q", 1) + v4 + bytes([127, 0, 0, 1]) + struct.pack("<H", 28733)
                       + struct.pack("<Q", 1) + v4 + bytes(4) + struct.pack("<H", 0)
                       + struct.pack("<Q", 1) + bytes([len(ua)]) + ua
                       + struct.pack("<Q", 0) + b"\x11" * 32)
    version = ci.encrypt(encode_message("version", version_payload))
    return {"pub_i": pub_i.hex(), "pub_r": pub_r.hex(), "session_id": ci.session_id.hex(),
            "hello": hello.hex(), "version_payload": version_payload.hex(),
            "version": version.hex()}


def _self_test():
    # The pure-Python ChaCha20 agrees with libsodium's (AEAD keystream = block 1).
    key, nonce = bytes(range(32)), bytes(range(12))
    ct = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(b"\x00" * 128, None, nonce, key)
    assert ct[:128] == chacha20_block(key, nonce, 1) + chacha20_block(key, nonce, 2)
    v = vector()
    for k, val in v.items():
        print("%s %s" % (k, val))
    # Round trip across two rekeys each way.
    pub_i = bytes.fromhex(v["pub_i"])
    pub_r = bytes.fromhex(v["pub_r"])
    ci = V2Cipher(VECTOR_PRIV_I, pub_i, pub_r, True, VECTOR_MAGIC)
    cr = V2Cipher(VECTOR_PRIV_R, pub_r, pub_i, False, VECTOR_MAGIC)
    for i in range(500):
        msg = os.urandom(i % 50)
        pkt = ci.encrypt(msg)
        n = cr.decrypt_length(pkt[:3])
        assert n == len(msg)
        assert cr.decrypt(pkt[3:]) == (False, msg)
    print("v2transport.py: OK")


if __name__ == "__main__":
    _self_test()
