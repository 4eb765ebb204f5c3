"""How the Mattermost server calls an integration (slash command or action URL) over HTTP.

Sources: MM ``server/channels/app/command.go`` (``DoCommandRequest``),
``server/channels/app/integration_action.go`` (``DoActionRequest``), ``server/channels/app/webhook.go``
(``MaxIntegrationResponseSize``) and ``server/public/model/command_args.go`` /
``integration_action.go`` (``GenerateTriggerId``).
"""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from .inprocess import Network
    from .world import World

MAX_INTEGRATION_RESPONSE_SIZE = 1024 * 1024
GO_CLIENT_HEADERS = {"User-Agent": "Go-http-client/1.1", "Accept-Encoding": "gzip"}
"""What Go's ``http.Client`` adds to every request on its own."""


@dataclass(frozen=True)
class Answer:
    """An integration's HTTP answer: status, reason phrase, ``Content-Type`` and (at most 1 MiB of)
    body; ``status`` 0 when it could not be reached (connection refused or dropped, timeout)."""

    status: int
    reason: str
    content_type: str
    body: bytes
    elapsed_s: float


def call_integration(method: str, url: str, headers: dict[str, str], data: str | bytes | None,
                     timeout_s: float, network: Network | None = None) -> Answer:
    """Send one request with exactly ``headers`` (plus Go's own) and no proxy from the environment,
    then read at most ``MAX_INTEGRATION_RESPONSE_SIZE`` bytes of the answer. Never raises for
    network trouble. ``network``'s apps are reached in process (see :mod:`.inprocess`)."""
    started = time.monotonic()
    with requests.Session() as http:
        http.headers.clear()
        http.trust_env = False
        if network is not None:
            network.mount_on(http)
        try:
            with http.request(method, url, data=data, headers={**GO_CLIENT_HEADERS, **headers},
                              timeout=timeout_s, stream=True, allow_redirects=True) as answer:
                body = answer.raw.read(MAX_INTEGRATION_RESPONSE_SIZE, decode_content=True)
        except (requests.RequestException, OSError):
            return Answer(0, "", "", b"", time.monotonic() - started)
    return Answer(answer.status_code, answer.reason or "", answer.headers.get("Content-Type", ""), body,
                  time.monotonic() - started)


def trigger_id(world: World, user_id: str) -> str:
    """An opaque id shaped like ``GenerateTriggerId``'s: base64 of ``clientId:userId:millis:`` + signature."""
    data = f"{world.new_id()}:{user_id}:{world.now_ms()}:"
    signature = base64.b64encode((world.new_id() * 3)[:70].encode("ascii")).decode("ascii")
    return base64.b64encode((data + signature).encode("ascii")).decode("ascii")
