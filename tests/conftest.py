"""Fixtures: the Mattermost stand-in and the real bot, each serving real HTTP on loopback."""
from __future__ import annotations

import os
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

from bot.app import create_app
from bot.sandbox import SandboxServer, SlashResult, World, run_slash_command
from bot.sandbox.background import BackgroundServer
from tests.support.contract import ContractUnavailable, assert_exchanges_match_contract, load_contract
from tests.support.settings import COMMAND_TOKEN, bot_settings

# Generated cases: no per-example deadline (loopback HTTP is noisy on a 2-core machine), examples drawn
# from a fixed seed so CI is reproducible; HYPOTHESIS_PROFILE=deep explores more and differently.
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("deep", parent=settings.get_profile("ci"), derandomize=False, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def world() -> World:
    """A fresh, seeded Mattermost deployment (users, roles, sessions)."""
    return World.seeded()


@pytest.fixture
def mattermost(world: World) -> Iterator[SandboxServer]:
    """The stand-in serving ``world``; afterwards, every exchange it had is checked against Mattermost's OpenAPI description."""
    server = SandboxServer(world)
    server.start()
    yield server
    server.stop()
    try:
        load_contract()
    except ContractUnavailable:
        return  # tests/test_contract.py reports the skip and its reason
    assert_exchanges_match_contract(e for e in world.exchanges if not e.notes)


@pytest.fixture
def bot(world: World, mattermost: SandboxServer) -> Iterator[BackgroundServer]:
    """The real bot app (real mattermostdriver, real HTTP) pointed at the stand-in."""
    app = create_app(bot_settings(mattermost.url, world.bot_token))
    with BackgroundServer(app) as server:
        yield server


@pytest.fixture
def slash(world: World, bot: BackgroundServer) -> Callable[..., SlashResult]:
    """Type ``/sessions <text>`` as ``username``, the way Mattermost sends it; returns what the user sees."""

    def run(username: str, text: str = "", **options: Any) -> SlashResult:
        return run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, username, text, **options)

    return run


@pytest.fixture
def make_bot(world: World, mattermost: SandboxServer) -> Iterator[Callable[..., BackgroundServer]]:
    """Start bots with extra settings; ``BOT_PUBLIC_URL`` is the bot's own URL, so its buttons work."""
    servers: list[BackgroundServer] = []

    def start(**overrides: Any) -> BackgroundServer:
        server = BackgroundServer.knowing_its_url(
            lambda url: create_app(bot_settings(mattermost.url, world.bot_token, bot_public_url=url, **overrides))
        )
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def button_bot(make_bot: Callable[..., BackgroundServer]) -> BackgroundServer:
    """A bot with buttons enabled and default notification and audit settings."""
    return make_bot()
