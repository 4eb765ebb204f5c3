"""The stand-in as a WSGI app (built once per process, serving whichever :class:`World` each request
carries in ``environ["sandbox.world"]``), wrapped in latency, faults and traffic recording; and as a
real HTTP server on loopback for one world.

In process (:mod:`.inprocess`) the environ also carries the function to wait with (virtual time) and
a flag for a dropped connection; on a socket, waits are real and a drop really closes the socket.
"""
from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import WSGIRequestHandler

from .api import WORLD_KEY, create_api
from .background import BackgroundServer
from .exchanges import DEPARTURE_HEADER, Exchange
from .faults import FaultRule
from .inprocess import DROPPED_KEY, HEADERS_KEY, SLEEP_KEY, InProcessServer, call_wsgi
from .wire import (
    JSON_CONTENT_TYPE,
    AppError,
    go_json,
    permission_error,
    session_expired,
)
from .world import World

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_HTTP_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                 413: "Request Entity Too Large", 429: "Too Many Requests", 500: "Internal Server Error",
                 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}

# What Mattermost itself answers for a status, when a fault rule gives no body.
_FAULT_ERRORS = {
    401: session_expired(),
    403: permission_error(),
    404: AppError("api.context.404.app_error", 404),
    413: AppError("api.context.request_body_too_large.app_error", 413),
    503: AppError("api.context.server_busy.app_error", 503),
}


class _RequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without the access log, keeping request headers in the case they arrived in."""

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        environ[HEADERS_KEY] = headers
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log: the exchanges are the record (errors are still logged)."""


def _fault_response(rule: FaultRule, request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """The status, headers and body a fault rule answers with (the rule's own headers win)."""
    status, headers, body = _fault_answer(rule, request_id)
    overridden = {name.lower() for name in rule.headers}
    headers = [(name, value) for name, value in headers if name.lower() not in overridden]
    return status, headers + list(rule.headers.items()), body


def _fault_answer(rule: FaultRule, request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
    status = rule.status if rule.status is not None else 200
    if rule.body is not None:
        return status, [("Content-Type", rule.content_type)], rule.body
    if status == 429:  # Mattermost's rate limiter (throttled, then http.Error) answers in plain text
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff"),
                   ("X-Ratelimit-Limit", "10"), ("X-Ratelimit-Remaining", "0"), ("X-Ratelimit-Reset", "1"),
                   ("Retry-After", "1")]
        return status, headers, b"limit exceeded\n"
    error = _FAULT_ERRORS.get(status, AppError("sandbox.injected_fault.app_error", status))
    return status, [("Content-Type", JSON_CONTENT_TYPE), ("X-Request-Id", request_id)], go_json(error.body(request_id))


class Transport:
    """WSGI middleware between the network and the API: latency, faults, and recording every exchange, for
    the world the request carries.

    The request body is read once and handed on; the response is collected whole before it
    is sent, and the exchange is recorded exactly as it goes out (a dropped connection is
    recorded with status 0 and a note). Waits go through ``environ["sandbox.sleep"]`` when the
    request came in process (virtual time), else ``time.sleep``.
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        world: World = environ[WORLD_KEY]
        sleep: Callable[[float], None] = environ.get(SLEEP_KEY, time.sleep)
        if environ.get("wsgi.input_terminated"):  # chunked request: read to the end
            request_body = environ["wsgi.input"].read()
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            request_body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(request_body)
        method = environ["REQUEST_METHOD"]
        raw_uri = environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")
        path, _, query = raw_uri.partition("?")
        if not query:
            query = environ.get("QUERY_STRING", "")
        request_headers = environ.get(HEADERS_KEY) or _headers_from_environ(environ)

        if world.latency_s:
            sleep(world.latency_s)
        notes: list[str] = []
        rule = world.faults.take(method, path)
        if rule is not None and rule.before is not None:
            rule.before()
        if rule is not None and (rule.answers or rule.delay_s or rule.before is None):  # the exchange is not Mattermost's
            notes.append(f"fault {rule.path_regex!r}")
            if rule.delay_s:
                sleep(rule.delay_s)
        if rule is not None and rule.drop_connection:
            notes.append("connection dropped")
            world.record(Exchange(method, path, query, request_headers, request_body, 0, {}, b"", tuple(notes)))
            _drop(environ)
            return []
        if rule is not None and rule.answers:
            status, headers, body = _fault_response(rule, world.new_request_id())
            status_line = f"{status} {_HTTP_REASONS.get(status, 'Unknown')}"
            headers.append(("Content-Length", str(len(body))))
        else:
            status_line, headers, body = call_wsgi(self.app, environ)
            notes += [value for name, value in headers if name == DEPARTURE_HEADER]
            headers = [(name, value) for name, value in headers if name != DEPARTURE_HEADER]
        world.record(Exchange(method, path, query, request_headers, request_body,
                                   int(status_line.split(" ", 1)[0]), dict(headers), body, tuple(notes)))
        start_response(status_line, headers)
        return [body]

def _headers_from_environ(environ: dict[str, Any]) -> dict[str, str]:
    """Header names rebuilt from a WSGI environ (for servers that do not keep the original case)."""
    headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").title()] = environ[key]
    return headers


def _drop(environ: dict[str, Any]) -> None:
    """Close the client connection abruptly, before any response byte is sent (in process: say so)."""
    environ[DROPPED_KEY] = True
    connection = environ.get("werkzeug.socket")
    if connection is not None:
        connection.shutdown(socket.SHUT_RDWR)


_shared_app: Flask | None = None
_shared_app_lock = threading.Lock()


def create_sandbox_app() -> Flask:
    """The Flask app of the stand-in, with :class:`Transport` installed as its WSGI middleware, serving the
    world each request carries in ``environ["sandbox.world"]`` (see :func:`serving`)."""
    app = create_api()
    app.wsgi_app = Transport(app.wsgi_app)  # type: ignore[method-assign]
    return app


def sandbox_app() -> Flask:
    """The stand-in's app, built once per process (building it takes longer than a test's whole exchange)."""
    global _shared_app
    with _shared_app_lock:
        if _shared_app is None:
            _shared_app = create_sandbox_app()
        return _shared_app


def serving(world: World, app: WSGIApp | None = None) -> WSGIApp:
    """The stand-in's app (by default the shared one) answering for ``world``."""
    app = app or sandbox_app()

    def for_world(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ[WORLD_KEY] = world
        return app(environ, start_response)

    return for_world


class SandboxServer:
    """The stand-in for a :class:`World`, serving real HTTP from a background daemon thread.

    ``start()`` returns the base URL (``http://127.0.0.1:<port>``) and sets the world's
    ``site_url`` to it; ``stop()`` shuts it down (a second call does nothing). Usable as a
    context manager.
    """

    def __init__(self, world: World, host: str = "127.0.0.1", port: int = 0) -> None:
        self.world = world
        self.host = host
        self.port = port
        self._background: BackgroundServer | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The base URL of the server (still readable after ``stop()``)."""
        if self._url is None:
            raise RuntimeError("the sandbox server was never started")
        return self._url

    def start(self) -> str:
        """Start serving and return the base URL."""
        if self._background is not None:
            raise RuntimeError("the sandbox server is already running")
        self._background = BackgroundServer(serving(self.world), self.host, self.port,
                                            request_handler=_RequestHandler)
        self._url = self.world.site_url = self._background.start()
        return self._url

    def stop(self) -> None:
        """Stop serving (requests still in flight finish on their own threads)."""
        if self._background is not None:
            self._background.stop()
            self._background = None

    @property
    def http(self) -> requests.Session:
        """A ``requests.Session`` for calling the stand-in directly (ignoring proxies from the environment)."""
        session = requests.Session()
        session.trust_env = False
        return session

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class InProcessSandbox(InProcessServer):
    """The stand-in for a :class:`World`, reached in process on ``world.network`` (no socket, virtual time;
    see :mod:`.inprocess`): the same interface as :class:`SandboxServer`. ``start()`` sets the world's
    ``site_url`` to the stand-in's base URL."""

    def __init__(self, world: World) -> None:
        super().__init__(world.network, sandbox_app(), "mattermost", {WORLD_KEY: world})
        self.world = world

    def start(self) -> str:
        """Make the stand-in reachable and return its base URL."""
        self.world.site_url = super().start()
        return self.world.site_url
