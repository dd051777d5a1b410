#!/usr/bin/env python3
"""The encrypted v2 transport (doc/protocol.md, "Transport v2").

Two nodes sync blocks and a transaction over v2 through a recording TCP relay:
both show transport v2 and the same session id, and the captured bytes hold
no v1 command field and no network magic (the same capture between v1 peers
holds them: the check can fail).  The relay flips one byte: the connection
drops, nobody is banned, and the nodes reconnect with a new session.  A v1
test peer is refused by default and served by a -v2transport=0 node.  The
node key: created 0600, stable across restarts, proved on request;
-peerkey with the right key verifies, with a wrong key the connection is
dropped; test responders on pinned addresses that prove a wrong key or none
receive the node's hello and nothing else (no version), one proving the
pinned key receives the version after its hello.  Packet-level attacks:
garbage after the handshake, an oversized length, a bad command.

Needs python3-nacl: run with /usr/bin/python3 (make check does).
"""

import os
import socket

import nacl.signing
import stat
import threading
import time

from test_framework.crypto import pubkey, regtest_secret, transfer
from test_framework.framework import (FMLTestFramework, assert_equal, sync_blocks,
                                      sync_mempools, wait_until, TestFailure)
from test_framework.p2p import COMMAND_SIZE, MAGIC, P2PConnection, msg_getheaders
from test_framework import v2transport

NAMES = ["version", "verack", "headers", "getheaders", "inv", "getdata", "block", "tx",
         "ping", "pong"]


class Relay:
    """Forwards one TCP port to another on 127.0.0.1, recording both
    directions ("up": from the dialer, "down": back); flip(direction)
    flips the last byte of the next chunk going that way."""

    def __init__(self, target_port):
        self.target = target_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.captured = {"up": bytearray(), "down": bytearray()}
        self.lock = threading.Lock()
        self.to_flip = None
        self.flipped = 0
        self.socks = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.socks += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, "up"), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, "down"), daemon=True).start()

    def _pump(self, src, dst, direction):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            with self.lock:
                if self.to_flip == direction:
                    data = bytearray(data)
                    data[-1] ^= 0x01
                    self.to_flip = None
                    self.flipped += 1
                self.captured[direction] += data
            try:
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def flip(self, direction):
        with self.lock:
            self.to_flip = direction

    def all_bytes(self):
        with self.lock:
            return bytes(self.captured["up"]) + bytes(self.captured["down"])

    def close(self):
        self.closed = True
        self.listener.close()
        with self.lock:
            for s in self.socks:
                try:
                    s.close()
                except OSError:
                    pass


class Responder(P2PConnection):
    """The responder's side of v2, for a node that dials a listening socket
    on 127.0.0.1, on P2PConnection's packet reading: takes one connection,
    reads the node's key, sends its own, records (for `wait` seconds) what
    the node sends before hearing our hello, then sends the hello (proving
    signing_key's node key when given) and records the rest until the node
    closes the connection, a `version` arrives or 15 s pass.  self.packets:
    ("before"|"after", "hello" or the message's command) for every packet
    received; self.hello: the node's hello (flags, nodekey, sig)."""

    def __init__(self, genesis, signing_key, wait=1.0):
        super().__init__(0, genesis, signing_key=signing_key)
        self.wait = wait
        self.packets = []
        self.error = None
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(60)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            self.sock, _ = self.listener.accept()
            deadline = self._deadline(10)
            while len(self.buf) < 32:
                if self.closed or not self._fill(deadline):
                    raise TestFailure("no key from the node")
            their = bytes(self.buf[:32])
            del self.buf[:32]
            priv, pub = v2transport.keypair(self.magic)
            self.send_raw(pub)
            self.cipher = v2transport.V2Cipher(priv, pub, their, False, self.magic)
            self._record("before", self.wait)
            if not self.closed:
                self.send_raw(self.cipher.encrypt(v2transport.encode_hello(
                    self.cipher.session_id, False, signing_key=self.signing_key)))
                self._record("after", 15)
        except Exception as e:  # raised again by done()
            self.error = e

    def _record(self, phase, timeout):
        deadline = self._deadline(timeout)
        while True:
            had_hello = self.hello is not None
            msg = self._recv_until(deadline)
            if not had_hello and self.hello is not None:
                self.packets.append((phase, "hello"))
            if msg is None:
                return
            self.packets.append((phase, msg[0]))
            if msg[0] == "version" and phase == "after":
                return

    def done(self):
        self.thread.join(40)
        assert not self.thread.is_alive(), "the responder did not finish"
        if self.error:
            raise self.error
        return self.packets

    def close(self):
        self.listener.close()
        super().close()


def plaintext_markers(data, magic):
    """The v1 command fields and the magic found in data."""
    found = [n for n in NAMES if n.encode().ljust(COMMAND_SIZE, b"\x00") in data]
    if magic in data:
        found.append("magic")
    return found


def peer_at(node, port):
    return [p for p in node.getpeerinfo() if p["addr"] == "127.0.0.1:%d" % port]


class V2TransportTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 3
        self.extra_args = [["-connect=0", "-listen=1", "-regtestvalidator=0"],
                           ["-connect=0", "-listen=1", "-regtestvalidator=none"],
                           ["-connect=0", "-listen=1", "-regtestvalidator=none", "-v2transport=0"]]

    def run_test(self):
        self.relays = []
        self.responders = []
        try:
            self.body()
        finally:
            for r in self.relays + self.responders:
                r.close()

    def relay(self, port):
        r = Relay(port)
        self.relays.append(r)
        return r

    def body(self):
        node0, node1, node2 = self.nodes
        genesis = bytes.fromhex(node0.getblockchaininfo()["genesis"])
        magic = MAGIC["regtest"]

        self.log("The Python transport reproduces the published vector (doc/protocol.md, "
                 "tests/unit/test_v2.c)")
        vec = v2transport.vector()
        assert_equal(vec["session_id"],
                     "6838bbe0a6e5494fb7973386201daeb7a1edacbd949a51b553e7da4d22feb437")
        assert_equal(vec["version"][:16], "ff20212eebca1d8f")

        self.log("node1 -> relay -> node0 over v2; blocks and a transaction sync")
        relay = self.relay(node0.port)
        node0.generateblocks(3)
        node1.addnode("127.0.0.1:%d" % relay.port, "add")
        wait_until(lambda: any(p.get("version") for p in peer_at(node1, relay.port)),
                   what="node1 connected through the relay")
        sync_blocks([node0, node1])
        node0.generateblocks(5)
        tx = transfer(regtest_secret(3), pubkey(regtest_secret(2)), 100000000, 0, 100000, genesis)
        node0.sendrawtransaction(tx.serialize().hex())
        sync_blocks([node0, node1])
        sync_mempools([node0, node1])
        assert_equal(node1.getblockcount(), 8)
        out = peer_at(node1, relay.port)[0]
        ins = [p for p in node0.getpeerinfo() if p["inbound"]]
        assert_equal(len(ins), 1)
        assert_equal(out["transport_protocol_type"], "v2")
        assert_equal(ins[0]["transport_protocol_type"], "v2")
        assert_equal(len(out["session_id"]), 64)
        assert_equal(out["session_id"], ins[0]["session_id"])
        assert_equal(out["peerkey_verified"], False)
        first_session = out["session_id"]
        self.log("  session %s on both ends" % first_session[:16])

        captured = relay.all_bytes()
        self.log("  captured %d bytes: looking for v1 command fields %s and the magic %s" %
                 (len(captured), ",".join(NAMES), magic.hex()))
        found = plaintext_markers(captured, magic)
        if found:
            raise TestFailure("plaintext on the v2 wire: %s" % found)

        self.log("Control: the same capture between a v1 test peer and a -v2transport=0 node "
                 "shows the command fields and the magic")
        relay_v1 = self.relay(node2.port)
        with P2PConnection(relay_v1.port, genesis, v2=False).connect() as p:
            p.handshake()
            p.send("getheaders", msg_getheaders([genesis]))
            assert p.sync_with_ping(10)
        found_v1 = plaintext_markers(relay_v1.all_bytes(), magic)
        assert "version" in found_v1 and "verack" in found_v1 and "magic" in found_v1, found_v1

        self.log("The relay flips one byte node0 -> node1: the connection drops, nobody is "
                 "banned, node1 reconnects with a new session")
        relay.flip("down")
        deadline = time.time() + 20
        while relay.flipped == 0 and time.time() < deadline:
            node0.generateblocks(1)
            time.sleep(0.3)
        assert relay.flipped == 1, "nothing went through the relay to flip"
        # More traffic after the flip: should it have hit a length, the rest
        # of the stream is what exposes it.
        deadline = time.time() + 20
        while any(p["session_id"] == first_session for p in node1.getpeerinfo()):
            if time.time() > deadline:
                raise TestFailure("the tampered connection was not dropped")
            node0.generateblocks(1)
            time.sleep(0.2)
        with open(node1.debug_log, errors="replace") as f:
            assert "v2 packet fails authentication" in f.read()
        assert_equal(node0.listbanned(), [])
        assert_equal(node1.listbanned(), [])
        wait_until(lambda: any(p.get("version") and p["session_id"] != first_session
                               for p in peer_at(node1, relay.port)),
                   what="node1 reconnected", timeout=45)
        node0.generateblocks(1)
        sync_blocks([node0, node1])
        node1.addnode("127.0.0.1:%d" % relay.port, "remove")

        self.log("A v1 test peer: refused by default, served with -v2transport=0")
        with P2PConnection(node0.port, genesis, v2=False).connect() as p:
            p.send("version", b"\x00" * 10)
            assert p.wait_for_disconnect(10), "v1 peer not refused"
        with open(node0.debug_log, errors="replace") as f:
            assert "speaks the plaintext v1 transport; refused (-v2transport=0 allows it)" in f.read()
        with P2PConnection(node2.port, genesis, v2=False).connect() as p:
            v = p.handshake()
            assert_equal(v["best_height"], 0)
            assert p.sync_with_ping(10)
            mine = [x for x in node2.getpeerinfo() if x["inbound"] and x.get("version")]
            assert_equal([(x["transport_protocol_type"], x["session_id"]) for x in mine],
                         [("v1", "")])
        self.log("  and a v2 test peer cannot talk to the -v2transport=0 node")
        with P2PConnection(node2.port, genesis).connect() as p:
            assert p.cipher is None or p.wait_for_disconnect(10)
            assert p.closed

        self.log("A v2 test peer: same session id as the node shows; the node proves its key "
                 "when asked")
        key0 = node0.getnetworkinfo()["nodekey"]
        with P2PConnection(node0.port, genesis, want_proof=True).connect() as p:
            p.handshake()
            assert p.sync_with_ping(10)
            sids = [x["session_id"] for x in node0.getpeerinfo() if x["inbound"]]
            assert p.session_id in sids, (p.session_id, sids)
            flags, nodekey, sig = p.hello
            assert flags & v2transport.HELLO_PROOF
            assert_equal(nodekey.hex(), key0)
            assert v2transport.check_proof(nodekey, sig, p.cipher.session_id, False)
            assert not v2transport.check_proof(nodekey, sig, p.cipher.session_id, True)
        with P2PConnection(node0.port, genesis).connect() as p:
            p.handshake()
            assert_equal(p.hello[0] & v2transport.HELLO_PROOF, 0)  # anonymous unless asked

        self.log("An inbound peer's proof: shown when valid, the connection dropped when not")
        sk = nacl.signing.SigningKey.generate()
        with P2PConnection(node0.port, genesis, signing_key=sk).connect() as p:
            p.handshake()
            assert p.sync_with_ping(10)
            mine = [x for x in node0.getpeerinfo() if x["session_id"] == p.session_id]
            assert_equal([(x["peerkey"], x["peerkey_verified"]) for x in mine],
                         [(bytes(sk.verify_key).hex(), False)])

        def signed_as_responder(sid):
            sig = sk.sign(v2transport.proof_message(sid, False)).signature
            return bytes([v2transport.HELLO_PROOF]) + bytes(sk.verify_key) + sig
        with P2PConnection(node0.port, genesis, hello=signed_as_responder).connect() as p:
            assert p.wait_for_disconnect(10), "a reflected-role proof was accepted"
        with open(node0.debug_log, errors="replace") as f:
            assert "node key proof does not verify" in f.read()
        assert_equal(node0.listbanned(), [])

        self.log("Packet attacks: a packet of random bytes, an oversized length: dropped, no "
                 "ban; a bad command inside a valid packet: banned")
        with P2PConnection(node0.port, genesis).connect() as p:
            p.handshake()
            # A true length of 40, then random header, contents and tag.  (Random
            # bytes as the length may read as a large one: the node then waits
            # for the rest, as for a truncated v1 message.)
            p.send_raw(p.cipher.send_len.crypt(bytes([40, 0, 0])) + os.urandom(1 + 40 + 16))
            assert p.wait_for_disconnect(10)
        with P2PConnection(node0.port, genesis).connect() as p:
            p.handshake()
            # A length of 2^24 - 1: above the largest message.
            p.send_raw(p.cipher.send_len.crypt(b"\xff\xff\xff") + os.urandom(40))
            assert p.wait_for_disconnect(10)
        assert_equal(node0.listbanned(), [])
        with P2PConnection(node0.port, genesis).connect() as p:
            p.handshake()
            p.send_raw(p.cipher.encrypt(b"\x00" + b"BAD".ljust(12, b"\x00")))
            assert p.wait_for_disconnect(10)
        wait_until(lambda: len(node0.listbanned()) == 1, what="ban after a bad command")
        node0.clearbanned()

        self.log("The node key: datadir/nodekey, mode 0600, the same after a restart")
        path = os.path.join(node0.netdir, "nodekey")
        assert_equal(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        key1 = node1.getnetworkinfo()["nodekey"]
        assert key1 != key0
        node0.stop()
        # node0 pins node1's key: node1's inbound connection shows verified there.
        node0.start(["-peerkey=%s@127.0.0.1:%d" % (key1, node1.port)])
        assert_equal(node0.getnetworkinfo()["nodekey"], key0)

        self.log("-peerkey with node0's key: node1 verifies it (and proves its own)")
        node1.stop()
        node1.start(["-peerkey=%s@127.0.0.1:%d" % (key0, node0.port)])
        node1.addnode("127.0.0.1:%d" % node0.port, "onetry")
        wait_until(lambda: any(p.get("version") for p in peer_at(node1, node0.port)),
                   what="node1 connected to node0")
        out = peer_at(node1, node0.port)[0]
        assert_equal((out["peerkey_verified"], out["peerkey"]), (True, key0))
        ins = [p for p in node0.getpeerinfo() if p["inbound"]]
        assert_equal([(p["peerkey"], p["peerkey_verified"]) for p in ins], [(key1, True)])
        assert_equal(ins[0]["session_id"], out["session_id"])

        self.log("-peerkey with a wrong key: the connection is dropped, with a log line")
        wrong = bytes(v2transport.keypair(b"\x00" * 4)[1]).hex()
        node1.stop()
        node1.start(["-peerkey=%s@127.0.0.1:%d" % (wrong, node0.port)])
        node1.addnode("127.0.0.1:%d" % node0.port, "onetry")
        wait_until(lambda: "does not match -peerkey %s" % wrong in open(node1.debug_log,
                                                                        errors="replace").read(),
                   what="the pin mismatch logged")
        time.sleep(1)
        assert not any(p.get("version") for p in peer_at(node1, node0.port)), \
            "connected despite the wrong key"

        self.log("A pinned address: nothing but the hello goes out before the responder's "
                 "proof verifies (test responders, pinned to key A, prove A, B or nothing)")
        key_a = nacl.signing.SigningKey.generate()
        key_b = nacl.signing.SigningKey.generate()
        cases = [("proves another key", key_b), ("proves no key", None),
                 ("proves the pinned key", key_a)]
        resp = []
        for _, sk_resp in cases:
            r = Responder(genesis, sk_resp)
            self.responders.append(r)
            resp.append(r)
        node1.stop()
        node1.start(["-peerkey=%s@127.0.0.1:%d" % (bytes(key_a.verify_key).hex(), r.port)
                     for r in resp])
        for r in resp:
            node1.addnode("127.0.0.1:%d" % r.port, "onetry")
        for (what, sk_resp), r in zip(cases, resp):
            packets = r.done()
            self.log("  responder that %s received %s" % (what, packets))
            flags, nodekey, sig = r.hello
            assert_equal(flags, v2transport.HELLO_WANT | v2transport.HELLO_PROOF)
            assert_equal(nodekey.hex(), key1)
            assert v2transport.check_proof(nodekey, sig, r.cipher.session_id, True)
            if sk_resp is key_a:
                assert_equal(packets, [("before", "hello"), ("after", "version")])
            else:
                # A man in the middle learns no version (user agent, height,
                # services, the address it was dialled at): only our hello.
                assert_equal(packets, [("before", "hello")])
                assert r.closed, "the connection to a wrong responder was not dropped"
        wait_until(lambda: any(p.get("peerkey_verified") and p["peerkey"] ==
                               bytes(key_a.verify_key).hex()
                               for p in peer_at(node1, resp[2].port)),
                   what="the pinned responder verified")
        with open(node1.debug_log, errors="replace") as f:
            log = f.read()
        assert "node key %s does not match -peerkey" % bytes(key_b.verify_key).hex() in log
        assert "node key none does not match -peerkey" in log
        for r in resp:
            r.close()
        self.log("  a malformed -peerkey stops the node at startup")
        node1.stop()
        node1.start(["-peerkey=abcd@127.0.0.1:1"], wait=False)
        node1.process.wait(timeout=30)
        node1._closed()
        with open(os.path.join(node1.datadir, "stderr.txt"), errors="replace") as f:
            assert "Invalid -peerkey" in f.read(), "no startup error for a malformed -peerkey"
        node1.start(["-peerkey=%s@127.0.0.1:1" % key0, "-v2transport=0"], wait=False)
        node1.process.wait(timeout=30)
        node1._closed()
        with open(os.path.join(node1.datadir, "stderr.txt"), errors="replace") as f:
            assert "-peerkey needs the encrypted transport" in f.read(), "-peerkey over v1 accepted"
        self.log("  so does a damaged nodekey file (it is never replaced)")
        path1 = os.path.join(node1.netdir, "nodekey")
        with open(path1) as f:
            saved = f.read()
        with open(path1, "w") as f:
            f.write("not a key\n")
        node1.start(wait=False)
        node1.process.wait(timeout=30)
        node1._closed()
        with open(os.path.join(node1.datadir, "stderr.txt"), errors="replace") as f:
            assert "is not a node key" in f.read(), "no startup error for a damaged nodekey"
        with open(path1) as f:
            assert_equal(f.read(), "not a key\n")
        with open(path1, "w") as f:
            f.write(saved)
        node1.start()
        assert_equal(node1.getnetworkinfo()["nodekey"], key1)


if __name__ == "__main__":
    V2TransportTest().main()
