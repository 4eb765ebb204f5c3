"""The Mattermost stand-in and the bot under test, in process (the default) or on loopback sockets.

In process, the real mattermostdriver and requests reach the stand-in's WSGI app through a transport
adapter, and Mattermost's own caller of integrations reaches the bot's Flask app the same way
(``bot.sandbox.inprocess``): no socket, no server thread, and virtual time, so a fault's delay or a
``Retry-After`` costs nothing while still timing out or being waited out. A test marked
``@pytest.mark.sockets`` gets both on real loopback sockets and real time instead; one marked
``@pytest.mark.real_time`` stays in process but waits for real (a slow Mattermost the bot's own clock
must notice, such as its reply budget).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

import pytest
from flask import Flask

from bot.mattermost.client import MattermostAPI
from bot.sandbox import InProcessSandbox, InProcessServer, SandboxServer, World
from bot.sandbox.background import BackgroundServer
from bot.web.app import create_app
from tests.support.settings import bot_settings

StandIn = SandboxServer | InProcessSandbox
BotServer = BackgroundServer | InProcessServer


@dataclass
class Waits:
    """A ``sleep`` that does not sleep: the bot's waits (e.g. out a 429's ``Retry-After``), in seconds, in order."""

    seconds: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@dataclass(frozen=True)
class Mode:
    """How a test's stand-in and bots run: on sockets or in process, in real or virtual time."""

    sockets: bool
    real_time: bool

    @classmethod
    def of(cls, node: pytest.Item) -> Mode:
        sockets = node.get_closest_marker("sockets") is not None
        return cls(sockets=sockets, real_time=sockets or node.get_closest_marker("real_time") is not None)


def start_stand_in(world: World, mode: Mode) -> StandIn:
    """The stand-in serving ``world``, started."""
    world.network.real_time = mode.real_time
    server: StandIn = SandboxServer(world) if mode.sockets else InProcessSandbox(world)
    server.start()
    return server


API = TypeVar("API", bound=MattermostAPI)


def bot_api(world: World, mattermost_url: str, mode: Mode, *, cls: type[API] = MattermostAPI,  # type: ignore[assignment]
            token: str | None = None, **overrides: Any) -> API:
    """The bot's Mattermost client (``cls``, with the bot's token unless ``token``) for the stand-in at
    ``mattermost_url``; in process it is routed on the world's network."""
    settings = bot_settings(mattermost_url, world.bot_token if token is None else token, **overrides)
    return cls(settings) if mode.sockets else cls(settings, http=world.network.session())


def bot_app(world: World, mattermost_url: str, mode: Mode, waits: Waits, **overrides: Any) -> Flask:
    """The real bot's app for the stand-in at ``mattermost_url``; ``overrides`` are settings. In process its
    Mattermost session is routed on the world's network, and it waits with ``waits`` unless time is real."""
    settings = bot_settings(mattermost_url, world.bot_token, **overrides)
    sleep: Callable[[float], None] = time.sleep if mode.real_time else waits
    if mode.sockets:
        return create_app(settings, sleep=sleep)
    return create_app(settings, api=MattermostAPI(settings, http=world.network.session()), sleep=sleep)


def serve_bot(world: World, mode: Mode, build: Callable[[str], Flask]) -> BotServer:
    """Serve the app ``build(its own base URL)`` returns, started."""
    server: BotServer
    if mode.sockets:
        server = BackgroundServer.knowing_its_url(build)
    else:
        server = InProcessServer.knowing_its_url(world.network, build, "bot")
    server.start()
    return server
