#!/usr/bin/env python3
"""doc/rpc.md must say what the node's help says: regenerate it from a
running node and compare with the committed file."""

import os

from gen_rpc_doc import render
from test_framework.framework import FMLTestFramework, TestFailure

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "doc", "rpc.md")


class RPCDocCurrentTest(FMLTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-debug=0"]]

    def run_test(self):
        self.log("Every method's help is in doc/rpc.md, word for word")
        with open(DOC) as f:
            committed = f.read()
        fresh = render(self.nodes[0])
        if fresh != committed:
            for i, (a, b) in enumerate(zip(fresh.splitlines(), committed.splitlines())):
                if a != b:
                    raise TestFailure("doc/rpc.md differs at line %d:\n  help: %r\n  doc:  %r\n"
                                      "run tests/functional/gen_rpc_doc.py" % (i + 1, a, b))
            raise TestFailure("doc/rpc.md differs in length: run tests/functional/gen_rpc_doc.py")


if __name__ == "__main__":
    RPCDocCurrentTest().main()
