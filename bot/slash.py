"""The HTTP edge of the slash command: authenticate Mattermost's request, parse it, reply as JSON.

Mattermost shows the user an error for any non-200 answer (../shared/MATTERMOST.md §1.3), so once a
request is authentic and well-formed the answer is always 200 with an ephemeral JSON body, even
for refusals and upstream failures. Only requests that did not come from a configured command
(bad token, wrong method or content type, oversized, no user) get a 4xx.
"""
from __future__ import annotations

import hmac
import logging
import re
import uuid

from flask import Blueprint, Response, abort, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from bot import render
from bot.commands import parse
from bot.service import SessionsService

log = logging.getLogger(__name__)

blueprint = Blueprint("slash", __name__)

#: A Mattermost id: 26 letters or digits (§5).
_ID = re.compile(r"^[A-Za-z0-9]{26}$")
_FORM = "application/x-www-form-urlencoded"
_SINGLE_FIELDS = ("token", "user_id", "text")


def token_is_valid(presented: list[str], allowed: tuple[str, ...]) -> bool:
    """True when at least one token was presented and every one is configured, compared in constant time."""
    if not presented:
        return False
    verdicts = [any([hmac.compare_digest(p.encode(), a.encode()) for a in allowed]) for p in presented]
    return all(verdicts)


def _presented_tokens() -> list[str]:
    tokens = [t for t in request.form.getlist("token") if t]
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "token" and value.strip():
        tokens.append(value.strip())
    return tokens


def plain_error(error: HTTPException) -> Response:
    """HTTP errors as one short line of text: the status, never a detail or an HTML page."""
    return Response(f"{error.code} {error.name}\n", status=error.code, mimetype="text/plain")


def ephemeral(text: str) -> Response:
    """Mattermost's reply shape for a message only the caller sees."""
    return jsonify(response_type="ephemeral", text=text)


@blueprint.post("/slash/sessions")
def sessions_command() -> Response:
    """Run ``/sessions <text>`` for the user Mattermost vouches for."""
    if request.mimetype != _FORM:
        abort(415)
    if not token_is_valid(_presented_tokens(), current_app.config["SLASH_COMMAND_TOKENS"]):
        abort(401)
    if any(len(request.form.getlist(name)) > 1 for name in _SINGLE_FIELDS):
        abort(400)
    caller_id = request.form.get("user_id", "")
    if not _ID.match(caller_id):
        abort(400)
    command = parse(request.form.get("text", ""))
    service: SessionsService = current_app.extensions["sessions_bot"]
    text = service.reply(caller_id, command)
    log.info("command=%s caller=%s", type(command).__name__, caller_id)
    return ephemeral(text)


@blueprint.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    """HTTP errors keep their status; anything else becomes a friendly reply, never a 500 page."""
    if isinstance(error, HTTPException):
        return plain_error(error)
    reference = uuid.uuid4().hex[:12]
    log.exception("unexpected error, reference %s", reference)
    return ephemeral(render.internal_error(reference))
