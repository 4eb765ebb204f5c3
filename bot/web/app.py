"""The application factory: settings in, a ready Flask app out."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from flask import Flask, abort, request
from werkzeug.exceptions import HTTPException

from bot.features.context import Context
from bot.mattermost.client import MattermostAPI
from bot.mattermost.http import POOL_SIZE
from bot.ops import metrics
from bot.ops.config import Settings, load_settings
from bot.ops.logs import configure_logging, init_request_ids, redact
from bot.ops.manifest import Manifest, load_manifest
from bot.ops.ratelimit import Limits
from bot.web import clicks, probes, slash
from bot.web.answers import plain_error
from bot.web.buttons import ButtonSigner
from bot.web.effects import Effects
from bot.web.gate import SHOWN_KEY, FrontDoor, action_key
from bot.web.parts import BotParts
from bot.web.readiness import Readiness

#: Mattermost's form is a few hundred bytes; anything over this is not from Mattermost.
MAX_REQUEST_BYTES = 64 * 1024


def refuse_oversized_chunked_body() -> None:
    """413 for a body sent without a length (``Transfer-Encoding: chunked``) that reaches ``MAX_REQUEST_BYTES``.

    Werkzeug enforces ``MAX_CONTENT_LENGTH`` against ``Content-Length`` only; a chunked body is silently cut at
    the limit, and the form or JSON parsed from what is left (dropping, say, a second ``token`` field). Mattermost
    always sends a length, so such a body is simply refused, as one with a length over the limit is.
    """
    if request.content_length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        if len(request.get_data(cache=True)) >= MAX_REQUEST_BYTES:
            abort(413)


def create_app(settings: Settings | None = None, *, api: MattermostAPI | None = None,
               manifest: Manifest | None = None, sleep: Callable[[float], None] = time.sleep) -> Flask:
    """Build the bot's Flask app; settings are read from the environment and the manifest from
    ``manifest/`` when not given. The manifest's paths are where the command and clicks are served.
    ``sleep`` is how the bot waits out Mattermost's rate limit (tests pass one that does not wait)."""
    settings = settings or load_settings()
    manifest = manifest or load_manifest()
    configure_logging(settings.log_level)
    app = Flask(__name__, static_folder=None)  # no files to serve: no /static/<path> route
    # Exactly the paths registered, nothing "cleaned up": merging slashes answers `//x` with a redirect whose
    # host Werkzeug takes from the request's Host header.
    app.url_map.merge_slashes = False
    init_request_ids(app)
    app.before_request(refuse_oversized_chunked_body)
    app.config.update(MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES, SLASH_COMMAND_TOKENS=settings.slash_command_tokens)
    api = api or MattermostAPI(settings)
    key = action_key(settings.bot_secret.get_secret_value())
    redact(key, SHOWN_KEY, ("werkzeug", app.logger.name))  # the development server's request lines, Flask's own
    app.extensions["sessions_bot"] = BotParts(
        api=api,
        features=Context(api, settings.bot_secret.get_secret_value(), sleep=sleep),
        effects=Effects(api, notify_targets=settings.notify_targets, audit_channel_id=settings.audit_channel_id),
        signer=ButtonSigner(settings.bot_secret.get_secret_value()),
        action_url=manifest.actions_url(settings.bot_public_url, key) if settings.bot_public_url else "",
        limits=Limits.of(settings.revoke_rate_limit, settings.lookup_rate_limit,
                         settings.rate_limit_storage_uri.get_secret_value()),
        # As many commands run at once as there are pooled connections to Mattermost; more wait their turn.
        jobs=ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="sessions-command"),
        reply_budget_s=settings.reply_budget_s,
        readiness=Readiness(api),
    )
    app.register_blueprint(slash.blueprint(manifest.url_path))
    app.register_blueprint(clicks.blueprint(manifest.actions_path, key))
    app.register_error_handler(HTTPException, plain_error)
    app.register_blueprint(probes.blueprint)
    metrics.register(app, token=settings.metrics_token.get_secret_value() if settings.metrics_token else None)
    # In front of everything: only the paths registered above (and the action path with its key) reach the app.
    served = [rule.rule for rule in app.url_map.iter_rules() if not rule.arguments]
    app.wsgi_app = FrontDoor(app.wsgi_app, served=served, actions_path=manifest.actions_path, key=key)  # type: ignore[method-assign]
    return app
