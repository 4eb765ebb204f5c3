"""The long-lived pieces one app instance is built from (created once by the factory, shared by routes)."""
from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from flask import current_app

from bot.features.context import Context
from bot.mattermost.client import MattermostAPI
from bot.ops.ratelimit import Limits
from bot.web.buttons import ButtonSigner
from bot.web.effects import Effects
from bot.web.readiness import Readiness


@dataclass(frozen=True)
class BotParts:
    """The Mattermost API, what the features run with, their side effects, the button signer with the URL clicks
    come back to (none: replies have no buttons), the per-user rate limits, the bounded pool commands run on, with
    how long a reply waits for them (``REPLY_BUDGET_S``), and whether Mattermost answers (for ``/readyz``)."""

    api: MattermostAPI
    features: Context
    effects: Effects
    signer: ButtonSigner
    limits: Limits
    action_url: str
    jobs: Executor
    reply_budget_s: float
    readiness: Readiness


def parts() -> BotParts:
    """The long-lived pieces of the app serving this request (or this app context)."""
    return current_app.extensions["sessions_bot"]
