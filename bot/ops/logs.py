"""Structured logs: one JSON object per line (python-json-logger), each with its request's id.

A request's id comes from an incoming ``X-Request-Id`` header when it looks like one (a proxy's),
otherwise it is generated; it is sent back in the response header, printed in gunicorn's access
line and quoted to the user when the bot fails unexpectedly; work handed to another thread keeps it
(:func:`carrying_request_id`). No log line ever carries a token: nothing logs request forms, headers,
or Mattermost's answers, and the id in a command webhook's path (a secret, which urllib3 logs at DEBUG
with every request line) is blanked out.

The button endpoint's path holds a secret too (``bot.web.gate``). The front door marks each request in its
WSGI environ for the access log (:data:`LOGGED_PATH`: the path to write instead of the real one;
:data:`UNLOGGED`: write nothing, for a request the bot does not serve), which ``bot.ops.accesslog`` (gunicorn)
honours; :func:`redact` blanks the secret out of whatever else might name the path (the development
server's request lines, Flask's "Exception on <path>").
"""
from __future__ import annotations

import logging
import re
import uuid
from typing import Callable, ParamSpec, TypeVar

from flask import Flask, Response, g, has_app_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-Id"
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_HOOK_ID = re.compile(r"(/hooks/commands/)[^/\s\"'?#]+")
#: WSGI environ keys the front door sets: the path the access log writes instead of the request's own, and
#: "this request is not written to the access log at all".
LOGGED_PATH = "sessions_bot.logged_path"
UNLOGGED = "sessions_bot.unlogged"

P = ParamSpec("P")
T = TypeVar("T")


def current_request_id() -> str:
    """The id of the request being served (or handed on to this thread), or ``-`` outside one."""
    return str(g.get("request_id", "-")) if has_app_context() else "-"


def carrying_request_id(app: Flask, work: Callable[P, T]) -> Callable[P, T]:
    """``work``, made to run on another thread inside ``app``'s context and logging under the current request's id."""
    request_id = current_request_id()

    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        with app.app_context():
            g.request_id = request_id
            return work(*args, **kwargs)

    return run


class HookIdRedactor(logging.Filter):
    """Blanks the id out of every ``/hooks/commands/<id>`` in a record's message (the id is a secret)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; rewrite its message when it names a command webhook."""
        message = record.getMessage()
        if "/hooks/commands/" in message:
            record.msg, record.args = _HOOK_ID.sub(r"\1…", message), None
        return True


class SecretRedactor(logging.Filter):
    """Replaces each registered secret in a record's message with what stands for it (e.g. ``<key>``)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[str, str] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; rewrite its message when it holds a secret."""
        message = record.getMessage()
        redacted = message
        for secret, shown in self.secrets.items():
            redacted = redacted.replace(secret, shown)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact(secret: str, shown: str, loggers: tuple[str, ...]) -> None:
    """From now on, records of ``loggers`` show ``shown`` wherever their message held ``secret``."""
    for name in loggers:
        logger = logging.getLogger(name)
        redactor = next((f for f in logger.filters if isinstance(f, SecretRedactor)), None)
        if redactor is None:
            redactor = SecretRedactor()
            logger.addFilter(redactor)
        redactor.secrets[secret] = shown


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record a handler formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; just label it."""
        record.request_id = current_request_id()
        return True


def json_handler() -> logging.Handler:
    """A stderr handler writing one JSON object per record: time, level, logger, message, request_id, extras."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}{request_id}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(level: str) -> None:
    """Send the bot's logs as JSON to stderr at ``level`` (once per process, unless the host configured logging),
    and keep command webhook ids out of urllib3's request lines whoever writes them."""
    logger = logging.getLogger("bot")
    logger.setLevel(level)
    if not logger.handlers and not logging.getLogger().handlers:
        logger.addHandler(json_handler())
    urllib3 = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, HookIdRedactor) for f in urllib3.filters):
        urllib3.addFilter(HookIdRedactor())


def init_request_ids(app: Flask) -> None:
    """Give every request an id, and echo it in the response's ``X-Request-Id`` header."""

    @app.before_request
    def _assign() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _ACCEPTABLE_ID.fullmatch(incoming) else uuid.uuid4().hex

    @app.after_request
    def _echo(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = current_request_id()
        return response
