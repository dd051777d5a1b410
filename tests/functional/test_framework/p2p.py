"""A test peer that speaks fmld's wire protocol (doc/protocol.md, "P2P messages").

It connects to a node on 127.0.0.1, performs the version/verack handshake,
sends any message -- well formed, or deliberately broken: wrong magic, wrong
checksum, lying length, non-canonical command, raw garbage -- and receives and
decodes what the node sends back.  Hostile-peer tests drive a node with it:

    peer = P2PConnection(node.port, genesis=bytes.fromhex(node.getblockhash(0)))
    peer.connect()
    peer.handshake()
    peer.send_raw(b"garbage")
    assert peer.wait_for_disconnect()

By default it speaks the encrypted v2 transport (doc/protocol.md, "Transport
v2"; test_framework/v2transport.py, which needs python3-nacl: run the tests
with /usr/bin/python3), as the node does by default; P2PConnection(...,
v2=False) speaks the plaintext v1 framing, which a node accepts only with
-v2transport=0.  Over v2 the breakage keywords of send() (bad checksum,
lying length, raw command) have no meaning and are refused.

Run this file to check its encoders against the vectors published in
doc/protocol.md.
"""

import hashlib
import os
import socket
import struct
import time

# Network magics (doc/protocol.md, section 11).
MAGIC = {
    "main": bytes.fromhex("f94d4cd1"),
    "test": bytes.fromhex("0b464d4c"),
    "regtest": bytes.fromhex("fabf4d4c"),
}

# Waits are multiplied by FML_TIMEOUT_FACTOR, as in framework.py.
TIMEOUT_FACTOR = max(1.0, float(os.environ.get("FML_TIMEOUT_FACTOR", "1") or 1))

PROTOCOL_VERSION = 1
NODE_NETWORK = 1

HEADER_SIZE = 24
COMMAND_SIZE = 12
BLOCK_HEADER_SIZE = 252

MAX_USER_AGENT = 256
MAX_ADDR = 1000
MAX_INV = 50000
MAX_LOCATOR = 101
MAX_HEADERS = 2000
MAX_UNKNOWN_PAYLOAD = 65536

INV_TX = 1
INV_BLOCK = 2

BAN_THRESHOLD = 100
# Misbehaviour points (doc/protocol.md, "Misbehaviour").
SCORE_BAD_MAGIC = 100
SCORE_BAD_COMMAND = 100
SCORE_OVERSIZE = 100
SCORE_BAD_CHECKSUM = 20
SCORE_BAD_ENCODING = 20
SCORE_UNEXPECTED = 10
SCORE_INVALID = 100
SCORE_NONCONTINUOUS = 20
SCORE_UNCONNECTING = 20
SCORE_FLOOD = 20


def tagged_hash(tag, data):
    """BLAKE2b-256 with the tag as personalization (doc/protocol.md, section 2)."""
    return hashlib.blake2b(data, digest_size=32, person=tag.encode()).digest()


def checksum(payload):
    return tagged_hash("FML/p2p-check", payload)[:4]


def header_hash(raw_header):
    """The block hash of a 252-byte header."""
    return tagged_hash("FML/block", raw_header[:BLOCK_HEADER_SIZE])


def txid(raw_tx):
    return tagged_hash("FML/txid", raw_tx)


# ---- Encoding helpers ----

def ser_compact(n):
    if n < 0xfd:
        return bytes([n])
    if n <= 0xffff:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xffffffff:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


class DecodeError(Exception):
    pass


class Reader:
    """Reads a payload front to back; every read checks the bytes are there."""

    def __init__(self, data):
        self.data = bytes(data)
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise DecodeError("truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u16(self):
        return struct.unpack("<H", self.take(2))[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def compact(self, maximum):
        tag = self.take(1)[0]
        if tag < 0xfd:
            n = tag
        elif tag == 0xfd:
            n = self.u16()
            if n < 0xfd:
                raise DecodeError("non-canonical CompactSize")
        elif tag == 0xfe:
            n = self.u32()
            if n <= 0xffff:
                raise DecodeError("non-canonical CompactSize")
        else:
            n = self.u64()
            if n <= 0xffffffff:
                raise DecodeError("non-canonical CompactSize")
        if n > maximum:
            raise DecodeError("count %d above %d" % (n, maximum))
        return n

    def done(self):
        if self.pos != len(self.data):
            raise DecodeError("%d trailing bytes" % (len(self.data) - self.pos))


def ser_ip(host):
    """IPv4 as ::ffff:a.b.c.d, IPv6 as is."""
    try:
        return b"\x00" * 10 + b"\xff\xff" + socket.inet_pton(socket.AF_INET, host)
    except OSError:
        return socket.inet_pton(socket.AF_INET6, host)


def deser_ip(raw):
    if raw[:12] == b"\x00" * 10 + b"\xff\xff":
        return socket.inet_ntop(socket.AF_INET, raw[12:])
    return socket.inet_ntop(socket.AF_INET6, raw)


def ser_netaddr(host="0.0.0.0", port=0, services=0):
    return struct.pack("<Q", services) + ser_ip(host) + struct.pack("<H", port)


def deser_netaddr(r):
    services = r.u64()
    host = deser_ip(r.take(16))
    return {"services": services, "host": host, "port": r.u16()}


# ---- Framing ----

def frame(magic, command, payload=b"", *, bad_checksum=False, length=None, raw_command=None):
    """A whole message.  The keyword arguments break it on purpose: a flipped
    checksum, a length that lies, or raw command bytes (12 of them)."""
    cmd = raw_command if raw_command is not None else command.encode().ljust(COMMAND_SIZE, b"\x00")
    assert len(cmd) == COMMAND_SIZE
    sum4 = checksum(payload)
    if bad_checksum:
        sum4 = bytes([sum4[0] ^ 1]) + sum4[1:]
    n = len(payload) if length is None else length
    return magic + cmd + struct.pack("<I", n) + sum4 + payload


class FrameError(Exception):
    pass


def parse_frame(buf, magic):
    """(command, payload, used) for a whole message at the start of buf, or
    None when more bytes are needed.  Raises FrameError on a bad frame."""
    if buf[:min(len(buf), 4)] != magic[:min(len(buf), 4)]:
        raise FrameError("bad magic")
    if len(buf) < HEADER_SIZE:
        return None
    raw = buf[4:16]
    name = raw.rstrip(b"\x00")
    if not name or b"\x00" in name or not all(c in b"abcdefghijklmnopqrstuvwxyz0123456789" for c in name):
        raise FrameError("bad command %r" % raw)
    length = struct.unpack("<I", buf[16:20])[0]
    if len(buf) < HEADER_SIZE + length:
        return None
    payload = bytes(buf[HEADER_SIZE:HEADER_SIZE + length])
    if checksum(payload) != bytes(buf[20:24]):
        raise FrameError("bad checksum")
    return name.decode(), payload, HEADER_SIZE + length


# ---- Message payloads ----

def msg_version(genesis, nonce=None, best_height=0, user_agent="/fml-test-peer:0.1/",
                services=NODE_NETWORK, version=PROTOCOL_VERSION, timestamp=None,
                recv=("127.0.0.1", 0), from_port=0):
    if nonce is None:
        nonce = struct.unpack("<Q", os.urandom(8))[0]
    ua = user_agent.encode()
    return (struct.pack("<IQQ", version, services, int(time.time()) if timestamp is None else timestamp)
            + ser_netaddr(recv[0], recv[1], NODE_NETWORK)
            + ser_netaddr("0.0.0.0", from_port, services)
            + struct.pack("<Q", nonce) + ser_compact(len(ua)) + ua
            + struct.pack("<Q", best_height) + genesis)


def parse_version(payload):
    r = Reader(payload)
    m = {"version": r.u32(), "services": r.u64(), "timestamp": r.u64(),
         "addr_recv": deser_netaddr(r), "addr_from": deser_netaddr(r), "nonce": r.u64()}
    n = r.compact(MAX_USER_AGENT)
    m["user_agent"] = r.take(n).decode("ascii")
    m["best_height"] = r.u64()
    m["genesis"] = r.take(32)
    r.done()
    return m


def msg_nonce(nonce):
    """The payload of ping and pong."""
    return struct.pack("<Q", nonce)


def parse_nonce(payload):
    r = Reader(payload)
    n = r.u64()
    r.done()
    return n


def msg_addr(entries):
    """entries: (time, services, host, port) tuples."""
    out = ser_compact(len(entries))
    for t, services, host, port in entries:
        out += struct.pack("<Q", t) + ser_netaddr(host, port, services)
    return out


def parse_addr(payload):
    r = Reader(payload)
    out = []
    for _ in range(r.compact(MAX_ADDR)):
        t = r.u64()
        a = deser_netaddr(r)
        a["time"] = t
        out.append(a)
    r.done()
    return out


def msg_inv(entries):
    """entries: (type, hash) pairs; also the payload of getdata and notfound."""
    return ser_compact(len(entries)) + b"".join(struct.pack("<I", t) + h for t, h in entries)


def parse_inv(payload):
    r = Reader(payload)
    out = []
    for _ in range(r.compact(MAX_INV)):
        t = r.u32()
        if t not in (INV_TX, INV_BLOCK):
            raise DecodeError("unknown inventory type %d" % t)
        out.append((t, r.take(32)))
    r.done()
    return out


def msg_getheaders(locator, stop=b"\x00" * 32):
    return ser_compact(len(locator)) + b"".join(locator) + stop


def parse_getheaders(payload):
    r = Reader(payload)
    locator = [r.take(32) for _ in range(r.compact(MAX_LOCATOR))]
    stop = r.take(32)
    r.done()
    return locator, stop


def msg_headers(raw_headers):
    return ser_compact(len(raw_headers)) + b"".join(raw_headers)


def parse_headers(payload):
    """A list of raw 252-byte headers."""
    r = Reader(payload)
    out = [r.take(BLOCK_HEADER_SIZE) for _ in range(r.compact(MAX_HEADERS))]
    r.done()
    return out


def decode_header(raw):
    """The fields of a 252-byte header (doc/protocol.md, section 6.1)."""
    r = Reader(raw)
    h = {"version": r.u32(), "height": r.u64(), "prev": r.take(32), "slot": r.u64(),
         "time": r.u64(), "tx_root": r.take(32), "state_root": r.take(32),
         "proposer": r.take(32), "randao_reveal": r.take(32), "sig": r.take(64)}
    r.done()
    h["hash"] = header_hash(raw)
    return h


# ---- Connection ----

class P2PConnection:
    """One TCP connection to a node, with a receive buffer.

    Messages the test did not wait for are kept in self.received (command,
    payload) in arrival order.  Pings from the node are answered
    automatically unless auto_pong is False."""

    def __init__(self, port, genesis, host="127.0.0.1", chain="regtest", magic=None, timeout=30,
                 v2=True, want_proof=False, signing_key=None, hello=None):
        self.host = host
        self.port = port
        self.genesis = genesis
        self.magic = magic if magic is not None else MAGIC[chain]
        self.timeout = timeout * TIMEOUT_FACTOR
        self.sock = None
        self.buf = bytearray()
        self.received = []
        self.closed = False
        self.auto_pong = True
        self.peer_version = None
        # v2: want_proof asks the node to prove its node key in its hello;
        # signing_key (a nacl.signing.SigningKey) proves ours.
        self.v2 = v2
        self.want_proof = want_proof
        self.signing_key = signing_key
        self.hello_override = hello  # f(session_id) -> our hello's contents (to break it)
        self.cipher = None
        self.hello = None          # the node's hello: (flags, nodekey, sig)
        self._v2_len = None

    def connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.v2:
            self._v2_handshake()
        return self

    def _v2_handshake(self):
        """Our key, the node's key, then our hello.  A node that refuses
        (a -v2transport=0 node reads our key as a bad v1 magic) closes the
        connection: self.closed, no exception."""
        from test_framework import v2transport
        priv, pub = v2transport.keypair(self.magic)
        if not self.send_raw(pub):
            return
        deadline = self._deadline(None)
        while len(self.buf) < 32:
            if self.closed or not self._fill(deadline):
                return
        their = bytes(self.buf[:32])
        del self.buf[:32]
        self.cipher = v2transport.V2Cipher(priv, pub, their, True, self.magic)
        if self.hello_override:
            hello = self.hello_override(self.cipher.session_id)
        else:
            hello = v2transport.encode_hello(self.cipher.session_id, True, want=self.want_proof,
                                             signing_key=self.signing_key)
        self.send_raw(self.cipher.encrypt(hello))

    @property
    def session_id(self):
        return self.cipher.session_id.hex() if self.cipher else ""

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = None
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- sending --

    def send_raw(self, data):
        """Sends bytes as they are.  False when the node has closed the
        connection (the send fails)."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            self.closed = True
            return False

    def send(self, command, payload=b"", **breakage):
        """Frames and sends a message; see frame() for breakage (v1 only)."""
        if self.v2:
            if breakage:
                raise ValueError("v1 framing breakage over v2: %r" % sorted(breakage))
            if self.cipher is None:
                return False
            from test_framework import v2transport
            return self.send_raw(self.cipher.encrypt(v2transport.encode_message(command, payload)))
        return self.send_raw(frame(self.magic, command, payload, **breakage))

    def _parse(self):
        """(command, payload) of the next whole message in the buffer, or
        None.  Raises FrameError on a bad frame or packet."""
        if not self.v2:
            parsed = parse_frame(self.buf, self.magic)
            if not parsed:
                return None
            command, payload, used = parsed
            del self.buf[:used]
            return command, payload
        from test_framework import v2transport
        while self.cipher is not None:
            if self._v2_len is None:
                if len(self.buf) < 3:
                    return None
                self._v2_len = self.cipher.decrypt_length(bytes(self.buf[:3]))
                del self.buf[:3]
            need = 1 + self._v2_len + 16
            if len(self.buf) < need:
                return None
            raw = bytes(self.buf[:need])
            del self.buf[:need]
            self._v2_len = None
            out = self.cipher.decrypt(raw)
            if out is None:
                raise FrameError("v2 packet fails authentication")
            ignore, contents = out
            if ignore:
                continue
            if self.hello is None:
                self.hello = v2transport.decode_hello(contents)
                continue
            return v2transport.decode_message(contents)
        return None

    # -- receiving --

    def _fill(self, deadline):
        """Reads what is there (waiting until deadline); False on timeout."""
        remaining = deadline - time.time()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            return False
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return False
        self.buf += data
        return True

    def recv_message(self, timeout=None):
        """The next (command, payload) from the node, or None on timeout or
        when the connection is closed.  Raises FrameError when the node sends
        a bad frame."""
        return self._recv_until(self._deadline(timeout))

    def _deadline(self, timeout):
        return time.time() + (self.timeout if timeout is None else timeout * TIMEOUT_FACTOR)

    def _recv_until(self, deadline):
        while True:
            parsed = self._parse()
            if parsed:
                command, payload = parsed
                if command == "ping" and self.auto_pong:
                    self.send("pong", payload)
                return command, payload
            if self.closed or not self._fill(deadline):
                return None

    def wait_for(self, command, timeout=None, predicate=None):
        """The payload of the next `command` message (for which predicate,
        if given, holds), keeping the others in self.received; None on
        timeout or disconnection."""
        for i, (cmd, payload) in enumerate(self.received):
            if cmd == command and (predicate is None or predicate(payload)):
                del self.received[i]
                return payload
        deadline = self._deadline(timeout)
        while time.time() < deadline:
            msg = self._recv_until(deadline)
            if msg is None:
                return None
            if msg[0] == command and (predicate is None or predicate(msg[1])):
                return msg[1]
            self.received.append(msg)
        return None

    def wait_for_disconnect(self, timeout=None):
        """True when the node closes the connection within the timeout."""
        deadline = self._deadline(timeout)
        while not self.closed and time.time() < deadline:
            if not self._fill(deadline):
                if self.closed:
                    break
            else:
                self.buf.clear()
        return self.closed

    # -- conversations --

    def handshake(self, best_height=0, user_agent="/fml-test-peer:0.1/", nonce=None, timeout=None):
        """version -> version + verack -> verack.  Returns the node's version
        fields (also in self.peer_version)."""
        self.send("version", msg_version(self.genesis, nonce=nonce, best_height=best_height,
                                         user_agent=user_agent, recv=(self.host, self.port)))
        payload = self.wait_for("version", timeout)
        if payload is None:
            raise AssertionError("no version from the node")
        self.peer_version = parse_version(payload)
        if self.wait_for("verack", timeout) is None:
            raise AssertionError("no verack from the node")
        self.send("verack")
        return self.peer_version

    def sync_with_ping(self, timeout=None):
        """Sends a ping and waits for its pong: the node has handled every
        message sent before.  False when the connection was closed."""
        nonce = struct.unpack("<Q", os.urandom(8))[0] | 1
        if not self.send("ping", msg_nonce(nonce)):
            return False
        return self.wait_for("pong", timeout, predicate=lambda p: p == msg_nonce(nonce)) is not None

    def get_headers(self, locator, stop=b"\x00" * 32, timeout=None):
        """Asks for headers; returns the raw headers of the answer."""
        self.send("getheaders", msg_getheaders(locator, stop))
        payload = self.wait_for("headers", timeout)
        if payload is None:
            raise AssertionError("no headers from the node")
        return parse_headers(payload)

    def get_data(self, entries, timeout=None):
        """Sends getdata and collects the answers: a dict hash -> raw bytes for
        what came, and the list of notfound entries."""
        self.send("getdata", msg_inv(entries))
        want = {h for _, h in entries}
        got, missing = {}, []
        deadline = self._deadline(timeout)
        while want and time.time() < deadline:
            msg = self._recv_until(deadline)
            if msg is None:
                break
            command, payload = msg
            if command == "block":
                h = header_hash(payload)
            elif command == "tx":
                h = txid(payload)
            elif command == "notfound":
                for entry in parse_inv(payload):
                    missing.append(entry)
                    want.discard(entry[1])
                continue
            else:
                self.received.append(msg)
                continue
            got[h] = payload
            want.discard(h)
        return got, missing


def _self_test():
    regtest = MAGIC["regtest"]
    assert frame(regtest, "verack").hex() == "fabf4d4c76657261636b0000000000000000000078d4b405"
    assert frame(regtest, "ping", msg_nonce(1)).hex() == \
        "fabf4d4c70696e67000000000000000008000000ee85d73f0100000000000000"
    cmd, payload, used = parse_frame(frame(regtest, "inv", msg_inv([(INV_TX, b"\xab" * 32)])), regtest)
    assert cmd == "inv" and used == HEADER_SIZE + 37 and parse_inv(payload) == [(INV_TX, b"\xab" * 32)]
    v = parse_version(msg_version(b"\x01" * 32, nonce=7, best_height=5, user_agent="/x/"))
    assert v["nonce"] == 7 and v["best_height"] == 5 and v["user_agent"] == "/x/"
    assert len(msg_version(b"\x00" * 32, user_agent="a" * 256)) == 379
    for bad in (b"\xfd\x01\x00", ser_compact(MAX_INV + 1)):
        try:
            Reader(bad).compact(MAX_INV)
            raise AssertionError("accepted %r" % bad)
        except DecodeError:
            pass
    print("p2p.py: framing vectors OK")


if __name__ == "__main__":
    _self_test()
