"""The processes the benchmark measures: the Mattermost stand-in and the bot (or a trivial app) under gunicorn.

The stand-in runs in a forked child under gunicorn (one gthread worker, so the one ``World`` stays in
one process) because Werkzeug's server closes every connection, which would hide whether the bot
reuses its keep-alive pool. A small middleware counts the TCP connections the stand-in accepts
(distinct client ports) and answers ``GET /__bench/stats`` and ``POST /__bench/reset``.

The bot runs exactly as the Procfile says, ``gunicorn bot.web.wsgi:app`` with ``gunicorn.conf.py``.
"""
from __future__ import annotations

import io
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import requests
from gunicorn.app.base import BaseApplication

from bot.sandbox.server import serving
from bot.sandbox.world import World

ROOT = Path(__file__).resolve().parent.parent
STATS_PATH = "/__bench/stats"
RESET_PATH = "/__bench/reset"
HOOKS_PREFIX = "/hooks/commands/"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, timeout_s: float = 20.0) -> None:
    """Poll ``url`` until it answers at all (any status), or raise after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing answered at {url} within {timeout_s} s") from None
            time.sleep(0.05)


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by process ``pid`` and its direct children (gunicorn's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # fields[1] is the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class ConnectionCounter:
    """WSGI middleware: counts requests and distinct client connections; serves the stats routes."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._peers: set[tuple[str, str]] = set()
        self._requests = 0
        self._hook_calls = 0
        self._hook_texts: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in (STATS_PATH, RESET_PATH):
            with self._lock:
                if path == RESET_PATH:
                    self._peers.clear()
                    self._requests = self._hook_calls = 0
                    self._hook_texts.clear()
                body = json.dumps({"connections": len(self._peers), "requests": self._requests,
                                   "hook_calls": self._hook_calls, "hook_texts": self._hook_texts}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        hook_text = self._hook_text(environ) if path.startswith(HOOKS_PREFIX) else None
        with self._lock:
            self._peers.add((environ.get("REMOTE_ADDR", ""), str(environ.get("REMOTE_PORT", ""))))
            self._requests += 1
            if hook_text is not None:
                self._hook_calls += 1
                self._hook_texts.append(hook_text)
        return self._app(environ, start_response)


    @staticmethod
    def _hook_text(environ: dict[str, Any]) -> str:
        """The start of a late reply's text (the body is read, then handed on unchanged)."""
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            return str(json.loads(body).get("text", ""))[:80]
        except (ValueError, AttributeError):
            return ""


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn serving an in-memory WSGI app with the given settings."""

    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._app


def _serve_standin(world: World, port: int, latency_s: float) -> None:
    world.latency_s = latency_s
    app = ConnectionCounter(serving(world))
    _Gunicorn(app, {"bind": f"127.0.0.1:{port}", "workers": 1, "worker_class": "gthread", "threads": 16,
                    "keepalive": 30, "accesslog": None, "loglevel": "warning"}).run()


class StandIn:
    """The stand-in serving ``world`` from a forked process; the parent's ``world`` is a snapshot of it."""

    def __init__(self, world: World, latency_s: float = 0.0) -> None:
        self.world = world
        self.port = free_port()
        self.url = world.site_url = f"http://127.0.0.1:{self.port}"
        context = multiprocessing.get_context("fork")
        self._process = context.Process(target=_serve_standin, args=(world, self.port, latency_s), daemon=True)

    def __enter__(self) -> StandIn:
        self._process.start()
        wait_until_up(self.url + STATS_PATH)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.pid is not None:
            os.kill(self._process.pid, signal.SIGTERM)
        self._process.join(timeout=10)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the stand-in's processes."""
        return tree_cpu_seconds(self._process.pid or 0)

    def stats(self, reset: bool = False) -> dict[str, int]:
        """Requests, connections and calls to response_url hooks since the last reset (and reset them when asked)."""
        response = requests.request("POST" if reset else "GET", self.url + (RESET_PATH if reset else STATS_PATH), timeout=5)
        return dict(response.json())


class Gunicorn:
    """``gunicorn <app>`` with the project's gunicorn.conf.py in a child process, on a free port."""

    def __init__(self, app: str, env: dict[str, str], workers: int, threads: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), app]
        self._env = {**os.environ, **env, "PORT": str(self.port), "WEB_CONCURRENCY": str(workers),
                     "GUNICORN_THREADS": str(threads)}
        self._env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        self._process = subprocess.Popen(self._command, cwd=ROOT, env=self._env, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE)
        wait_until_up(self.url + "/healthz")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and its workers."""
        assert self._process is not None
        return tree_cpu_seconds(self._process.pid)

    def worker_peak_rss_mb(self) -> list[float]:
        """Peak resident memory (VmHWM) of each worker process, in MiB (Linux ``/proc``)."""
        assert self._process is not None
        peaks = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            except OSError:
                continue
            if fields.get("PPid", "").strip() == str(self._process.pid) and "VmHWM" in fields:
                peaks.append(int(fields["VmHWM"].split()[0]) / 1024)
        return sorted(peaks)
