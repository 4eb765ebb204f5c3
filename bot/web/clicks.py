"""The HTTP edge of buttons: Mattermost posts a click here (unsigned, §2.2); the bot checks it and answers.

Mattermost cannot replace an ephemeral message through an action's ``update`` (the server's
``DoPostActionWithCookie`` sends every update to ``UpdatePost``, which fails for a post that is not
stored), so the result of a click is a new message only the clicker sees: ``ephemeral_text``, or, when
the result has buttons (a confirmation, the remaining sessions), an ephemeral post the bot creates
with ``POST /posts/ephemeral`` (which needs ``create_post_ephemeral``, held by system admins).
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, jsonify, request

from bot.ops import metrics
from bot.replies.errors import error_message, slow_down
from bot.core.errors import BotError
from bot.core.model import is_id
from bot.web.parts import BotParts
from bot.core.invocation import Invocation
from bot.web.slash import rate_limited, refused_event, run, signed_attachments, unexpected

log = logging.getLogger(__name__)

def button_clicked() -> Response:
    """Run the command a signed button carries, for the clicker, if everything still allows it."""
    if request.mimetype != "application/json":
        abort(415)
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: not a request Mattermost sends
        abort(400)
    if not isinstance(data, dict) or not is_id(data.get("user_id")):
        abort(400)
    invocation = Invocation(
        caller_id=data["user_id"],
        caller_username=str(data.get("user_name", "")),
        channel_id=str(data.get("channel_id", "")),
        team_id=str(data.get("team_id", "")),
        via="button",
    )
    bot: BotParts = current_app.extensions["sessions_bot"]
    try:
        command = bot.signer.verify(data.get("context"), invocation.caller_id)
    except BotError as error:
        # The log line only, never the audit channel: nothing in this request is vouched for (its user is only
        # claimed), so it must not make the bot call Mattermost, let alone post a line naming that user.
        bot.effects.record(None, details=(refused_event(invocation, "button", type(error).__name__),))
        metrics.record_refusal(type(error).__name__)
        return jsonify(ephemeral_text=error_message(error))
    limited = rate_limited(invocation, command)
    if limited is not None:
        return jsonify(ephemeral_text=slow_down(limited.retry_after_s, limited.limit))
    reply = run(invocation, command)
    if reply.attachments:
        try:
            attachments = signed_attachments(reply, invocation.caller_id)
            bot.api.send_ephemeral_post(invocation.caller_id, invocation.channel_id, reply.text, attachments)
            return jsonify({})
        except BotError as error:  # e.g. the bot lacks create_post_ephemeral: the text alone still helps
            log.warning("could not show buttons after a click: %s", type(error).__name__)
    return jsonify(ephemeral_text=reply.text)


def blueprint(path: str) -> Blueprint:
    """The button endpoint, served at ``path`` (the manifest's ``actions_path``)."""
    routes = Blueprint("clicks", __name__)
    routes.add_url_rule(path, view_func=button_clicked, methods=["POST"], provide_automatic_options=False)
    routes.register_error_handler(Exception, lambda error: unexpected(error, lambda text: jsonify(ephemeral_text=text)))
    return routes
