"""The long-lived pieces one app instance is built from (created once by the factory, shared by routes)."""
from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from bot.web.buttons import ButtonSigner
from bot.web.effects import Effects
from bot.mattermost.client import MattermostAPI
from bot.ops.ratelimit import RevokeLimiter
from bot.features.sessions import SessionsService


@dataclass(frozen=True)
class BotParts:
    """The Mattermost API, the service, its side effects, the button signer with the URL clicks come back to,
    and the bounded pool commands run on, with how long a reply waits for them (``REPLY_BUDGET_S``)."""

    api: MattermostAPI
    service: SessionsService
    effects: Effects
    signer: ButtonSigner
    limiter: RevokeLimiter
    action_url: str
    jobs: Executor
    reply_budget_s: float
