"""``POST /hooks/commands/{id}``: a slash command's late replies, sent to its ``response_url``.

Sources (MATTERMOST.md §1.5): MM ``server/channels/web/webhook.go`` (``InitWebhooks``: the route, outside
``/api/v4`` and needing no session, as the hook id is the credential; ``commandWebhook``: the body is
read with ``CommandResponseFromHTTPBody``, 400 ``web.command_webhook.parse.app_error`` when it does not
decode, and success is 200 ``text/plain`` ``ok``) and ``server/channels/app/webhook.go``
(``HandleCommandWebhook``: find the hook, use it once more, then ``HandleCommandResponse`` posts the
reply exactly as for the command's own answer).
"""
from __future__ import annotations

from flask import Flask, Response, request

from .command_responses import command_response_from_http_body, post_hook_reply
from .wire import AppError
from .world import World


def add_hook_routes(app: Flask, world: World) -> None:
    """Serve ``POST /hooks/commands/{id}`` from ``world`` on ``app``."""

    @app.post('/hooks/commands/<re("[A-Za-z0-9]+"):hook_id>')
    def command_webhook(hook_id: str) -> Response:
        try:
            _response, reply = command_response_from_http_body(request.content_type or "", request.get_data())
        except ValueError:
            raise AppError("web.command_webhook.parse.app_error", 400) from None
        post_hook_reply(world, world.use_command_webhook(hook_id), reply)
        return Response(b"ok", content_type="text/plain")
