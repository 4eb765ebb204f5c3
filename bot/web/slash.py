"""The slash command's edge: Mattermost POSTs ``/sessions <text>`` here as a form (../shared/MATTERMOST.md §1.2).

Mattermost signs nothing: the command token is the credential. A request is authentic when every token it
carries (the ``token`` field, the ``Authorization: Token …`` header) is configured, compared in constant time;
its ``user_id`` is then the caller. Mattermost shows the user an error for any non-200 answer (§1.3), so once a
request is authentic and well-formed the answer is always 200 with an ephemeral JSON body, even for refusals
and upstream failures. Only requests that did not come from a configured command (bad token, wrong method or
content type, oversized, a field longer than Mattermost sends it (``bot.web.limits``), no user) get a 4xx.
"""
from __future__ import annotations

import hmac
from typing import Literal

from flask import Blueprint, Response, abort, current_app, jsonify, request

from bot.core.invocation import Invocation
from bot.core.model import is_id
from bot.core.parse import parse
from bot.ops import metrics
from bot.replies.values import Reply
from bot.web import limits
from bot.web.answers import ephemeral, reply_body, unexpected
from bot.web.deferral import hook_id
from bot.web.edge import Pending
from bot.web.pipeline import handle

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


class SlashEdge:
    """``POST <url_path>``: a form from a configured command, answered with ephemeral JSON."""

    via: Literal["slash", "button"] = "slash"

    def authenticate(self) -> Response | None:
        if request.mimetype != _FORM:
            abort(415)
        if not token_is_valid(_presented_tokens(), current_app.config["SLASH_COMMAND_TOKENS"]):
            metrics.record_refusal("bad_token")
            abort(401)
        field = limits.too_long({name: request.form.getlist(name) for name in limits.SLASH_FIELDS},
                                limits.SLASH_FIELDS, repeated=True)
        if field is not None:
            limits.refuse("slash command", field, limits.SLASH_FIELDS[field])
            metrics.record_refusal("oversized_field")
            abort(400)
        if any(len(request.form.getlist(name)) > 1 for name in _SINGLE_FIELDS):
            abort(400)
        if not is_id(request.form.get("user_id", "")):
            abort(400)
        return None

    def read(self) -> Pending:
        form = request.form
        invocation = Invocation(caller_id=form["user_id"], caller_username=form.get("user_name", ""),
                                channel_id=form.get("channel_id", ""), team_id=form.get("team_id", ""))
        return Pending(invocation, parse(form.get("text", "")), hook_id(form.get("response_url", "")))

    def answer(self, pending: Pending, reply: Reply) -> Response:
        return jsonify(reply_body(reply, pending.invocation))


def sessions_command() -> Response:
    """Run ``/sessions <text>`` for the user Mattermost vouches for."""
    return handle(SlashEdge())


def blueprint(path: str) -> Blueprint:
    """The slash command endpoint, served at ``path`` (the manifest's ``url_path``)."""
    routes = Blueprint("slash", __name__)
    routes.add_url_rule(path, view_func=sessions_command, methods=["POST"], provide_automatic_options=False)
    routes.register_error_handler(Exception, lambda error: unexpected(error, ephemeral))
    return routes
