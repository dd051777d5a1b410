"""A local regtest network for the demos: the four genesis validators, each
on its own fmld proposing in real time, plus an observer node, connected in a
ring on 127.0.0.1.  Every process started is stopped by stop(), also when the
demo fails."""

import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "functional"))
os.environ.setdefault("FML_BUILD_DIR", os.path.abspath(os.path.join(HERE, "..")))

from test_framework.framework import TestNode, connect_nodes, wait_until  # noqa: E402


class Network:
    def __init__(self, validators=4, observer=True, keep=False, log=print, node_args=None):
        """node_args: {index: [extra fmld options]} (e.g. -provider=1 for one
        validator's node)."""
        node_args = node_args or {}
        self.tmp = tempfile.mkdtemp(prefix="fml_demo_")
        self.keep = keep
        self.log = log
        self.nodes = []
        for i in range(validators):
            self.nodes.append(TestNode(i, self.tmp, "regtest",
                                       ["-connect=0", "-listen=1", "-produceblocks=1",
                                        "-regtestvalidator=%d" % i, "-debug=0"] +
                                       list(node_args.get(i, [])), log))
        if observer:
            self.nodes.append(TestNode(validators, self.tmp, "regtest",
                                       ["-connect=0", "-listen=1", "-regtestvalidator=none",
                                        "-debug=0"] + list(node_args.get(validators, [])), log))
        # The built-in explorer (doc/rest.md), with address histories, on the
        # observer (else on the last validator).
        self.nodes[-1].extra_args += ["-rest=1", "-explorer=1", "-addressindex=1"]

    @property
    def validators(self):
        return [n for n in self.nodes if "-regtestvalidator=none" not in n.extra_args]

    @property
    def observer(self):
        return self.nodes[-1]

    def start(self):
        for n in self.nodes:
            n.start(wait=False)
        for n in self.nodes:
            n.wait_for_rpc()
        for a, b in zip(self.nodes, self.nodes[1:] + self.nodes[:1]):
            connect_nodes(a, b)
        self.log("Started %d nodes in %s (RPC ports %s)" %
                 (len(self.nodes), self.tmp, ", ".join(str(n.rpcport) for n in self.nodes)))
        self.log("Explorer: http://127.0.0.1:%d/explorer/ - open it while the demo runs to follow "
                 "the blocks, an address's history and the FL rounds live" % self.nodes[-1].rpcport)

    def wait_for_height(self, height, timeout=120):
        wait_until(lambda: min(n.getblockcount() for n in self.nodes) >= height, timeout=timeout,
                   interval=0.2, what="height %d on every node" % height)

    def stop(self):
        for n in self.nodes:
            try:
                n.stop()
            except Exception:
                if n.process is not None:
                    n.process.kill()
                    n.process.wait()
        if self.keep:
            self.log("Data kept in %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def wait(seconds):
    time.sleep(seconds)
