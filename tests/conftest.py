"""Fixtures: the Mattermost stand-in and the real bot, talking HTTP in process by default, on loopback
sockets for tests marked ``sockets`` (see ``tests/support/stack.py``)."""
from __future__ import annotations

import os
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

from bot.mattermost.client import MattermostAPI
from bot.sandbox import SlashResult, World, run_slash_command
from tests.support.contract import (
    ContractUnavailable,
    assert_exchanges_match_contract,
    load_contract,
)
from tests.support.settings import COMMAND_TOKEN
from tests.support.stack import (
    BotServer,
    Mode,
    StandIn,
    Waits,
    bot_api,
    bot_app,
    serve_bot,
    start_stand_in,
)

# Generated cases: no per-example deadline (loopback HTTP is noisy on a 2-core machine), examples drawn
# from a fixed seed so CI is reproducible; HYPOTHESIS_PROFILE=deep explores more and differently.
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("deep", parent=settings.get_profile("ci"), derandomize=False, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sockets: the stand-in and the bot on real loopback sockets, in real time "
                                       "(for what only sockets show; each module says why)")
    config.addinivalue_line("markers", "real_time: in process, but every wait is real (a slow Mattermost the "
                                       "bot's own clock must notice)")


@pytest.fixture
def mode(request: pytest.FixtureRequest) -> Mode:
    """In process with virtual time, unless the test is marked ``sockets`` or ``real_time``."""
    return Mode.of(request.node)


@pytest.fixture
def world() -> World:
    """A fresh, seeded Mattermost deployment (users, roles, sessions)."""
    return World.seeded()


@pytest.fixture
def bot_waits() -> Waits:
    """What the bot waited (out a 429, say), in seconds: in virtual time it records instead of sleeping."""
    return Waits()


@pytest.fixture
def mattermost(world: World, mode: Mode) -> Iterator[StandIn]:
    """The stand-in serving ``world``; afterwards, every exchange it had is checked against Mattermost's OpenAPI description."""
    server = start_stand_in(world, mode)
    yield server
    server.stop()
    try:
        load_contract()
    except ContractUnavailable:
        return  # tests/test_contract.py reports the skip and its reason
    assert_exchanges_match_contract(e for e in world.exchanges if not e.notes)


@pytest.fixture
def api(world: World, mattermost: StandIn, mode: Mode) -> MattermostAPI:
    """The bot's own Mattermost client (real mattermostdriver) for the stand-in, without the bot around it."""
    return bot_api(world, mattermost.url, mode)


@pytest.fixture
def make_bot(world: World, mattermost: StandIn, mode: Mode, bot_waits: Waits) -> Iterator[Callable[..., BotServer]]:
    """Start bots with extra settings; ``BOT_PUBLIC_URL`` is the bot's own URL, so its buttons work."""
    servers: list[BotServer] = []

    def start(**overrides: Any) -> BotServer:
        server = serve_bot(world, mode, lambda url: bot_app(world, mattermost.url, mode, bot_waits,
                                                             bot_public_url=url, **overrides))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def bot(world: World, mattermost: StandIn, mode: Mode, bot_waits: Waits) -> Iterator[BotServer]:
    """The real bot app (real mattermostdriver) pointed at the stand-in, without buttons."""
    server = serve_bot(world, mode, lambda _url: bot_app(world, mattermost.url, mode, bot_waits))
    yield server
    server.stop()


@pytest.fixture
def slash(world: World, bot: BotServer) -> Callable[..., SlashResult]:
    """Type ``/sessions <text>`` as ``username``, the way Mattermost sends it; returns what the user sees."""

    def run(username: str, text: str = "", **options: Any) -> SlashResult:
        return run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, username, text, **options)

    return run


@pytest.fixture
def button_bot(make_bot: Callable[..., BotServer]) -> BotServer:
    """A bot with buttons enabled and default notification and audit settings."""
    return make_bot()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per core, plus one, because part of the suite waits on real sockets and timers
    (gunicorn, the benchmark, deferral) and the extra worker keeps the cores busy meanwhile."""
    return (os.cpu_count() or 1) + 1
