"""Structured logs: one JSON object per line (python-json-logger), each with its request's id.

A request's id comes from an incoming ``X-Request-Id`` header when it looks like one (a proxy's),
otherwise it is generated; it is sent back in the response header, printed in gunicorn's access
line and quoted to the user when the bot fails unexpectedly. No log line ever carries a token:
nothing logs request forms, headers, or Mattermost's answers.
"""
from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-Id"
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def current_request_id() -> str:
    """The id of the request being served, or ``-`` outside a request."""
    return str(g.get("request_id", "-")) if has_request_context() else "-"


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
    """Send the bot's logs as JSON to stderr at ``level`` (once per process, unless the host configured logging)."""
    logger = logging.getLogger("bot")
    logger.setLevel(level)
    if not logger.handlers and not logging.getLogger().handlers:
        logger.addHandler(json_handler())


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
