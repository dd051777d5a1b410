#!/usr/bin/env python3
"""ZMQ notifications (-zmqpubhashblock, -zmqpubhashtx, -zmqpubrawblock,
-zmqpubrawtx) received by a stock python3-zmq SUB subscriber.

The subscriber runs under /usr/bin/python3 (Debian's python3-zmq; the
python3 running this test may not see it): if that interpreter cannot
import zmq the test fails, it is not skipped.

Checked: every message has three frames (topic, body, 4-byte little-endian
sequence); the sequence of each notifier counts from 0 without a gap;
hashblock is every block connected to the active chain, in order, reorgs
included (invalidateblock, then new blocks), with the hash as getblockhash
prints it; hashtx is every transaction accepted to the mempool (txids of
sendtoaddress, as RPC prints them) and every transaction of each connected
block, in publishing order; rawblock is getblock verbosity 0 and rawtx
getrawtransaction of the same hashes; getzmqnotifications lists the
notifiers with their high-water marks; an address that cannot be bound (in
use, malformed) or an empty one stops the start with a clear error; without
the options nothing is published; -help lists the options; a transaction relayed by a peer and a
block received from it are published as the node's own are."""

import json
import os
import queue
import subprocess
import threading
import time

from test_framework.framework import (FMLD, FMLTestFramework, TestFailure, assert_equal,
                                      connect_nodes, free_port, sync_blocks, wait_until)

SYSTEM_PYTHON = "/usr/bin/python3"

SUBSCRIBER = r"""
import json, sys, time
import zmq
from zmq.utils.monitor import recv_monitor_message
ctx = zmq.Context()
sub = ctx.socket(zmq.SUB)
sub.setsockopt(zmq.RCVHWM, 0)
for topic in (b"hashblock", b"hashtx", b"rawblock", b"rawtx"):
    sub.setsockopt(zmq.SUBSCRIBE, topic)
mon = sub.get_monitor_socket(zmq.EVENT_CONNECTED)
for address in sys.argv[1:]:
    sub.connect(address)
connected = 0
while connected < len(sys.argv) - 1:
    if recv_monitor_message(mon)["event"] == zmq.EVENT_CONNECTED:
        connected += 1
time.sleep(1.0)  # the subscriptions reach the publisher
print(json.dumps({"ready": True}), flush=True)
while True:
    frames = sub.recv_multipart()
    print(json.dumps({"frames": [f.hex() for f in frames]}), flush=True)
"""


class ZMQTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.addr_hash = "tcp://127.0.0.1:%d" % free_port()
        self.addr_raw = "tcp://127.0.0.1:%d" % free_port()
        self.extra_args = [["-zmqpubhashblock=" + self.addr_hash,
                            "-zmqpubhashtx=" + self.addr_hash,
                            "-zmqpubrawblock=" + self.addr_raw,
                            "-zmqpubrawtx=" + self.addr_raw,
                            "-zmqpubrawtxhwm=5000"],
                           ["-regtestvalidator=1"]]

    def check_system_zmq(self):
        if not os.path.exists(SYSTEM_PYTHON):
            raise TestFailure("%s not found: the ZMQ subscriber needs Debian's python3 with "
                              "python3-zmq (scripts/deps.sh)" % SYSTEM_PYTHON)
        r = subprocess.run([SYSTEM_PYTHON, "-c", "import zmq; print(zmq.zmq_version())"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise TestFailure("%s cannot import zmq (install python3-zmq, scripts/deps.sh): %s" %
                              (SYSTEM_PYTHON, r.stderr.strip()))
        self.log("subscriber: %s with libzmq %s" % (SYSTEM_PYTHON, r.stdout.strip()))

    def start_subscriber(self, *addresses):
        proc = subprocess.Popen([SYSTEM_PYTHON, "-c", SUBSCRIBER] + list(addresses),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = queue.Queue()

        def reader():  # this subscriber's lines only, into this subscriber's queue
            for line in proc.stdout:
                lines.put(json.loads(line))
            lines.put(None)
        threading.Thread(target=reader, daemon=True).start()
        self.sub, self.lines, self.messages = proc, lines, []
        try:
            first = lines.get(timeout=60)
        except queue.Empty:
            first = "nothing within 60 s"
        if first != {"ready": True}:
            self.subscriber_failed("subscriber did not start (%s)" % first)

    def subscriber_failed(self, what):
        """Stops the subscriber and fails with what it wrote to stderr."""
        proc, self.sub = self.sub, None
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        raise TestFailure("%s: %s" % (what, proc.stderr.read()))

    def stop_subscriber(self):
        if self.sub is not None and self.sub.poll() is None:
            self.sub.kill()
            self.sub.wait()
        self.sub = None

    def collect(self, topic, count, timeout=60):
        """Messages received so far, waiting until topic has count of them."""
        deadline = time.time() + timeout
        while sum(1 for m in self.messages if m[0] == topic) < count:
            left = deadline - time.time()
            if left <= 0:
                raise TestFailure("only %d %s messages after %ds, expected %d" %
                                  (sum(1 for m in self.messages if m[0] == topic), topic,
                                   timeout, count))
            try:
                item = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if item is None:
                self.subscriber_failed("subscriber exited")
            frames = [bytes.fromhex(f) for f in item["frames"]]
            if len(frames) != 3:
                raise TestFailure("message of %d frames, expected 3: %r" % (len(frames), frames))
            if len(frames[2]) != 4:
                raise TestFailure("sequence frame of %d bytes" % len(frames[2]))
            self.messages.append((frames[0].decode(), frames[1],
                                  int.from_bytes(frames[2], "little")))
        return self.messages

    def drain(self, quiet=1.5):
        """Takes whatever else arrives until quiet seconds pass without a message."""
        while True:
            try:
                item = self.lines.get(timeout=quiet)
            except queue.Empty:
                return
            if item is None:
                self.subscriber_failed("subscriber exited")
            frames = [bytes.fromhex(f) for f in item["frames"]]
            self.messages.append((frames[0].decode(), frames[1],
                                  int.from_bytes(frames[2], "little")))

    def of(self, topic):
        return [(body, seq) for t, body, seq in self.messages if t == topic]

    def run_test(self):
        self.sub = None
        self.check_system_zmq()
        try:
            self.main_test()
        finally:
            self.stop_subscriber()

    def main_test(self):
        node = self.nodes[0]
        self.log("fmld -help lists the options under Notifications")
        text = subprocess.run([FMLD, "-help"], capture_output=True, text=True, timeout=60).stdout
        group = text.split("\nNotifications:\n", 1)[1].split("\n\n", 1)[0]
        for opt in ("-zmqpubhashblock=", "-zmqpubhashtx=", "-zmqpubrawblock=", "-zmqpubrawtx=",
                    "-zmqpub<type>hwm=", "-blocknotify=", "-walletnotify="):
            if "\n  " + opt not in "\n" + group:
                raise TestFailure("%s missing from the Notifications group of -help" % opt)
        self.log("getzmqnotifications lists the four notifiers")
        assert_equal(node.getzmqnotifications(), [
            {"type": "pubhashblock", "address": self.addr_hash, "hwm": 1000},
            {"type": "pubhashtx", "address": self.addr_hash, "hwm": 1000},
            {"type": "pubrawblock", "address": self.addr_raw, "hwm": 1000},
            {"type": "pubrawtx", "address": self.addr_raw, "hwm": 5000},
        ])

        self.start_subscriber(self.addr_hash, self.addr_raw)
        self.log("blocks and transactions")
        connected = []  # block hashes in the order they were connected
        expected_hashtx = []  # hashtx in publishing order (the hash socket's order)

        start = node.getblockcount()
        node.generateblocks(3)
        for h in range(start + 1, start + 4):
            connected.append(node.getblockhash(h))
        addr = node.getnewaddress()
        t1 = node.sendtoaddress(addr, 5)
        t2 = node.sendtoaddress(addr, 7)
        mempool_txids = [t1, t2]
        node.generateblocks(1)
        connected.append(node.getbestblockhash())
        assert t1 in node.getblock(connected[-1])["tx"], "the block holds the sent transaction"

        self.log("a reorganization: invalidateblock, then new blocks")
        old_tip = connected[-1]
        node.invalidateblock(old_tip)
        node.generateblocks(2)
        tip = node.getblockcount()
        connected += [node.getblockhash(tip - 1), node.getblockhash(tip)]
        assert old_tip not in connected[-2:], "the new branch has other blocks"
        assert_equal(connected[-1], node.getbestblockhash())

        self.collect("hashblock", len(connected))
        self.collect("rawblock", len(connected))
        self.drain()

        self.log("hashblock: every connected block, hashes as RPC prints them")
        hb = self.of("hashblock")
        assert_equal([seq for _, seq in hb], list(range(len(hb))))
        assert_equal([body.hex() for body, _ in hb], connected)
        rb = self.of("rawblock")
        assert_equal([seq for _, seq in rb], list(range(len(rb))))
        for (body, _), h in zip(rb, connected):
            assert_equal(body.hex(), node.getblock(h, 0))

        self.log("hashtx: mempool acceptances and every transaction of each connected block")
        # Publishing order on the hash socket: each block's transactions,
        # then the block; sent transactions when the mempool takes them;
        # after the reorganization the old tip's transactions come back to
        # the mempool before the new blocks.
        stream = [(t, body.hex()) for t, body, _ in self.messages if t in ("hashblock", "hashtx")]
        expected = []
        for i, h in enumerate(connected):
            if i == 3:
                expected += [("hashtx", t) for t in mempool_txids]
            if i == 4:
                back = [t for t in node.getblock(old_tip)["tx"]]
                expected += [("hashtx", t) for t in back]
            expected += [("hashtx", t) for t in node.getblock(h)["tx"]]
            expected.append(("hashblock", h))
        assert_equal(stream, expected)
        ht = self.of("hashtx")
        assert_equal([seq for _, seq in ht], list(range(len(ht))))
        assert t1 in [b.hex() for b, _ in ht] and t2 in [b.hex() for b, _ in ht]
        rt = self.of("rawtx")
        assert_equal([seq for _, seq in rt], list(range(len(rt))))
        assert_equal(len(rt), len(ht))
        for (raw, _), (txid, _) in zip(rt, ht):
            assert_equal(raw.hex(), node.getrawtransaction(txid.hex()))
        self.log("%d hashblock, %d hashtx messages, sequences 0..n-1" % (len(hb), len(ht)))

        self.log("a later subscriber sees the running sequence, not a restart")
        self.stop_subscriber()
        self.start_subscriber(self.addr_hash)
        node.generateblocks(1)
        self.collect("hashblock", 1)
        got = self.of("hashblock")
        assert_equal(got, [(bytes.fromhex(node.getbestblockhash()), len(hb))])
        seq_tx = len(ht)

        self.log("a transaction and a block from a peer are published too")
        peer = self.nodes[1]
        connect_nodes(peer, node)
        sync_blocks([node, peer])
        relayed = peer.sendtoaddress(node.getnewaddress(), 2)
        wait_until(lambda: relayed in node.getrawmempool(), what="the relayed transaction")
        self.collect("hashtx", 1)
        block = peer.generateblocks(1)[0]
        sync_blocks([node, peer])
        self.collect("hashblock", 2)
        self.drain()
        want = [("hashtx", relayed, seq_tx)]
        want += [("hashtx", t, seq_tx + 1 + i) for i, t in enumerate(node.getblock(block)["tx"])]
        want += [("hashblock", block, len(hb) + 1)]
        assert_equal([(t, b.hex(), q) for t, b, q in self.messages][1:], want)
        self.stop_subscriber()

        self.log("bind failures and bad options stop the start with a clear error")
        bad = [
            (["-zmqpubhashblock=" + self.addr_hash], "Cannot bind ZMQ notifications to " + self.addr_hash),
            (["-zmqpubhashtx=tcp://127.0.0.1:notaport"], "Cannot bind ZMQ notifications to tcp://127.0.0.1:notaport"),
            (["-zmqpubrawtx=nonsense"], "Cannot bind ZMQ notifications to nonsense"),
            (["-zmqpubhashtx="], "-zmqpubhashtx needs an address"),
            (["-zmqpubhashtx=tcp://127.0.0.1:%d" % free_port(), "-zmqpubhashtxhwm=-1"], "zmqpubhashtxhwm"),
        ]
        other = self.add_node()
        for args, message in bad:
            other.start(extra_args=args, wait=False)
            try:
                other.wait_for_rpc()
            except TestFailure:
                pass
            else:
                raise TestFailure("node started with %s" % args)
            err = other.read_stderr()
            if message not in err:
                raise TestFailure("start with %s: %r does not say %r" % (args, err, message))
            other.stderr.truncate(0)

        self.log("without the options: nothing is published")
        self.nodes[1].stop()
        node.stop()
        node.extra_args = []
        node.start()
        assert_equal(node.getzmqnotifications(), [])
        self.start_subscriber_nowait(self.addr_hash)

    def start_subscriber_nowait(self, address):
        """A subscriber to an address nobody binds gets nothing."""
        sub = subprocess.Popen([SYSTEM_PYTHON, "-c",
                                "import zmq,sys\n"
                                "s=zmq.Context().socket(zmq.SUB)\n"
                                "s.setsockopt(zmq.SUBSCRIBE,b'')\n"
                                "s.setsockopt(zmq.RCVTIMEO,3000)\n"
                                "s.connect(sys.argv[1])\n"
                                "try:\n s.recv_multipart(); print('got')\n"
                                "except zmq.Again: print('none')\n", address],
                               stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            self.nodes[0].generateblocks(1)
            out, _ = sub.communicate(timeout=30)
        finally:
            if sub.poll() is None:
                sub.kill()
                sub.wait()
        assert_equal(out.strip(), "none")


if __name__ == "__main__":
    ZMQTest().main()
