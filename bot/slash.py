"""The HTTP edge of the slash command: authenticate Mattermost's request, parse it, reply as JSON.

Mattermost shows the user an error for any non-200 answer (../shared/MATTERMOST.md §1.3), so once a
request is authentic and well-formed the answer is always 200 with an ephemeral JSON body, even
for refusals and upstream failures. Only requests that did not come from a configured command
(bad token, wrong method or content type, oversized, no user) get a 4xx.
"""
from __future__ import annotations

import hmac
import logging
from typing import Any, Callable

from flask import Blueprint, Response, abort, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from bot import metrics, render
from bot.audit import AuditEvent
from bot.buttons import attachments_json
from bot.commands import Command, RevokeSession, UserRef, parse
from bot.logs import current_request_id
from bot.model import is_id
from bot.parts import BotParts
from bot.ratelimit import RateLimitResult, is_revoking
from bot.replies import Reply
from bot.service import Invocation, Outcome

log = logging.getLogger(__name__)

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


def run(invocation: Invocation, command: Command) -> Outcome:
    """Run ``command`` with the app's service, then audit and notify as configured."""
    bot: BotParts = current_app.extensions["sessions_bot"]
    outcome = bot.service.handle(invocation, command)
    bot.effects.record(outcome.audit, outcome.notice)
    metrics.record_command(outcome.action, outcome.result)
    if outcome.result == "refused":
        metrics.record_refusal(outcome.reason)
    return outcome


def rate_limited(invocation: Invocation, command: Command) -> RateLimitResult | None:
    """The refusal when ``command`` revokes and the caller is over the limit (audited, counted), else None."""
    if not is_revoking(command):
        return None
    bot: BotParts = current_app.extensions["sessions_bot"]
    limited = bot.limiter.check(invocation.caller_id)
    if limited is not None:
        action = "revoke" if isinstance(command, RevokeSession) else "revoke-all"
        bot.effects.audit(refused_event(invocation, action, "rate_limited", getattr(command, "target", None)))
        metrics.record_command(action, "rate_limited")
        metrics.record_refusal("rate_limited")
    return limited


def refused_event(invocation: Invocation, action: str, reason: str, ref: UserRef | None = None) -> AuditEvent:
    """An audit event for a request refused before the service ran (rate limit, rejected button)."""
    return AuditEvent(
        action=action,
        result="refused",
        reason=reason,
        actor_id=invocation.caller_id,
        actor_username=invocation.caller_username,
        target_id="" if ref else invocation.caller_id,
        target_username=ref.text if ref else invocation.caller_username,
        session_ids=(),
        channel_id=invocation.channel_id,
        team_id=invocation.team_id,
        via=invocation.via,
    )


def signed_attachments(reply: Reply, viewer_id: str) -> list[dict[str, Any]]:
    """The reply's attachments as Mattermost JSON, buttons signed for ``viewer_id``."""
    bot: BotParts = current_app.extensions["sessions_bot"]
    return attachments_json(reply.attachments, viewer_id, bot.signer, bot.action_url)


def ephemeral(text: str) -> Response:
    """Mattermost's reply shape for a message only the caller sees."""
    return jsonify(response_type="ephemeral", text=text)


def sessions_command() -> Response:
    """Run ``/sessions <text>`` for the user Mattermost vouches for."""
    if request.mimetype != _FORM:
        abort(415)
    if not token_is_valid(_presented_tokens(), current_app.config["SLASH_COMMAND_TOKENS"]):
        metrics.record_refusal("bad_token")
        abort(401)
    if any(len(request.form.getlist(name)) > 1 for name in _SINGLE_FIELDS):
        abort(400)
    caller_id = request.form.get("user_id", "")
    if not is_id(caller_id):
        abort(400)
    command = parse(request.form.get("text", ""))
    invocation = Invocation(
        caller_id=caller_id,
        caller_username=request.form.get("user_name", ""),
        channel_id=request.form.get("channel_id", ""),
        team_id=request.form.get("team_id", ""),
    )
    limited = rate_limited(invocation, command)
    if limited is not None:
        return jsonify(limited.slash_body())
    outcome = run(invocation, command)
    log.info("command=%s caller=%s ok=%s", type(command).__name__, caller_id, outcome.ok)
    body = {"response_type": "ephemeral", "text": outcome.reply.text}
    if outcome.reply.attachments:
        body["attachments"] = signed_attachments(outcome.reply, caller_id)
    return jsonify(body)


def unexpected(error: Exception, answer: Callable[[str], Response]) -> Response:
    """HTTP errors keep their status; anything else is logged and becomes ``answer(friendly text)``, never a 500."""
    if isinstance(error, HTTPException):
        return plain_error(error)
    log.exception("unexpected error")
    return answer(render.internal_error(current_request_id()))


def blueprint(path: str) -> Blueprint:
    """The slash command endpoint, served at ``path`` (the manifest's ``url_path``)."""
    routes = Blueprint("slash", __name__)
    routes.add_url_rule(path, view_func=sessions_command, methods=["POST"])
    routes.register_error_handler(Exception, lambda error: unexpected(error, ephemeral))
    return routes
