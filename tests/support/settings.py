"""Settings for a bot under test (environment variables are not consulted for these)."""
from __future__ import annotations

from typing import Any

from bot.ops.config import Settings, load_settings
from bot.web.gate import action_key, action_route

COMMAND_TOKEN = "cmdtoken7q3xk9wz1m5p8r2t6v4y"
BOT_SECRET = "test-secret-that-is-long-enough-for-hmac-use"


def bot_settings(mattermost_url: str, bot_token: str, **overrides: Any) -> Settings:
    """Settings for a bot talking to ``mattermost_url`` with ``bot_token``; ``overrides`` win."""
    values: dict[str, Any] = {
        "mattermost_url": mattermost_url,
        "mattermost_token": bot_token,
        "slash_command_tokens": COMMAND_TOKEN,
        "bot_secret": BOT_SECRET,
        "mattermost_timeout_s": 2.0,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return load_settings(**values)


def actions_url(bot_url: str, secret: str = BOT_SECRET) -> str:
    """Where a bot at ``bot_url`` with ``secret`` as its ``BOT_SECRET`` serves button clicks (``bot.web.gate``)."""
    return bot_url + action_route("/actions", action_key(secret))
