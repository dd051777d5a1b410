#!/usr/bin/env python3
"""The operator's documents keep up with the programs:

- every option that fmld, fml-cli and fml-agent print in -help has an entry
  in its man page (doc/man/<program>.1), whose title names the program's
  version;
- every option of fmld -help is in the example contrib/fml.conf, as a
  commented "#name=value" line (a template such as -zmqpub<type>hwm: one
  instance), and every such line names an option fmld accepts (fmld
  -name=value -version exits 0; an unknown name fails);
- contrib/fml.conf has no active line, so that fmld reads it as is
  (feature_operations.py starts a node with it);
- the man pages have no troff warnings (when man is installed).

Run by `make check` with the built programs (FML_BUILD_DIR)."""

import os
import re
import shutil
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("FML_BUILD_DIR", SRC)
# Options that only make sense on the command line.
NOT_IN_CONF = {"?", "h", "help", "version", "conf"}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def help_options(program):
    """The option names in the option column of `program -help`."""
    out = subprocess.run([os.path.join(BUILD, program), "-help"], capture_output=True,
                         text=True, timeout=30)
    if out.returncode != 0:
        fail("%s -help exited with %d" % (program, out.returncode))
        return set()
    names = set()
    for line in out.stdout.splitlines():
        stripped = line.strip()
        if not stripped.startswith("-"):
            continue
        column = re.split(r"\s{2,}", stripped)[0]
        # A template such as -zmqpub<type>hwm stays whole.
        names.update(re.findall(r"(?<![\w-])-([a-z?][a-z0-9-]*(?:<[a-z]+>[a-z0-9-]*)?)", column))
    if len(names) < 10:
        fail("%s -help: only %d options found" % (program, len(names)))
    return names


def man_text(path):
    with open(path) as f:
        text = f.read()
    text = text.replace("\\-", "-").replace("\\&", "")
    return re.sub(r"\\f[BIRP]", "", text)


def check_man(program):
    path = os.path.join(SRC, "doc", "man", program + ".1")
    if not os.path.exists(path):
        fail("no man page %s" % path)
        return
    text = man_text(path)
    out = subprocess.run([os.path.join(BUILD, program), "-version"], capture_output=True,
                         text=True, timeout=30)
    version = out.stdout.split()[-1] if out.stdout.split() else "?"
    if not re.search(r'^\.TH \S+ 1 "[^"]*" "%s %s"' % (re.escape(program), re.escape(version)),
                     text, re.M):
        fail("doc/man/%s.1: its .TH line does not name version %s" % (program, version))
    for name in sorted(help_options(program)):
        if not re.search(r"(?<![\w-])-%s(?![a-z0-9-])" % re.escape(name), text):
            fail("%s -help has -%s, doc/man/%s.1 does not" % (program, name, program))
    if shutil.which("man"):
        res = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True,
                             env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0"),
                             timeout=60)
        if res.returncode != 0 or res.stderr.strip():
            fail("man %s: %s" % (path, res.stderr.strip()[:500]))


def conf_pattern(name):
    """The commented line of an option in fml.conf; a template's <...> part
    stands for any name (one example line is enough)."""
    return r"^#\s*%s=" % re.sub(r"\\?<[a-z]+\\?>", "[a-z]+", re.escape(name))


def check_conf():
    path = os.path.join(SRC, "contrib", "fml.conf")
    with open(path) as f:
        text = f.read()
    for name in sorted(help_options("fmld") - NOT_IN_CONF):
        if not re.search(conf_pattern(name), text, re.M):
            fail("fmld -help has -%s, contrib/fml.conf has no #%s= line" % (name, name))
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            fail("contrib/fml.conf line %d is not a comment: %r" % (n, line))
    fmld = os.path.join(BUILD, "fmld")
    for name, val in sorted(set(re.findall(r"^#\s*([a-z][a-z0-9-]*)=(\S*)", text, re.M))):
        res = subprocess.run([fmld, "-%s=%s" % (name, val), "-version"], capture_output=True,
                             text=True, timeout=30)
        if res.returncode != 0:
            fail("contrib/fml.conf names %s=, which fmld does not accept: %s" %
                 (name, res.stderr.strip()))


def main():
    for program in ("fmld", "fml-cli", "fml-agent"):
        check_man(program)
    check_conf()
    if failures:
        print("%d problem(s)" % len(failures))
        return 1
    print("operator docs: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
