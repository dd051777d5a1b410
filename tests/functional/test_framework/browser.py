"""A headless Chromium driven through the DevTools protocol, stdlib only.

Debian's /usr/bin/chromium is started with --remote-debugging-pipe: the
browser reads commands on its fd 3 and writes answers and events on its fd
4, each message a JSON object followed by a NUL byte.  No port is opened and
no network is reachable: every host name but 127.0.0.1 resolves to nothing.

    with Browser(tmpdir) as b:
        page = b.new_page(1280, 900)
        page.goto("http://127.0.0.1:28732/explorer/")
        page.wait_for("document.querySelector('h1') !== null")
        text = page.evaluate("document.body.innerText")
        page.screenshot("/tmp/x.png")

The browser (and every process it started, one process group) is killed
when the with-block ends, however it ends, and at interpreter exit."""

import atexit
import base64
import fcntl
import json
import os
import queue
import signal
import subprocess
import threading
import time

CHROMIUM = "/usr/bin/chromium"


class BrowserError(Exception):
    pass


def chromium_path():
    """The Chromium binary, or a BrowserError saying how to get it."""
    path = os.environ.get("FML_CHROMIUM", CHROMIUM)
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise BrowserError("%s is missing: install Debian's chromium package "
                           "(scripts/deps.sh does: apt-get install chromium)" % path)
    return path


class Browser:
    def __init__(self, tmpdir, log=print):
        self.tmpdir = tmpdir
        self.log = log
        self.proc = None
        self.next_id = 0
        self.replies = {}
        self.cond = threading.Condition()
        self.events = []   # (sessionId, method, params)
        self.closed = False
        self.reader = None
        self.to_browser = None

    # -- lifecycle --

    def start(self):
        path = chromium_path()
        profile = os.path.join(self.tmpdir, "chromium-profile")
        os.makedirs(profile, exist_ok=True)
        args = [
            path, "--headless=new", "--disable-gpu", "--remote-debugging-pipe",
            "--user-data-dir=" + profile, "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--metrics-recording-only",
            "--disable-dev-shm-usage", "--mute-audio", "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--proxy-server=direct://", "--proxy-bypass-list=*",
            "about:blank",
        ]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        cmd_r, cmd_w = os.pipe()     # we write commands, the browser reads fd 3
        resp_r, resp_w = os.pipe()   # the browser writes fd 4, we read

        def child_fds():
            a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(resp_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.stderr_path = os.path.join(self.tmpdir, "chromium.log")
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                         preexec_fn=child_fds, pass_fds=(3, 4), close_fds=True,
                                         start_new_session=True)
        os.close(cmd_r)
        os.close(resp_w)
        atexit.register(self.kill)
        self.to_browser = os.fdopen(cmd_w, "wb", buffering=0)
        self.from_browser = os.fdopen(resp_r, "rb", buffering=0)
        self.reader = threading.Thread(target=self._read_loop, daemon=True)
        self.reader.start()
        version = self.send("Browser.getVersion", timeout=30)
        self.log("browser: %s (pid %d)" % (version.get("product"), self.proc.pid))
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        if self.proc is None or self.proc.poll() is not None:
            self.kill()
            return
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def kill(self):
        """Kills the browser's process group (it started them all)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except Exception:
            pass
        for f in (self.to_browser,):
            try:
                if f:
                    f.close()
            except OSError:
                pass
        self.to_browser = None

    # -- protocol --

    def _read_loop(self):
        buf = b""
        while True:
            try:
                chunk = self.from_browser.read(65536)
            except (OSError, ValueError):
                chunk = b""
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                try:
                    msg = json.loads(raw)
                except ValueError:
                    continue
                with self.cond:
                    if "id" in msg:
                        self.replies[msg["id"]] = msg
                    else:
                        self.events.append((msg.get("sessionId"), msg.get("method"),
                                            msg.get("params", {})))
                    self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def send(self, method, params=None, session=None, timeout=30):
        with self.cond:
            self.next_id += 1
            mid = self.next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        if self.to_browser is None:
            raise BrowserError("browser not running")
        self.to_browser.write(json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        with self.cond:
            while mid not in self.replies:
                left = deadline - time.time()
                if self.closed:
                    raise BrowserError("browser exited during %s (see %s)" % (method, self.stderr_path))
                if left <= 0:
                    raise BrowserError("no answer to %s within %d s" % (method, timeout))
                self.cond.wait(left)
            reply = self.replies.pop(mid)
        if "error" in reply:
            raise BrowserError("%s: %s" % (method, reply["error"].get("message")))
        return reply.get("result", {})

    def new_page(self, width=1280, height=900):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.setup(width, height)
        return page


class Page:
    def __init__(self, browser, session):
        self.b = browser
        self.session = session

    def send(self, method, params=None, timeout=30):
        return self.b.send(method, params, self.session, timeout)

    def setup(self, width, height):
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Log.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def problems(self):
        """Uncaught exceptions, console errors and log errors (CSP
        violations, failed loads) the page reported so far."""
        out = []
        with self.b.cond:
            events = list(self.b.events)
        for sid, method, p in events:
            if sid != self.session:
                continue
            if method == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append("exception: %s %s" % (d.get("text"), (d.get("exception") or {}).get("description", "")))
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.%s: %s" % (p.get("type"), " ".join(
                    str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))
            elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                e = p["entry"]
                out.append("log: %s %s" % (e.get("text"), e.get("url", "")))
        return out

    def goto(self, url):
        r = self.send("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise BrowserError("navigating to %s: %s" % (url, r["errorText"]))

    def evaluate(self, expression, timeout=30):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True}, timeout)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise BrowserError("evaluating %r: %s %s" % (expression[:80], d.get("text"),
                               (d.get("exception") or {}).get("description", "")))
        return r.get("result", {}).get("value")

    def wait_for(self, expression, timeout=20, what=None):
        """Polls expression until it is truthy; returns its value."""
        deadline = time.time() + timeout
        last = None
        while True:
            try:
                last = self.evaluate(expression)
            except BrowserError:
                last = None
            if last:
                return last
            if time.time() > deadline:
                raise BrowserError("timed out after %d s waiting for %s" % (timeout, what or expression))
            time.sleep(0.1)

    def text(self, selector):
        return self.evaluate("(() => { const e = document.querySelector(%s); "
                             "return e ? e.textContent : null; })()" % json.dumps(selector))

    def screenshot(self, path):
        """A PNG of the whole page (not only the viewport)."""
        m = self.send("Page.getLayoutMetrics")
        size = m.get("cssContentSize") or m.get("contentSize")
        clip = {"x": 0, "y": 0, "width": max(1, size["width"]),
                "height": max(1, min(size["height"], 8000)), "scale": 1}
        r = self.send("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                 "captureBeyondViewport": True}, timeout=60)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        return path
