"""The HTTP edge of the slash command: authenticate Mattermost's request, parse it, reply as JSON.

Mattermost shows the user an error for any non-200 answer (../shared/MATTERMOST.md §1.3), so once a
request is authentic and well-formed the answer is always 200 with an ephemeral JSON body, even
for refusals and upstream failures. Only requests that did not come from a configured command
(bad token, wrong method or content type, oversized, no user) get a 4xx.

Mattermost gives up on a command after 30 s (§1.2). The command runs on the app's thread pool and the
request waits for it ``REPLY_BUDGET_S`` at most; past that the answer is "still working" and the
command's own thread posts the reply to the command's ``response_url`` when it is done (§1.5).
Only the hook id is taken from ``response_url``: the reply goes to ``MATTERMOST_URL``, never to the
host the form names.
"""
from __future__ import annotations

import hmac
import logging
import re
import threading
from concurrent.futures import wait
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from bot.ops import metrics
from bot.replies.bulk import bulk_progress
from bot.replies.errors import STILL_WORKING, internal_error, slow_down
from bot.core.audit import AuditEvent
from bot.web.buttons import attachments_json
from bot.core.commands import Command, RevokeMany, RevokeSession, UserRef, is_revoking
from bot.core.parse import parse
from bot.core.errors import BotError
from bot.features.bulk import ProgressReport
from bot.ops.logs import carrying_request_id, current_request_id
from bot.mattermost.client import MattermostAPI
from bot.core.model import is_id
from bot.web.parts import BotParts
from bot.ops.ratelimit import RateLimitResult
from bot.replies.values import Reply
from bot.core.invocation import Invocation
from bot.core.results import Progress
from bot.features import dispatch
from bot.replies.rendering import render as render_view

log = logging.getLogger(__name__)

_FORM = "application/x-www-form-urlencoded"
_SINGLE_FIELDS = ("token", "user_id", "text")
#: The path of a ``response_url``: SiteURL's own path, if any, then ``/hooks/commands/`` and a ``NewId()``.
_HOOK_PATH = re.compile(r"(?:/.*)?/hooks/commands/([a-z0-9]{26})")


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
    """HTTP errors as one short line of text: the status, never a detail or an HTML page. The error's own
    headers are kept (a 405 must say ``Allow``)."""
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return Response(f"{error.code} {error.name}\n", status=error.code, headers=headers, mimetype="text/plain")


def run(invocation: Invocation, command: Command, report: ProgressReport | None = None) -> Reply:
    """Run ``command`` for the caller, audit and notify as configured, and render the reply (with buttons when
    the bot has a public URL); ``report`` hears how a long bulk sign-out is going."""
    bot: BotParts = current_app.extensions["sessions_bot"]
    outcome = dispatch.run(bot.features, invocation, command, report)
    bot.effects.record(outcome.audit, outcome.notices, outcome.details)
    metrics.record_command(outcome.action, outcome.result)
    if outcome.result == "refused":
        metrics.record_refusal(outcome.reason)
    log.info("command=%s caller=%s ok=%s", type(command).__name__, invocation.caller_id, outcome.ok)
    return render_view(outcome.shown, outcome.now_ms, buttons=bool(bot.action_url))


def rate_limited(invocation: Invocation, command: Command) -> RateLimitResult | None:
    """The refusal when ``command`` revokes and the caller is over the limit (audited, counted), else None."""
    if not is_revoking(command):
        return None
    bot: BotParts = current_app.extensions["sessions_bot"]
    limited = bot.limiter.check(invocation.caller_id)
    if limited is not None:
        action = {RevokeSession: "revoke", RevokeMany: "revoke-many"}.get(type(command), "revoke-all")
        bot.effects.audit(refused_event(invocation, action, "rate_limited", getattr(command, "target", None)))
        metrics.record_command(action, "rate_limited")
        metrics.record_refusal("rate_limited")
    return limited


def refused_event(invocation: Invocation, action: str, reason: str, ref: UserRef | None = None) -> AuditEvent:
    """An audit event for a request refused before the service ran (rate limit, rejected button)."""
    return AuditEvent.of(
        invocation,
        action=action,
        result="refused",
        reason=reason,
        target_id="" if ref else invocation.caller_id,
        target_username=ref.text if ref else invocation.caller_username,
        session_ids=(),
    )


def signed_attachments(reply: Reply, viewer_id: str) -> list[dict[str, Any]]:
    """The reply's attachments as Mattermost JSON, buttons signed for ``viewer_id``."""
    bot: BotParts = current_app.extensions["sessions_bot"]
    return attachments_json(reply.attachments, viewer_id, bot.signer, bot.action_url)


def ephemeral(text: str) -> Response:
    """Mattermost's reply shape for a message only the caller sees."""
    return jsonify(response_type="ephemeral", text=text)


def reply_body(reply: Reply, viewer_id: str) -> dict[str, Any]:
    """The ephemeral ``CommandResponse`` JSON of ``reply``, its buttons signed for ``viewer_id``."""
    body: dict[str, Any] = {"response_type": "ephemeral", "text": reply.text}
    if reply.attachments:
        body["attachments"] = signed_attachments(reply, viewer_id)
    return body


def hook_id(response_url: str) -> str | None:
    """The hook id of a ``response_url`` shaped as Mattermost makes it, or None for anything else."""
    try:
        path = urlsplit(response_url).path
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    match = _HOOK_PATH.fullmatch(path)
    return match.group(1) if match else None


def answer(invocation: Invocation, command: Command, report: ProgressReport | None = None) -> dict[str, Any]:
    """The reply body for ``command``: its outcome, or, when the bot fails unexpectedly, the friendly report."""
    try:
        return reply_body(run(invocation, command, report), invocation.caller_id)
    except Exception:  # noqa: BLE001 - a bug must still reach the user, who may no longer be waiting
        return reply_body(Reply(bug_report()), invocation.caller_id)


class Handoff:
    """Settles, once, who delivers a command's reply: the request, when the command finishes within the
    budget, or the command's own thread through ``response_url``, when the request has given up waiting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._finished = False
        self._deferred = False

    def defer(self) -> bool:
        """The request stops waiting: True when the command is still running, and so will deliver its reply."""
        with self._lock:
            self._deferred = not self._finished
            return self._deferred

    @property
    def deferred(self) -> bool:
        """True once the request has answered "still working": the command now talks through ``response_url``."""
        with self._lock:
            return self._deferred

    def finish(self) -> bool:
        """The command is done: True when the request has already answered, so the reply goes to ``response_url``."""
        with self._lock:
            self._finished = True
            return self._deferred


def deliver_late(api: MattermostAPI, hook: str, body: dict[str, Any]) -> None:
    """Post ``body`` to the command's webhook; a failure is logged, as the user can no longer be told.
    Needs no app context: progress is reported from the bulk sign-out's own threads."""
    try:
        api.respond(hook, body)
    except BotError as error:
        log.warning("the late reply could not be delivered through response_url: %s", type(error).__name__)
    except Exception:  # noqa: BLE001 - nobody waits on this thread: log, never lose it silently
        log.exception("the late reply could not be delivered through response_url")


def _job(invocation: Invocation, command: Command, hook: str, handoff: Handoff) -> dict[str, Any]:
    """The command's reply body, also sent to ``response_url`` when the request stopped waiting for it."""
    api = current_app.extensions["sessions_bot"].api

    def report(progress: Progress) -> None:  # progress only matters to someone already told "still working"
        if handoff.deferred:
            deliver_late(api, hook, {"response_type": "ephemeral", "text": bulk_progress(progress)})

    body = answer(invocation, command, report)
    if handoff.finish():
        deliver_late(api, hook, body)
    return body


def within_budget(invocation: Invocation, command: Command, hook: str) -> Response:
    """Wait for ``command`` up to the budget; past it, answer "still working" and let the command reply later."""
    bot: BotParts = current_app.extensions["sessions_bot"]
    handoff = Handoff()
    job = carrying_request_id(current_app._get_current_object(), _job)
    running = bot.jobs.submit(job, invocation, command, hook, handoff)
    done, _not_done = wait([running], timeout=bot.reply_budget_s)
    if done or not handoff.defer():  # (or it finished just as the budget ran out)
        return jsonify(running.result())
    log.info("command=%s caller=%s deferred after %g s", type(command).__name__, invocation.caller_id,
             bot.reply_budget_s)
    return ephemeral(STILL_WORKING)


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
        return ephemeral(slow_down(limited.retry_after_s, limited.limit))
    hook = hook_id(request.form.get("response_url", ""))
    if hook is None:  # nowhere to send a late reply: wait for it, however long
        return jsonify(answer(invocation, command))
    return within_budget(invocation, command, hook)


def bug_report() -> str:
    """Log the exception being handled; the friendly text that quotes the request id to find that log line."""
    log.exception("unexpected error")
    return internal_error(current_request_id())


def unexpected(error: Exception, respond: Callable[[str], Response]) -> Response:
    """HTTP errors keep their status; anything else is logged and becomes ``respond(friendly text)``, never a 500."""
    if isinstance(error, HTTPException):
        return plain_error(error)
    return respond(bug_report())


def blueprint(path: str) -> Blueprint:
    """The slash command endpoint, served at ``path`` (the manifest's ``url_path``)."""
    routes = Blueprint("slash", __name__)
    routes.add_url_rule(path, view_func=sessions_command, methods=["POST"], provide_automatic_options=False)
    routes.register_error_handler(Exception, lambda error: unexpected(error, ephemeral))
    return routes
