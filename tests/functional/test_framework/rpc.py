"""A small JSON-RPC client over one keep-alive HTTP connection, in the style
of bitcoind's AuthServiceProxy: node.rpc.getblock(hash, 2).  Amounts come back
as Decimal so they compare exactly."""

import base64
import http.client
import itertools
import json
from decimal import Decimal


class JSONRPCException(Exception):
    def __init__(self, error, http_status=None):
        self.error = error
        self.code = error.get("code") if isinstance(error, dict) else None
        self.message = error.get("message", "") if isinstance(error, dict) else str(error)
        self.http_status = http_status
        super().__init__("%s (%s)" % (self.message, self.code))


def cookie_auth(path):
    with open(path) as f:
        user, password = f.read().split(":", 1)
    return user, password


def _encode(obj):
    if isinstance(obj, Decimal):
        return str(obj)
    raise TypeError(repr(obj))


class RPCProxy:
    def __init__(self, host, port, user, password, timeout=120, path="/"):
        self.host = host
        self.port = port
        self.path = path
        self.timeout = timeout
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.conn = None
        self.ids = itertools.count(1)

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def post(self, body, headers=None):
        """Sends a raw body; returns (status, parsed JSON or None, raw bytes)."""
        hdrs = {"Authorization": self.auth, "Content-Type": "application/json"}
        hdrs.update(headers or {})
        for attempt in range(2):
            conn = self._connection()
            try:
                conn.request("POST", self.path, body, hdrs)
                resp = conn.getresponse()
                raw = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed a kept-alive connection: reconnect once.
                self.conn = None
                if attempt:
                    raise
            except Exception:
                # Anything else leaves the connection unusable: start afresh next time.
                self.conn = None
                raise
        parsed = None
        if raw:
            try:
                parsed = json.loads(raw, parse_float=Decimal)
            except ValueError:
                parsed = None
        return resp.status, parsed, raw

    def call(self, method, *args, **kwargs):
        params = kwargs if kwargs else list(args)
        body = json.dumps({"version": "1.1", "method": method, "params": params,
                           "id": next(self.ids)}, default=_encode)
        status, reply, raw = self.post(body)
        if reply is None:
            raise JSONRPCException({"code": -342, "message": "non-JSON HTTP response %d: %r" % (status, raw[:200])}, status)
        if reply.get("error") is not None:
            raise JSONRPCException(reply["error"], status)
        return reply["result"]

    def wallet(self, name):
        """A proxy for the /wallet/NAME endpoint."""
        user, password = base64.b64decode(self.auth.split()[1]).decode().split(":", 1)
        return RPCProxy(self.host, self.port, user, password, self.timeout, "/wallet/" + name)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)
