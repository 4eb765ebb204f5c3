"""Fixtures of the stand-in's own specification: a world starting at a fixed time, the stand-in serving it
on a real socket (``url``), and a throwaway integration for it to call."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from flask import Flask, jsonify, request

from bot.sandbox import SandboxServer, World
from bot.sandbox.background import BackgroundServer
from tests.support.standin import NOW_MS


@pytest.fixture
def world() -> World:
    return World.seeded(NOW_MS)


@pytest.fixture
def url(world: World) -> Iterator[str]:
    with SandboxServer(world) as server:
        yield server.url


@pytest.fixture
def integration() -> Iterator[tuple[str, list[dict[str, Any]], Callable[[Callable[[], Any]], None]]]:
    """A throwaway bot: records each request and answers with whatever handler the test sets."""
    app = Flask("fake_bot")
    seen: list[dict[str, Any]] = []
    handler: list[Callable[[], Any]] = [lambda: jsonify({"text": "ok"})]

    @app.route("/command", methods=["GET", "POST"])
    def command() -> Any:
        seen.append({"method": request.method, "headers": dict(request.headers),
                     "form": request.form.to_dict(flat=False), "args": request.args.to_dict(flat=False),
                     "body": request.get_data()})
        return handler[0]()

    with BackgroundServer(app) as server:
        yield server.url + "/command", seen, lambda h: handler.__setitem__(0, h)
