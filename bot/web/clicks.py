"""The buttons' edge: Mattermost posts a click here, unsigned (../shared/MATTERMOST.md §2.2), at a path only it
knows (``bot.web.gate``); only a context the bot signed for the clicker counts (``bot.web.buttons``).

A click is read the same way every time: the body and each field no longer than Mattermost sends them
(``bot.web.limits``; longer is a 4xx and one short log line), the signed context verified for the clicker
(no call to Mattermost for one the bot did not sign), then the clicker looked up with the bot's token
(``GET /users/{user_id}``): the audit and the target's notice name the username Mattermost returns, never
the request's ``user_name``, and a user Mattermost does not know gets a short answer and no audit line. The
lookup is remembered for the rest of the request (``MattermostAPI.remembering_users``), so the command's own
look at its caller costs nothing more. A button runs in the team of the command that made it (signed into
it): a click in a direct or group message comes with ``team_id ""``.

Mattermost cannot replace an ephemeral message through an action's ``update`` (the server's
``DoPostActionWithCookie`` sends every update to ``UpdatePost``, which fails for a post that is not
stored), so the result of a click is a new message only the clicker sees: ``ephemeral_text``, or, when
the result has buttons (a confirmation, the remaining sessions), an ephemeral post the bot creates
with ``POST /posts/ephemeral`` (which needs ``create_post_ephemeral``, held by system admins).
"""
from __future__ import annotations

import hmac
import logging
import re
from dataclasses import replace
from typing import Any, Literal

from flask import Blueprint, Response, abort, jsonify, request

from bot.core.audit import ended_by
from bot.core.errors import BotError, Refused, UnknownClicker, UpstreamRejected
from bot.core.invocation import Invocation
from bot.core.model import is_id
from bot.core.permissions import Refusal
from bot.ops import metrics
from bot.replies.errors import error_message
from bot.replies.values import Reply
from bot.web import limits
from bot.web.answers import signed_attachments, unexpected
from bot.web.edge import Pending
from bot.web.parts import parts
from bot.web.pipeline import handle, refused_event

log = logging.getLogger(__name__)

_ID_OR_EMPTY = re.compile(r"(?:[A-Za-z0-9]{26})?")


def _body_within_limit() -> bytes:
    """The body, refused with 413 when longer than a click can be (its length is known before it is read)."""
    if (request.content_length or 0) > limits.CLICK_BYTES:
        limits.refuse("click", "the body", limits.CLICK_BYTES)
        abort(413)
    request.max_content_length = limits.CLICK_BYTES  # a body sent without a length stops at the limit
    body = request.get_data(cache=True)
    if len(body) > limits.CLICK_BYTES:
        limits.refuse("click", "the body", limits.CLICK_BYTES)
        abort(413)
    return body


def _checked(data: dict[str, Any]) -> None:
    """400 unless every field is as Mattermost sends it: text within its length, ids that are ids."""
    field = limits.too_long(data, limits.CLICK_FIELDS)
    context = data.get("context")
    if field is None and context is not None:  # Mattermost sends the stored context: a JSON object, or nothing
        signed = context.get("signed") if isinstance(context, dict) else None
        if not isinstance(context, dict):
            field = "context"
        elif isinstance(signed, str) and len(signed) > limits.SIGNED:  # (not text at all: not the bot's, see verify)
            field = "context.signed"
    if field is not None:
        limits.refuse("click", field, limits.CLICK_FIELDS.get(field, limits.SIGNED))
        metrics.record_refusal("oversized_field")
        abort(400)
    ids_ok = is_id(data.get("user_id")) and all(
        _ID_OR_EMPTY.fullmatch(data.get(name) or "") for name in ("channel_id", "team_id", "post_id"))
    if not ids_ok:
        abort(400)


class ClickEdge:
    """``POST <actions_path>/<key>``: a click's JSON, answered with ``ephemeral_text`` or an ephemeral post."""

    via: Literal["slash", "button"] = "button"

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    def authenticate(self) -> Response | None:
        if request.mimetype != "application/json":
            abort(415)
        _body_within_limit()
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # nested deeper than the parser goes: not a request Mattermost sends
            abort(400)
        if not isinstance(data, dict):
            abort(400)
        _checked(data)
        self._data = data
        return None

    def read(self) -> Pending | Response:
        data = self._data
        clicked = Invocation(caller_id=data["user_id"], channel_id=data.get("channel_id") or "",
                             team_id=data.get("team_id") or "", via="button")
        bot = parts()
        try:
            click = bot.signer.verified(data.get("context"), clicked.caller_id)
        except BotError as error:
            # The log line only, never the audit channel, and without a call to Mattermost: a button the bot did
            # not sign (for this clicker, lately) runs nothing, so its user is not even looked up (nor named).
            bot.effects.record(None, details=(refused_event(clicked, "button", type(error).__name__),))
            metrics.record_refusal(type(error).__name__)
            return jsonify(ephemeral_text=error_message(error))
        try:
            clicker = bot.api.user(clicked.caller_id)
        except UpstreamRejected as rejected:
            if rejected.status != 404:
                return jsonify(ephemeral_text=error_message(rejected))
            metrics.record_refusal("unknown_clicker")
            return jsonify(ephemeral_text=error_message(UnknownClicker()))
        except BotError as error:
            return jsonify(ephemeral_text=error_message(error))
        invocation = replace(clicked, caller_username=clicker.username, team_id=click.team_id or clicked.team_id)
        if clicker.deactivated:  # as Mattermost would refuse them: they have no session at all
            refusal = Refused(Refusal.CALLER_DEACTIVATED, target=None)
            _result, reason = ended_by(refusal)
            bot.effects.record(None, details=(refused_event(invocation, "button", reason),))
            metrics.record_refusal(reason)
            return jsonify(ephemeral_text=error_message(refusal))
        return Pending(invocation, click.command)

    def answer(self, pending: Pending, reply: Reply) -> Response:
        invocation = pending.invocation
        if reply.attachments:
            try:
                attachments = signed_attachments(reply, invocation)
                parts().api.send_ephemeral_post(invocation.caller_id, invocation.channel_id, reply.text, attachments)
                return jsonify({})
            except BotError as error:  # e.g. the bot lacks create_post_ephemeral: the text alone still helps
                log.warning("could not show buttons after a click: %s", type(error).__name__)
        return jsonify(ephemeral_text=reply.text)


def blueprint(actions_path: str, key: str) -> Blueprint:
    """The button endpoint, served at ``<actions_path>/<key>`` (the front door lets only that key through; the
    route checks it again, so the app alone is no less strict). Its rule, ``/actions/<key>``, is what the
    metrics name it."""
    routes = Blueprint("clicks", __name__)

    def button_clicked(key: str) -> Response:
        """Run the command a signed button carries, for the clicker, if everything still allows it."""
        if not hmac.compare_digest(key.encode("latin-1", "replace"), expected):
            abort(404)
        return handle(ClickEdge())

    expected = key.encode("ascii")
    routes.add_url_rule(f"{actions_path.rstrip('/')}/<key>", view_func=button_clicked, methods=["POST"],
                        provide_automatic_options=False)
    routes.register_error_handler(Exception, lambda error: unexpected(error, lambda text: jsonify(ephemeral_text=text)))
    return routes
