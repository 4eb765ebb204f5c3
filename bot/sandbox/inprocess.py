"""HTTP between WSGI apps in one process, with no socket: a transport adapter for ``requests``.

The bot's real mattermostdriver (through the bot's own ``requests.Session``) and the stand-in's own
caller of integrations (slash commands, button clicks, see :mod:`.outgoing`) send real ``requests``
requests; :class:`WSGIAdapter` turns each into the WSGI environ Werkzeug's development server would
build from the same bytes (``werkzeug.serving.WSGIRequestHandler.make_environ``), calls the app in
the calling thread, and hands back a real ``requests.Response``. Everything above the socket is the
same code as over loopback: the driver, the bot's error handling, the stand-in's routes, its
:class:`~.server.Transport` (faults, recording) and the contract check of every exchange.

Time is virtual by default. Where :class:`~.server.Transport` would wait (``World.latency_s``, a
fault's ``delay_s``), it calls ``environ["sandbox.sleep"]``; here that only adds the wait up, and a
total longer than the request's read timeout raises ``requests.ReadTimeout`` once the app has
answered: the server still did the work, as Mattermost does when a client stops waiting. A dropped
connection raises ``requests.ConnectionError``. ``Network(real_time=True)`` sleeps for real instead
(for tests that need a slow Mattermost the bot's own clock notices, e.g. the reply budget).

What only real sockets can show (keep-alive reuse, a connection cut mid-request, gunicorn, SIGTERM,
bytes no client library would send) stays with :class:`~.server.SandboxServer` and
:class:`~.background.BackgroundServer`.
"""
from __future__ import annotations

import io
import itertools
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http.client import RemoteDisconnected
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse
from urllib3.exceptions import ProtocolError, ReadTimeoutError
from urllib3.util import Timeout

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

SLEEP_KEY = "sandbox.sleep"
"""The environ key of the wait function :class:`~.server.Transport` calls instead of ``time.sleep``."""
DROPPED_KEY = "sandbox.connection_dropped"
"""Set in the environ by :class:`~.server.Transport` when it drops the connection."""
HEADERS_KEY = "sandbox.request_headers"
"""The request headers as sent, in the case they were sent (the dev server keeps them there too)."""


def _encoding_dance(text: str) -> str:
    """PEP 3333's "bytes as latin-1" str, as Werkzeug's ``_wsgi_encoding_dance``."""
    return text.encode("utf-8").decode("latin-1")


def _body_bytes(body: Any) -> tuple[bytes, bool]:
    """The request body as bytes, and whether it was sent without a length (an iterable: chunked)."""
    if body is None:
        return b"", False
    if isinstance(body, str):
        return body.encode("utf-8"), False
    if isinstance(body, (bytes, bytearray)):
        return bytes(body), False
    if hasattr(body, "read"):
        return body.read(), False
    return b"".join(part.encode("utf-8") if isinstance(part, str) else bytes(part) for part in body), True


def _read_timeout(timeout: Any) -> float | None:
    """The read timeout of ``requests``' ``timeout`` argument (a number, a (connect, read) pair, or urllib3's)."""
    if isinstance(timeout, tuple):
        return timeout[1]
    if isinstance(timeout, Timeout):
        return timeout.read_timeout if isinstance(timeout.read_timeout, (int, float)) else None
    return timeout


class WSGIAdapter(HTTPAdapter):
    """Send ``requests``' requests to ``app`` in this thread; ``extra_environ`` is added to every environ."""

    def __init__(self, app: WSGIApp, *, extra_environ: dict[str, Any] | None = None, real_time: bool = False) -> None:
        super().__init__(max_retries=0)
        self.app = app
        self.extra_environ = dict(extra_environ or {})
        self.real_time = real_time
        self.serving = True  # False once the app is taken off the network: "connection refused"

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        """Call the app with ``request``; raise as ``requests`` would for a dropped connection or a timeout."""
        if not self.serving:
            raise requests.ConnectionError(ConnectionRefusedError(111, "Connection refused"), request=request)
        waited = [0.0]

        def wait(seconds: float) -> None:
            waited[0] += seconds
            if self.real_time:
                time.sleep(seconds)

        environ = self._environ(request, wait)
        status, headers, body = call_wsgi(self.app, environ)
        if environ.get(DROPPED_KEY):
            raise requests.ConnectionError(
                ProtocolError("Connection aborted.", RemoteDisconnected("Remote end closed connection without response")),
                request=request)
        read_timeout = _read_timeout(timeout)
        if read_timeout is not None and waited[0] > read_timeout:
            raise requests.ReadTimeout(
                ReadTimeoutError(None, request.url, f"Read timed out. (read timeout={read_timeout})"),  # type: ignore[arg-type]
                request=request)
        code, _, reason = status.partition(" ")
        raw = HTTPResponse(body=io.BytesIO(body), headers=headers, status=int(code), reason=reason,
                           preload_content=False, decode_content=False, request_method=request.method,
                           request_url=request.url)
        return self.build_response(request, raw)

    def _environ(self, request: requests.PreparedRequest, wait: Callable[[float], None]) -> dict[str, Any]:
        """What ``WSGIRequestHandler.make_environ`` builds for these bytes on the wire."""
        url = urlsplit(request.url or "")
        target = url.path or "/"
        if url.query:
            target += "?" + url.query
        data, chunked = _body_bytes(request.body)
        sent = {"Host": url.netloc, **dict(request.headers)}
        if chunked:
            sent.pop("Content-Length", None)
            sent["Transfer-Encoding"] = "chunked"
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0), "wsgi.url_scheme": url.scheme or "http", "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
            "SERVER_SOFTWARE": "in-process", "REQUEST_METHOD": request.method or "GET", "SCRIPT_NAME": "",
            "PATH_INFO": _encoding_dance(unquote(url.path or "/")), "QUERY_STRING": _encoding_dance(url.query),
            "REQUEST_URI": _encoding_dance(target), "RAW_URI": _encoding_dance(target),
            "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": 0, "SERVER_NAME": url.hostname or "",
            "SERVER_PORT": str(url.port or (443 if url.scheme == "https" else 80)), "SERVER_PROTOCOL": "HTTP/1.1",
            HEADERS_KEY: sent, SLEEP_KEY: wait,
        }
        for name, value in sent.items():
            if "_" in name:
                continue
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            environ[key] = value
        if chunked:
            environ["wsgi.input_terminated"] = True
        environ.update(self.extra_environ)
        return environ


def call_wsgi(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run the WSGI app to the end: its status line, headers and whole body (502 when it never started an
    answer, as when the connection was dropped)."""
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        started["status"], started["headers"] = status, list(headers)
        return lambda _data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if "status" not in started:  # no answer at all (the connection was dropped)
        return "502 Bad Gateway", [], b""
    if environ["REQUEST_METHOD"] == "HEAD":
        body = b""
    return started["status"], started["headers"], body


class Network:
    """Named WSGI apps, reachable from ``requests`` sessions made by :meth:`session` (and only those).

    Each app gets a base URL ``http://<name>.inprocess`` that no DNS resolves, so a request that
    escapes the network fails loudly instead of reaching something real.
    """

    _numbers = itertools.count(1)

    def __init__(self, *, real_time: bool = False) -> None:
        self.real_time = real_time
        self._adapters: dict[str, WSGIAdapter] = {}
        self._lock = threading.Lock()

    def address(self, name: str) -> str:
        """A base URL for a new app named ``name`` (never handed out twice, so two apps never share one)."""
        return f"http://{name}-{next(self._numbers)}.inprocess"

    def serve(self, base_url: str, app: WSGIApp, extra_environ: dict[str, Any] | None = None) -> None:
        """Make ``app`` reachable at ``base_url`` from sessions mounted from now on."""
        with self._lock:
            self._adapters[base_url] = WSGIAdapter(app, extra_environ=extra_environ, real_time=self.real_time)

    def unserve(self, base_url: str) -> None:
        """Make the app at ``base_url`` unreachable: connections to it are refused, as to a stopped server."""
        with self._lock:
            adapter = self._adapters.pop(base_url, None)
        if adapter is not None:
            adapter.serving = False

    def mount_on(self, session: requests.Session) -> requests.Session:
        """Route ``session``'s requests for the network's apps to them; anything else goes out as usual."""
        with self._lock:
            adapters = dict(self._adapters)
        for base_url, adapter in adapters.items():
            session.mount(base_url + "/", adapter)
            session.mount(base_url + ":80/", adapter)  # as mattermostdriver spells it: the port always given
        return session

    def session(self) -> requests.Session:
        """A ``requests.Session`` that reaches the network's apps, and ignores proxies from the environment."""
        session = requests.Session()
        session.trust_env = False
        return self.mount_on(session)


class InProcessServer:
    """A WSGI app served on a :class:`Network` rather than a socket: the same interface as
    :class:`~.background.BackgroundServer` (``url``, ``start``, ``stop``, a context manager), plus
    :attr:`http`, a session that reaches it."""

    def __init__(self, network: Network, app: WSGIApp, name: str = "app",
                 extra_environ: dict[str, Any] | None = None) -> None:
        self._network = network
        self._app = app
        self._extra_environ = extra_environ
        self._url = network.address(name)

    @classmethod
    def knowing_its_url(cls, network: Network, build: Callable[[str], WSGIApp], name: str = "app") -> InProcessServer:
        """A server for the app ``build(url)`` returns: for apps that must know their own URL (e.g. for buttons)."""
        server = cls(network, lambda environ, start_response: [], name)
        server._app = build(server.url)
        return server

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self._app(environ, start_response)

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://bot-7.inprocess``."""
        return self._url

    @property
    def http(self) -> requests.Session:
        """A ``requests.Session`` reaching this app (and the rest of the network)."""
        return self._network.session()

    def start(self) -> str:
        """Make the app reachable; returns the base URL."""
        self._network.serve(self._url, self._dispatch, self._extra_environ)
        return self._url

    def stop(self) -> None:
        """Make the app unreachable."""
        self._network.unserve(self._url)

    def __enter__(self) -> InProcessServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
