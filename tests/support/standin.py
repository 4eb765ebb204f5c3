"""A tiny client for specifying the stand-in on the wire, as any HTTP client sees it."""
from __future__ import annotations

from typing import Any

import requests

from bot.sandbox import World
from bot.sandbox.ids import is_valid_id

NOW_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
UNKNOWN_ID = "x" * 26


class Api:
    """A tiny client: one token, JSON in, ``requests.Response`` out."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base = base + "/api/v4"
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, timeout=5, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return requests.post(self.base + path, json=body, headers=self.headers, timeout=5, **kwargs)


def as_user(world: World, url: str, username: str) -> Api:
    return Api(url, world.bot_token if username == "sessionsbot" else world.token_of(username))


def assert_app_error(response: requests.Response, status: int, error_id: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["id"] == error_id
    assert body["status_code"] == status
    assert body["message"] and body["detailed_error"] == ""
    assert is_valid_id(body["request_id"]) and response.headers["X-Request-Id"] == body["request_id"]
    return body
