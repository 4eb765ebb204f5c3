"""bot.ops.ratelimit: revoking requests and lookups are limited per caller, answered with 200 and a friendly ephemeral reply."""
from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from typing import Iterator

import pytest
from flask import Flask, Response, abort, jsonify, request

from bot.core.commands import (
    Cancel,
    ListSessions,
    RevokeSession,
    is_lookup,
    is_revoking,
)
from bot.core.invocation import Invocation
from bot.core.parse import parse
from bot.features import dispatch
from bot.features.context import Context
from bot.mattermost.client import MattermostAPI
from bot.ops.ratelimit import (
    DEFAULT_LIMIT,
    DEFAULT_LOOKUP_LIMIT,
    Limits,
    RateLimiter,
    RateLimitResult,
    validate_limit,
    validate_storage_uri,
)
from bot.replies.errors import slow_down
from bot.replies.rendering import render
from bot.sandbox import World, run_slash_command, send_action
from bot.web.buttons import ButtonSigner
from bot.web.slash import token_is_valid
from tests.support.settings import BOT_SECRET, COMMAND_TOKEN, bot_settings
from tests.support.stack import serve_bot

ALICE, BOB = "a" * 26, "b" * 26


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the limit itself ---------------------------------------------------------------------------

def test_the_eleventh_revoke_within_a_minute_is_refused_with_a_friendly_reply():
    limiter = RateLimiter()  # the defaults: 10 per minute, memory://
    assert [limiter.check(ALICE) for _ in range(10)] == [None] * 10
    refused = limiter.check(ALICE)
    assert isinstance(refused, RateLimitResult)
    assert 1 <= refused.retry_after_s <= 60
    assert refused.limit == "10 per minute"
    text = slow_down(refused.retry_after_s, refused.limit)
    assert "Slow down" in text and f"Try again in {refused.retry_after_s} seconds" in text
    assert "Nothing was signed out" in text


def test_limits_are_per_user():
    limiter = RateLimiter("2 per minute")
    assert limiter.check(ALICE) is None and limiter.check(ALICE) is None
    assert limiter.check(ALICE) is not None
    assert limiter.check(BOB) is None and limiter.check(BOB) is None
    assert limiter.check(BOB) is not None


def test_each_limiter_counts_on_its_own_so_apps_in_tests_do_not_share_counts():
    first, second = RateLimiter("1 per minute"), RateLimiter("1 per minute")
    assert first.check(ALICE) is None and first.check(ALICE) is not None
    assert second.check(ALICE) is None


def test_the_window_moves_and_refused_requests_do_not_extend_it():
    limiter = RateLimiter("2 per 1 second")
    assert limiter.check(ALICE) is None and limiter.check(ALICE) is None
    for _ in range(5):  # hammering while refused does not push the window further
        refused = limiter.check(ALICE)
        assert refused is not None and refused.retry_after_s == 1
    time.sleep(1.1)
    assert limiter.check(ALICE) is None


def test_reset_forgets_a_users_count():
    limiter = RateLimiter("1 per minute")
    assert limiter.check(ALICE) is None and limiter.check(ALICE) is not None
    limiter.reset(ALICE)
    assert limiter.check(ALICE) is None


def test_a_key_is_required():
    with pytest.raises(ValueError):
        RateLimiter().check("")


def test_message_wording():
    assert slow_down(1, "10 per minute").endswith("Try again in 1 second.")
    assert slow_down(42, "10 per minute").endswith("Try again in 42 seconds.")
    assert "at most 10 per minute" in slow_down(42, "10 per minute")
    assert RateLimiter("5/30 seconds").limit == "5 per 30 seconds"


# --- what is limited: decided by the routes, after parsing ----------------------------------------

@pytest.mark.parametrize("text", ["revoke abcdef", "revoke abcdefghijklmnopqrstuvwxyz @alice", "revoke-all --yes",
                                  "revoke all --yes", "logout-everywhere -y", "revoke-all @bob --yes"])
def test_revoking_commands_are_limited(text):
    assert is_revoking(parse(text))


@pytest.mark.parametrize("text", ["", "list", "ls", "list @alice", "help", "--help", "revoke-all", "revoke-all @bob",
                                  "revoke", "frobnicate"])
def test_listing_help_previews_and_mistakes_never_count_as_revoking(text):
    assert not is_revoking(parse(text))


@pytest.mark.parametrize("text", ["list @alice", "list alice --platform mobile", "list alice@example.com", "tokens @bob",
                                  "list --stale", "list --stale 7d", "revoke-all @bob", "revoke-all @bob --tokens",
                                  "disable-tokens @bob", "revoke-all @alice @bob", "revoke-all ~town-square",
                                  "revoke-all --everyone"])
def test_looks_beyond_the_callers_own_account_and_previews_of_others_count_as_lookups(text):
    assert is_lookup(parse(text)) and not is_revoking(parse(text))


@pytest.mark.parametrize("text", ["", "list", "ls", "list --platform web", "tokens", "revoke-all", "revoke-all --tokens",
                                  "disable-tokens", "help", "frobnicate", "revoke-all @bob --yes", "revoke abcdef @bob",
                                  "revoke-all @alice @bob --yes", "disable-tokens @bob --yes",
                                  "revoke-all --everyone --confirm ABC123"])
def test_the_callers_own_commands_help_and_revoking_commands_are_no_lookups(text):
    assert not is_lookup(parse(text))


def test_the_two_limits_count_apart_in_one_storage():
    limits = Limits.of("1 per minute", "2 per minute")
    assert limits.revoking.check(ALICE) is None and limits.revoking.check(ALICE) is not None
    assert limits.lookups.check(ALICE) is None and limits.lookups.check(ALICE) is None
    refused = limits.lookups.check(ALICE)
    assert refused is not None and refused.limit == "2 per minute"
    assert Limits.of().lookups.limit == "20 per minute" == DEFAULT_LOOKUP_LIMIT


def test_the_lookup_slow_down_says_what_is_limited_and_that_own_sessions_still_show():
    text = slow_down(12, "20 per minute", lookups=True)
    assert text.startswith("⏳ Slow down: you can look at other users' sessions and tokens")
    assert "at most 20 per minute" in text and "Try again in 12 seconds." in text
    assert "Your own `/sessions list` still works." in text and "signed out" not in text


def test_button_commands():
    assert is_revoking(RevokeSession("abcdefghijklmnopqrstuvwxyz", None))
    assert not is_revoking(Cancel()) and not is_revoking(ListSessions(None))


# --- settings -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["10 per minute", "10/minute", "5 per 30 seconds", "100/hour", " 3 per day "])
def test_valid_limits(text):
    assert validate_limit(text) == text.strip()


@pytest.mark.parametrize("text", ["", "ten per minute", "10 per fortnight", "0 per minute", "10 per minute;50 per hour", "-1/minute"])
def test_invalid_limits(text):
    with pytest.raises(ValueError, match="must be one rate limit"):
        validate_limit(text)
    with pytest.raises(ValueError):
        RateLimiter(text)


@pytest.mark.parametrize("uri", ["memory://", "redis://localhost:6379/0", "redis://:secret@redis.internal:6380/2",
                                 "rediss://redis.example.com:6380/0", "redis+unix:///run/redis/redis.sock"])
def test_valid_storage_uris(uri):
    assert validate_storage_uri(f" {uri} ") == uri
    RateLimiter(storage_uri=uri)  # builds without connecting anywhere


@pytest.mark.parametrize("uri, problem", [
    ("", "must be memory://"),
    ("memory", "must be memory://"),
    ("http://redis:6379", "must be memory://"),
    ("mongodb://localhost:27017", "must be memory://"),
    ("memcached://localhost:11211", "must be memory://"),
    ("redis+cluster://localhost:7000", "must be memory://"),
    ("redis://", "must name the Redis host"),
    ("redis:///0", "must name the Redis host"),
    ("redis+unix://", "must name the socket"),
    ("redis://host:notaport/0", "not a valid URI"),
])
def test_invalid_storage_uris(uri, problem):
    with pytest.raises(ValueError, match=problem):
        validate_storage_uri(uri)


def test_an_unreachable_redis_lets_the_request_through_and_warns(caplog):
    limiter = RateLimiter("1 per minute", f"redis://127.0.0.1:{free_port()}/0")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bot.ops.ratelimit"):
        assert limiter.check(ALICE) is None and limiter.check(ALICE) is None
    assert time.monotonic() - started < 5
    assert "rate limit storage failed" in caplog.text


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """A throwaway redis-server on loopback (skipped where redis-server is not installed)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_replicas_sharing_a_redis_share_each_users_count(redis_url):
    replica_a, replica_b = RateLimiter(DEFAULT_LIMIT, redis_url), RateLimiter(DEFAULT_LIMIT, redis_url)
    for _ in range(5):
        assert replica_a.check(ALICE) is None and replica_b.check(ALICE) is None
    refused = replica_b.check(ALICE)
    assert refused is not None and 1 <= refused.retry_after_s <= 60
    assert replica_a.check(ALICE) is not None
    assert replica_a.check(BOB) is None


# --- through HTTP, wired as the bot's routes are to be wired -------------------------------------

def wired_app(api: MattermostAPI, settings, limiter: RateLimiter) -> Flask:
    """The bot's two routes reduced to their core, with the limit where slash.py and clicks.py are to call it."""
    app = Flask(__name__)
    features = Context(api, settings.bot_secret.get_secret_value())
    signer = ButtonSigner(settings.bot_secret.get_secret_value())

    @app.post("/slash/sessions")
    def slash() -> Response:
        if not token_is_valid(request.form.getlist("token"), settings.slash_command_tokens):
            abort(401)
        caller_id, command = request.form["user_id"], parse(request.form.get("text", ""))
        if is_revoking(command) and (limited := limiter.check(caller_id)) is not None:
            return jsonify(response_type="ephemeral", text=slow_down(limited.retry_after_s, limited.limit))
        outcome = dispatch.run(features, Invocation(caller_id=caller_id), command)
        return jsonify(response_type="ephemeral", text=render(outcome.shown, outcome.now_ms).text)

    @app.post("/actions")
    def click() -> Response:
        data = request.get_json()
        command = signer.verify(data.get("context"), data["user_id"])
        if is_revoking(command) and (limited := limiter.check(data["user_id"])) is not None:
            return jsonify(ephemeral_text=slow_down(limited.retry_after_s, limited.limit))
        outcome = dispatch.run(features, Invocation(caller_id=data["user_id"], via="button"), command)
        return jsonify(ephemeral_text=render(outcome.shown, outcome.now_ms).text)

    return app


@pytest.fixture
def limited_bot(world: World, api, mattermost, mode) -> Iterator[str]:
    settings = bot_settings(mattermost.url, world.bot_token)
    server = serve_bot(world, mode, lambda _url: wired_app(api, settings, RateLimiter()))
    yield server.url
    server.stop()


def test_over_http_the_eleventh_revoke_is_a_200_ephemeral_reply_and_nothing_is_revoked(world: World, limited_bot):
    alice = world.user_by_username("alice")["id"]
    extra = [world.add_session(alice)["id"] for _ in range(11)]
    before = len(world.sessions_of(alice))
    for session_id in extra[:10]:
        result = run_slash_command(world, limited_bot + "/slash/sessions", COMMAND_TOKEN, "alice", f"revoke {session_id}")
        assert result.status == 200 and result.visible_text.startswith("✅"), result.visible_text
    assert len(world.sessions_of(alice)) == before - 10

    refused = run_slash_command(world, limited_bot + "/slash/sessions", COMMAND_TOKEN, "alice", f"revoke {extra[10]}")
    assert refused.status == 200 and refused.error is None and refused.ephemeral
    assert refused.visible_text.startswith("⏳ Slow down") and "Try again in" in refused.visible_text
    assert len(world.sessions_of(alice)) == before - 10
    assert extra[10] in {s["id"] for s in world.sessions_of(alice)}

    confirmed = run_slash_command(world, limited_bot + "/slash/sessions", COMMAND_TOKEN, "alice", "revoke-all --yes")
    assert confirmed.visible_text.startswith("⏳ Slow down") and len(world.sessions_of(alice)) == before - 10

    listing = run_slash_command(world, limited_bot + "/slash/sessions", COMMAND_TOKEN, "alice", "list")
    assert listing.status == 200 and listing.visible_text.startswith("#### Your sessions"), listing.visible_text
    preview = run_slash_command(world, limited_bot + "/slash/sessions", COMMAND_TOKEN, "alice", "revoke-all")
    assert "Slow down" not in preview.visible_text

    button = {"signed": ButtonSigner(BOT_SECRET).sign(alice, RevokeSession(extra[10], None))}
    click = send_action(world, limited_bot + "/actions", "alice", button)
    assert click.status == 200 and click.error is None and click.ephemeral_text.startswith("⏳ Slow down")
    assert extra[10] in {s["id"] for s in world.sessions_of(alice)}


def test_over_http_one_users_limit_does_not_touch_another(world: World, limited_bot):
    alice, bob = world.user_by_username("alice")["id"], world.user_by_username("bob")["id"]
    for _ in range(10):
        run_slash_command(world, limited_bot + "/slash/sessions", COMMAND_TOKEN, "alice", "revoke zzzzzzzz")
    assert run_slash_command(world, limited_bot + "/slash/sessions", COMMAND_TOKEN, "alice",
                             "revoke zzzzzzzz").visible_text.startswith("⏳")
    session_id = world.add_session(bob)["id"]
    button = {"signed": ButtonSigner(BOT_SECRET).sign(bob, RevokeSession(session_id, None))}
    click = send_action(world, limited_bot + "/actions", "bob", button)
    assert click.status == 200 and click.ephemeral_text.startswith("✅"), click.ephemeral_text
    assert session_id not in {s["id"] for s in world.sessions_of(bob)}
    assert alice
