"""How the bot answers an HTTP request: the ephemeral JSON Mattermost expects, attachments with buttons signed
for their viewer, a plain line for HTTP errors, and the friendly reply to a bug (with the reference that finds
its log line)."""
from __future__ import annotations

import logging
from typing import Any, Callable

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

from bot.core.invocation import Invocation
from bot.ops.logs import current_request_id
from bot.replies.errors import internal_error
from bot.replies.values import Reply
from bot.web.buttons import attachments_json
from bot.web.parts import parts

log = logging.getLogger(__name__)


def ephemeral(text: str) -> Response:
    """Mattermost's reply shape for a message only the caller sees."""
    return jsonify(response_type="ephemeral", text=text)


def signed_attachments(reply: Reply, invocation: Invocation) -> list[dict[str, Any]]:
    """The reply's attachments as Mattermost JSON, buttons signed for the caller and the team the command ran in."""
    bot = parts()
    return attachments_json(reply.attachments, invocation.caller_id, bot.signer, bot.action_url, invocation.team_id)


def reply_body(reply: Reply, invocation: Invocation) -> dict[str, Any]:
    """The ephemeral ``CommandResponse`` JSON of ``reply``, its buttons signed for the caller (and their team)."""
    body: dict[str, Any] = {"response_type": "ephemeral", "text": reply.text}
    if reply.attachments:
        body["attachments"] = signed_attachments(reply, invocation)
    return body


def plain_error(error: HTTPException) -> Response:
    """HTTP errors as one short line of text: the status, never a detail or an HTML page. The error's own
    headers are kept (a 405 must say ``Allow``)."""
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return Response(f"{error.code} {error.name}\n", status=error.code, headers=headers, mimetype="text/plain")


def bug_report() -> str:
    """Log the exception being handled; the friendly text that quotes the request id to find that log line."""
    log.exception("unexpected error")
    return internal_error(current_request_id())


def unexpected(error: Exception, respond: Callable[[str], Response]) -> Response:
    """HTTP errors keep their status; anything else is logged and becomes ``respond(friendly text)``, never a 500."""
    if isinstance(error, HTTPException):
        return plain_error(error)
    return respond(bug_report())
