"""Serve a WSGI app on loopback from a background thread (for tests and the demo, never production)."""
from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Callable

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

POLL_INTERVAL_S = 0.02
"""How often the serving loop checks for ``stop()`` (the standard 0.5 s makes every stop slow)."""


class BackgroundServer:
    """A threaded Werkzeug server on ``host`` (port 0 picks a free port), started and stopped explicitly.

    ``request_handler`` replaces Werkzeug's ``WSGIRequestHandler`` (a subclass of it).
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0,
                 request_handler: type[WSGIRequestHandler] | None = None) -> None:
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=request_handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_INTERVAL_S,),
                                        name=f"serve-{self._server.port}", daemon=True)

    @classmethod
    def knowing_its_url(cls, build: Callable[[str], Any], host: str = "127.0.0.1") -> "BackgroundServer":
        """A server for the app ``build(url)`` returns: for apps that must know their own URL (e.g. for buttons)."""
        built: list[Any] = []
        server = cls(lambda environ, start_response: built[0](environ, start_response), host)
        built.append(build(server.url))
        return server

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def http(self) -> requests.Session:
        """A ``requests.Session`` for calling the app (ignoring proxies from the environment)."""
        session = requests.Session()
        session.trust_env = False
        return session

    def start(self) -> str:
        """Start serving; returns the base URL."""
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "BackgroundServer":
        self.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self.stop()
