"""The Mattermost client: one keep-alive pool, a timeout, no retries, safe paths, cached roles.

On sockets, against a bare HTTP/1.1 server from the standard library (not the stand-in): keep-alive reuse, a
real timeout and a closed port are properties of the connection itself, which no in-process transport has."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from bot.core.errors import (
    BotTokenRejected,
    MattermostUnreachable,
    UpstreamMalformed,
    UpstreamRejected,
)
from bot.mattermost.client import MattermostAPI
from tests.support.settings import bot_settings

USER = {"id": "u" * 26, "username": "alice", "email": "a@example.com", "roles": "system_user", "delete_at": 0}


class Recorder(BaseHTTPRequestHandler):
    """A tiny Mattermost-like HTTP/1.1 server (keep-alive, unlike Werkzeug's) that remembers what arrived."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, int]]  # (method, raw path, client port)
    delay_s: float

    def log_message(self, *args: object) -> None:
        """Quiet."""

    def _answer(self, status: int, body: object, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except BrokenPipeError:  # the client gave up waiting: that is what the timeout test wants
            pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.seen.append((self.command, self.path, self.client_address[1]))
        time.sleep(self.delay_s)
        if "/members?" in self.path:  # 450 members in pages of at most per_page
            query = dict(part.split("=") for part in self.path.split("?", 1)[1].split("&"))
            first = int(query["page"]) * int(query["per_page"])
            members = [{"user_id": f"{n:026d}"} for n in range(first, min(first + int(query["per_page"]), 450))]
            self._answer(200, members)
        elif self.path.endswith("unauthorized"):
            self._answer(401, {"id": "api.context.session_expired.app_error", "status_code": 401})
        elif self.path.endswith("notjson"):
            self._answer(200, b"<html>proxy error</html>", "text/html")
        elif self.path.endswith("truncated"):  # promises more than it sends, then hangs up
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"id": "')
            self.close_connection = True
        else:
            self._answer(200, USER)

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.command, self.path, self.client_address[1]))
        if self.path.endswith("roles/names"):
            self._answer(200, [{"name": n, "permissions": [f"{n}_perm"], "delete_at": 0} for n in json.loads(body)])
        else:
            self._answer(400, {"id": "app.session.get.app_error", "status_code": 400})


TIMEOUT_S = 0.2


@pytest.fixture
def recorder() -> Iterator[tuple[type[Recorder], MattermostAPI]]:
    handler = type("Handler", (Recorder,), {"seen": [], "delay_s": 0.0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)  # (stops within 20 ms)
    thread.start()
    try:
        yield handler, MattermostAPI(bot_settings(f"http://127.0.0.1:{server.server_port}", "bot-token",
                                                  mattermost_timeout_s=TIMEOUT_S))
    finally:
        server.shutdown()
        server.server_close()


def test_calls_reuse_one_keep_alive_connection(recorder):
    rec, api = recorder
    for _ in range(5):
        api.user("u" * 26)
    assert len({port for _, _, port in rec.seen}) == 1


def test_usernames_and_emails_are_percent_encoded_into_the_path(recorder):
    rec, api = recorder
    api.user_by_username("a/../b")
    api.user_by_email("x+y@example.com")
    assert rec.seen[0][1] == "/api/v4/users/username/a%2F..%2Fb"
    assert rec.seen[1][1] == "/api/v4/users/email/x%2By%40example.com"


def test_role_definitions_are_fetched_with_post_once_and_then_cached(recorder):
    rec, api = recorder
    first = api.permissions_of_roles(["system_user", "system_admin"])
    second = api.permissions_of_roles(["system_admin"])
    assert first["system_admin"] == {"system_admin_perm"} and second == {"system_admin": frozenset({"system_admin_perm"})}
    assert [(m, p) for m, p, _ in rec.seen] == [("POST", "/api/v4/roles/names")]


def test_a_failed_post_is_not_retried(recorder):
    rec, api = recorder
    with pytest.raises(UpstreamRejected) as error:
        api.revoke_session("u" * 26, "s" * 26)
    assert (error.value.status, error.value.error_id) == (400, "app.session.get.app_error")
    assert len(rec.seen) == 1


def test_a_slow_server_raises_unreachable_after_the_timeout(recorder):
    rec, api = recorder
    rec.delay_s = 3 * TIMEOUT_S
    started = time.monotonic()
    with pytest.raises(MattermostUnreachable, match=f"within {TIMEOUT_S:g} s"):
        api.sessions("u" * 26)
    assert TIMEOUT_S <= time.monotonic() - started < rec.delay_s  # cut off at the timeout, not at the answer


def test_a_401_means_the_bots_token_was_rejected(recorder):
    _, api = recorder
    with pytest.raises(BotTokenRejected):
        api._user("/unauthorized")


def test_a_non_json_answer_is_reported_as_malformed(recorder):
    _, api = recorder
    with pytest.raises(UpstreamMalformed):
        api._user("/notjson")


def test_an_answer_that_breaks_off_is_unreachable_in_plain_words_with_the_cause_kept_for_the_log(recorder):
    _, api = recorder
    with pytest.raises(MattermostUnreachable) as error:
        api._user("/truncated")
    assert (error.value.detail, error.value.cause) == ("its answer broke off or could not be read", "ChunkedEncodingError")


def test_a_closed_port_raises_unreachable():
    api = MattermostAPI(bot_settings("http://127.0.0.1:9", "bot-token", mattermost_timeout_s=0.5))
    with pytest.raises(MattermostUnreachable, match="connection failed"):
        api.sessions("u" * 26)


def test_the_proxy_and_ca_settings_are_read_from_the_environment_once(monkeypatch):
    from bot.mattermost.http import new_http_session

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/company-ca.pem")
    http = new_http_session("https://chat.example.com")
    assert http.proxies.get("https") == "http://proxy.internal:3128" and http.verify == "/etc/ssl/company-ca.pem"
    assert http.trust_env is False  # so requests does not scan the environment again on every call
    assert new_http_session("https://localhost:8065").proxies == {}


def test_channel_members_are_read_page_after_page_until_a_short_page(recorder):
    rec, api = recorder
    members = api.channel_member_ids("c" * 26, limit=1000)
    assert members == [f"{n:026d}" for n in range(450)]
    assert [p for _, p, _ in rec.seen] == [f"/api/v4/channels/{'c' * 26}/members?page={n}&per_page=200" for n in range(3)]


def test_paging_stops_at_the_limit(recorder):
    rec, api = recorder
    assert len(api.channel_member_ids("c" * 26, limit=200)) == 200
    assert len(rec.seen) == 1
