"""Prometheus metrics: what the bot did, what it refused, how Mattermost answered, how fast it all was.

Helpers for the rest of the bot (each a counter or histogram update, never raising):

- :func:`record_command` — a command ran (``subcommand`` × ``outcome``);
- :func:`record_refusal` — a request was refused (``reason``);
- :func:`observe_upstream` / :func:`upstream_call` — one call to Mattermost (``method`` × endpoint
  *template* × ``status``, and its latency): ``/users/4xq…/sessions`` is counted as
  ``/users/{user_id}/sessions``, so no id, username or email ever becomes a label value;
- :func:`register` — ``GET /metrics`` (Prometheus text format) and a latency histogram of every route.

Several gunicorn workers: prometheus_client's multiprocess mode. When ``PROMETHEUS_MULTIPROC_DIR``
is set **before prometheus_client is first imported**, each process writes its values to files in
that directory and ``/metrics`` (served by any worker) adds up all of them; gunicorn's ``child_exit``
hook calls :func:`mark_worker_dead`, and the directory is emptied at start-up
(:func:`clear_multiprocess_dir`). When the operator names none, ``gunicorn.conf.py`` makes one in the temp folder
and removes it when the master exits. Without the variable the default in-process registry is used
(the development server, tests, a single process).
"""
from __future__ import annotations

import glob
import hmac
import os
import re
import time
from contextlib import contextmanager
from typing import Iterator

import requests
from flask import Flask, Response, abort, g, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    multiprocess,
)
from prometheus_client.exposition import choose_encoder

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Read once, like prometheus_client itself does when it is imported: the mode cannot change later.
_MULTIPROC_DIR = os.environ.get(MULTIPROC_ENV) or None
if _MULTIPROC_DIR:
    os.makedirs(_MULTIPROC_DIR, exist_ok=True)

METRICS_PATH = "/metrics"

# A command takes at most 30 s (Mattermost's limit); one Mattermost call at most 10 s (the timeout's cap).
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_UPSTREAM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

COMMANDS = Counter(
    "sessions_bot_commands", "Commands run, by subcommand and outcome.", ["subcommand", "outcome"]
)
REFUSALS = Counter("sessions_bot_refusals", "Requests refused, by reason.", ["reason"])
UPSTREAM_REQUESTS = Counter(
    "sessions_bot_mattermost_requests",
    "Calls to the Mattermost API, by method, endpoint template and HTTP status (or timeout/connection_error/error).",
    ["method", "endpoint", "status"],
)
UPSTREAM_SECONDS = Histogram(
    "sessions_bot_mattermost_request_duration_seconds",
    "Latency of calls to the Mattermost API, by method and endpoint template.",
    ["method", "endpoint"],
    buckets=_UPSTREAM_BUCKETS,
)
REQUEST_SECONDS = Histogram(
    "sessions_bot_http_request_duration_seconds",
    "Latency of the bot's own HTTP routes, by method, route rule and status.",
    ["method", "route", "status"],
    buckets=_REQUEST_BUCKETS,
)

# --- label hygiene ------------------------------------------------------------------------------

_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_TRANSPORT_STATUSES = frozenset({"timeout", "connection_error", "error"})
#: Path words of Mattermost's API that are kept as they are; any other segment becomes a placeholder.
_PATH_WORDS = frozenset({
    "users", "me", "sessions", "revoke", "all", "roles", "names", "name", "channels", "direct", "posts",
    "ephemeral", "username", "usernames", "email", "ids", "teams", "members", "status", "system", "ping",
    "bots", "tokens", "commands", "hooks", "actions", "dialogs", "image", "config", "client", "license", "audits",
})
#: Placeholder for the segment after a collection (``/users/{user_id}``).
_ID_AFTER = {"users": "{user_id}", "channels": "{channel_id}", "posts": "{post_id}", "teams": "{team_id}",
             "roles": "{role_id}", "sessions": "{session_id}", "tokens": "{token_id}", "bots": "{bot_user_id}"}
#: Segments that are always a value, whatever they spell (a user may be called ``me`` or ``sessions``).
_VALUE_AFTER = {"username": "{username}", "email": "{email}", "name": "{name}"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_LABEL = re.compile(r"[^a-z0-9_-]+")


def _label(value: str) -> str:
    """A short, tame label value: ``ForgedButton`` → ``forged_button``; empty → ``unknown``."""
    text = _NOT_LABEL.sub("_", _CAMEL.sub("_", str(value).strip()).lower()).strip("_")
    return text[:48] or "unknown"


def endpoint_template(path: str) -> str:
    """The Mattermost API route ``path`` belongs to, with every id and name replaced by a placeholder.

    ``/users/4xq…/sessions/revoke`` → ``/users/{user_id}/sessions/revoke``; ``/users/username/alice`` →
    ``/users/username/{username}``. A query string and a leading ``/api/v4`` are dropped. Segments that are
    not known API words become ``{id}`` or ``{value}``, so the label's values stay few and carry no data.
    """
    path = path.split("?", 1)[0].split("#", 1)[0]
    segments = [s for s in path.split("/") if s]
    if segments[:2] == ["api", "v4"]:
        segments = segments[2:]
    out: list[str] = []
    previous = ""
    for segment in segments:
        word = segment.lower()
        if previous in _VALUE_AFTER:
            out.append(_VALUE_AFTER[previous])
        elif word in _PATH_WORDS:
            out.append(word)
        elif previous in _ID_AFTER:
            out.append(_ID_AFTER[previous])
        else:
            out.append("{id}" if re.fullmatch(r"[A-Za-z0-9]{26}", segment) else "{value}")
        previous = word if word in _PATH_WORDS else ""
    return "/" + "/".join(out)


def _method(method: str) -> str:
    upper = str(method).upper()
    return upper if upper in _METHODS else "OTHER"


def _status(status: int | str) -> str:
    if isinstance(status, int) and 100 <= status <= 599:
        return str(status)
    if isinstance(status, str) and (status in _TRANSPORT_STATUSES or re.fullmatch(r"[1-5][0-9][0-9]", status)):
        return status
    return "other"


# --- what the rest of the bot calls -------------------------------------------------------------

def record_command(subcommand: str, outcome: str) -> None:
    """Count one command (e.g. ``revoke-all``, ``ok``/``preview``/``refused``/``failed``/``rate_limited``)."""
    COMMANDS.labels(subcommand=_label(subcommand), outcome=_label(outcome)).inc()


def record_refusal(reason: str) -> None:
    """Count one refusal (e.g. ``needs_edit_other_users``, ``ForgedButton`` → ``forged_button``, ``rate_limited``)."""
    REFUSALS.labels(reason=_label(reason)).inc()


def observe_upstream(method: str, path: str, status: int | str, seconds: float) -> None:
    """Count one call to Mattermost and its latency; ``path`` is templated here (ids never become labels).

    ``status`` is the HTTP status, or ``timeout``/``connection_error``/``error`` when no answer came.
    """
    method_label, endpoint = _method(method), endpoint_template(path)
    UPSTREAM_REQUESTS.labels(method=method_label, endpoint=endpoint, status=_status(status)).inc()
    UPSTREAM_SECONDS.labels(method=method_label, endpoint=endpoint).observe(max(0.0, seconds))


class UpstreamCall:
    """Set ``status`` inside :func:`upstream_call`'s block once Mattermost has answered."""

    status: int | str = "error"


@contextmanager
def upstream_call(method: str, path: str) -> Iterator[UpstreamCall]:
    """Time one call to Mattermost; a timeout or connection failure is recorded as such and re-raised."""
    call = UpstreamCall()
    started = time.perf_counter()
    try:
        yield call
    except requests.Timeout:
        call.status = "timeout"
        raise
    except requests.ConnectionError:
        call.status = "connection_error"
        raise
    finally:  # any other failure keeps the status set in the block, or "error" when none was
        observe_upstream(method, path, call.status, time.perf_counter() - started)


# --- the HTTP side ------------------------------------------------------------------------------

def exposition(accept: str | None = None) -> tuple[bytes, str]:
    """The current metrics of every process (multiprocess mode) or of this one, and their content type."""
    registry = REGISTRY
    if _MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=_MULTIPROC_DIR)
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


_STARTED = "_sessions_bot_metrics_started"


def register(app: Flask, *, token: str | None = None) -> None:
    """Add ``GET /metrics`` to ``app`` and time every request it serves.

    With ``token``, ``/metrics`` answers only requests carrying ``Authorization: Bearer <token>`` (401 otherwise).
    The route label is the matched rule (``/slash/sessions``), ``unmatched`` for a 404, never the raw path.
    """

    @app.before_request
    def _start_timer() -> None:
        setattr(g, _STARTED, time.perf_counter())

    @app.after_request
    def _observe(response: Response) -> Response:
        started = getattr(g, _STARTED, None)
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            REQUEST_SECONDS.labels(method=_method(request.method), route=route, status=_status(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response

    def metrics_view() -> Response:
        if token is not None:
            scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
                abort(401)
        body, content_type = exposition(request.headers.get("Accept"))
        return Response(body, status=200, content_type=content_type)

    app.add_url_rule(METRICS_PATH, endpoint="metrics", view_func=metrics_view, methods=["GET"])


# --- gunicorn ----------------------------------------------------------------------------------

def clear_multiprocess_dir() -> None:
    """Remove the previous run's value files (gunicorn ``on_starting``); nothing to do in single-process mode."""
    if _MULTIPROC_DIR:
        for stale in glob.glob(os.path.join(_MULTIPROC_DIR, "*.db")):
            os.remove(stale)


def mark_worker_dead(pid: int) -> None:
    """Bookkeeping for a worker that exited (gunicorn ``child_exit``); its counters keep counting in the total."""
    if _MULTIPROC_DIR:
        multiprocess.mark_process_dead(pid, _MULTIPROC_DIR)
