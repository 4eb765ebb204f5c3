"""The buttons' edge: Mattermost posts a click here, unsigned (../shared/MATTERMOST.md §2.2); only a context the
bot signed for the clicker counts (``bot.web.buttons``).

Mattermost cannot replace an ephemeral message through an action's ``update`` (the server's
``DoPostActionWithCookie`` sends every update to ``UpdatePost``, which fails for a post that is not
stored), so the result of a click is a new message only the clicker sees: ``ephemeral_text``, or, when
the result has buttons (a confirmation, the remaining sessions), an ephemeral post the bot creates
with ``POST /posts/ephemeral`` (which needs ``create_post_ephemeral``, held by system admins).
"""
from __future__ import annotations

import logging
from typing import Any, Literal

from flask import Blueprint, Response, abort, jsonify, request

from bot.core.errors import BotError
from bot.core.invocation import Invocation
from bot.core.model import is_id
from bot.ops import metrics
from bot.replies.errors import error_message
from bot.replies.values import Reply
from bot.web.answers import signed_attachments, unexpected
from bot.web.edge import Pending
from bot.web.parts import parts
from bot.web.pipeline import handle, refused_event

log = logging.getLogger(__name__)


class ClickEdge:
    """``POST <actions_path>``: a click's JSON, answered with ``ephemeral_text`` or an ephemeral post."""

    via: Literal["slash", "button"] = "button"

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    def authenticate(self) -> Response | None:
        if request.mimetype != "application/json":
            abort(415)
        try:
            data = request.get_json(silent=True)
        except RecursionError:  # nested deeper than the parser goes: not a request Mattermost sends
            abort(400)
        if not isinstance(data, dict) or not is_id(data.get("user_id")):
            abort(400)
        self._data = data
        return None

    def read(self) -> Pending | Response:
        data = self._data
        invocation = Invocation(caller_id=data["user_id"], caller_username=str(data.get("user_name", "")),
                                channel_id=str(data.get("channel_id", "")), team_id=str(data.get("team_id", "")),
                                via="button")
        bot = parts()
        try:
            command = bot.signer.verify(data.get("context"), invocation.caller_id)
        except BotError as error:
            # The log line only, never the audit channel: nothing in this request is vouched for (its user is only
            # claimed), so it must not make the bot call Mattermost, let alone post a line naming that user.
            bot.effects.record(None, details=(refused_event(invocation, "button", type(error).__name__),))
            metrics.record_refusal(type(error).__name__)
            return jsonify(ephemeral_text=error_message(error))
        return Pending(invocation, command)

    def answer(self, pending: Pending, reply: Reply) -> Response:
        invocation = pending.invocation
        if reply.attachments:
            try:
                attachments = signed_attachments(reply, invocation.caller_id)
                parts().api.send_ephemeral_post(invocation.caller_id, invocation.channel_id, reply.text, attachments)
                return jsonify({})
            except BotError as error:  # e.g. the bot lacks create_post_ephemeral: the text alone still helps
                log.warning("could not show buttons after a click: %s", type(error).__name__)
        return jsonify(ephemeral_text=reply.text)


def button_clicked() -> Response:
    """Run the command a signed button carries, for the clicker, if everything still allows it."""
    return handle(ClickEdge())


def blueprint(path: str) -> Blueprint:
    """The button endpoint, served at ``path`` (the manifest's ``actions_path``)."""
    routes = Blueprint("clicks", __name__)
    routes.add_url_rule(path, view_func=button_clicked, methods=["POST"], provide_automatic_options=False)
    routes.register_error_handler(Exception, lambda error: unexpected(error, lambda text: jsonify(ephemeral_text=text)))
    return routes
