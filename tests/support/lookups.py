"""Looking things up in the stand-in's world and in what the bot logged, the same way in every test."""
from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox import World


def uid(world: World, username: str) -> str:
    """The id of the user called ``username``."""
    return world.user_by_username(username)["id"]


def session_ids(world: World, username: str) -> set[str]:
    """The ids of the user's sessions, as Mattermost holds them now."""
    return {s["id"] for s in world.sessions_of(uid(world, username))}


def live(world: World, username: str) -> int:
    """How many sessions the user has now."""
    return len(world.sessions_of(uid(world, username)))


def audit_records(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The audit lines the bot wrote (``bot.audit``), oldest first."""
    return [r.audit for r in caplog.records if r.name == "bot.audit"]
