"""Late replies: past REPLY_BUDGET_S the bot answers "still working" and finishes through response_url.

Mattermost fails a slash command after 30 s (MATTERMOST.md §1.2) and gives it a ``response_url`` for
late replies (§1.5). These tests use a 0.2 s budget against a stand-in that answers every call 0.3 s
late: the same shape as the 2.5 s default against a Mattermost 2 s slow, in a fraction of the time.

On sockets (``pytest.mark.sockets``), in real time: deferral is about the bot's own clock running out
while Mattermost is really slow, and the late reply crossing a real connection through ``response_url``.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from flask import Flask, Response, request

from bot.core.errors import UpstreamRejected
from bot.mattermost.client import MattermostAPI
from bot.ops.logs import RequestIdFilter, json_handler
from bot.replies.errors import STILL_WORKING
from bot.sandbox import SlashResult, World, buttons_of, click_button, run_slash_command
from bot.sandbox.background import BackgroundServer
from bot.web.deferral import Handoff, hook_id
from tests.support.lookups import uid
from tests.support.settings import COMMAND_TOKEN, bot_settings
from tests.support.waiting import eventually

pytestmark = pytest.mark.sockets

T = TypeVar("T")
BUDGET_S = 0.15
LATENCY_S = 0.2  # every call to the stand-in; a list takes one call, so it outlasts the budget
HOOK_ID = "q9x3bk1p7mz5rdw8tfyc4hnuae"
HOOK_CALLS = r"^/hooks/commands/"


def late_reply(world: World, username: str, still_working: SlashResult) -> dict[str, Any]:
    """The ephemeral post that follows the "still working" one, once it arrives."""

    def find() -> dict[str, Any] | None:
        posts = world.ephemeral_posts_for(uid(world, username))
        ids = [post["id"] for post in posts]
        later = posts[ids.index(still_working.post_id) + 1:]
        return later[0] if later else None

    return eventually(find, f"late reply for {username}")


@pytest.fixture
def typed(world: World, make_bot: Callable[..., BackgroundServer]) -> Callable[..., SlashResult]:
    """``/sessions <text>`` typed as ``username``, to a bot with buttons and a short reply budget."""
    bot = make_bot(reply_budget_s=BUDGET_S)

    def run(username: str, text: str = "", **options: Any) -> SlashResult:
        return run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, username, text, **options)

    return run


@pytest.fixture
def request_ids(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog whose records carry the request id of the thread that logged them."""
    caplog.handler.addFilter(RequestIdFilter())
    return caplog


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, list[str]]]:
    """Another web server, recording the path of every request it gets."""
    app = Flask("elsewhere")
    paths: list[str] = []

    @app.route("/<path:anything>", methods=["GET", "POST"])
    def record(anything: str) -> Response:
        paths.append(request.path)
        return Response(b"ok", content_type="text/plain")

    with BackgroundServer(app) as server:
        yield server.url, paths


# --- what the user sees -----------------------------------------------------------------------

def test_a_fast_command_is_answered_directly_and_never_uses_the_response_url(typed, world):
    result = typed("alice", "list")
    assert result.visible_text.startswith("#### Your sessions")
    assert world.calls(path_regex=HOOK_CALLS) == []


def test_a_slow_mattermost_gets_still_working_then_the_answer_through_response_url(typed, world):
    world.latency_s = LATENCY_S
    result = typed("alice", "list")

    assert (result.status, result.ephemeral, result.visible_text) == (200, True, STILL_WORKING)
    assert result.elapsed_s < LATENCY_S + 0.5
    answer = late_reply(world, "alice", result)
    assert answer["message"].startswith("#### Your sessions")
    [hook_call] = world.calls("POST", HOOK_CALLS)
    assert hook_call.status == 200 and world.command_webhook(hook_call.path.rsplit("/", 1)[1])["use_count"] == 1


def test_buttons_of_a_late_reply_are_signed_and_work(typed, world):
    world.latency_s = LATENCY_S
    answer = late_reply(world, "alice", typed("alice", "list"))
    world.latency_s = 0.0
    sessions_before = len(world.sessions_of(uid(world, "alice")))
    sign_out = buttons_of(answer)[0]

    click = click_button(world, answer["id"], sign_out["id"], "alice")

    assert click.error is None
    assert len(world.sessions_of(uid(world, "alice"))) == sessions_before - 1


def test_a_deferred_revoke_all_signs_out_everything_exactly_once(typed, world):
    world.latency_s = LATENCY_S
    result = typed("alice", "revoke-all --yes")

    assert result.visible_text == STILL_WORKING
    assert late_reply(world, "alice", result)["message"].startswith("✅ Signed you out of")
    assert len(world.calls("POST", r"/sessions/revoke/all$")) == 1
    assert world.sessions_of(uid(world, "alice")) == []


def test_a_bug_in_a_deferred_command_reaches_the_user_and_the_log_under_its_request_id(typed, world, monkeypatch,
                                                                                        request_ids):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the bot")

    monkeypatch.setattr("bot.replies.sessions.session_list", broken)
    world.latency_s = LATENCY_S
    message = late_reply(world, "alice", typed("alice", "list"))["message"]

    assert message.startswith("⚠️ Something went wrong in the sessions bot (reference")
    reference = re.search(r"reference `([^`]+)`", message).group(1)
    [error] = [r for r in request_ids.records if r.levelno == logging.ERROR]
    assert error.request_id == reference and error.exc_info[0] is RuntimeError


def test_the_deferred_commands_log_lines_keep_its_request_id(world, make_bot, request_ids):
    request_ids.set_level(logging.INFO, logger="bot")
    bot = make_bot(reply_budget_s=BUDGET_S, log_level="INFO")
    world.latency_s = LATENCY_S
    late_reply(world, "alice", run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "alice", "list"))

    messages = [(record, record.getMessage()) for record in request_ids.records]
    [deferred] = [record for record, message in messages if "deferred after" in message]
    [finished] = [record for record, message in messages if message.startswith("command=") and "ok=" in message]
    assert deferred.request_id == finished.request_id != "-"
    assert deferred.threadName != finished.threadName


def test_a_late_reply_mattermost_refuses_is_logged_not_lost(typed, world, caplog):
    world.faults.add(HOOK_CALLS, status=404, times=1)
    world.latency_s = LATENCY_S
    typed("alice", "list")

    warning = eventually(lambda: [r for r in caplog.records if "late reply could not be delivered" in r.getMessage()],
                         "warning about the undelivered reply")
    assert "UpstreamRejected" in warning[0].getMessage()


# --- where late replies go --------------------------------------------------------------------

def test_a_foreign_host_in_response_url_is_ignored_and_the_reply_goes_to_mattermost_url(typed, world, elsewhere):
    foreign_url, foreign_paths = elsewhere
    world.site_url = foreign_url  # the form's response_url now names another server
    world.latency_s = LATENCY_S

    answer = late_reply(world, "alice", typed("alice", "list"))

    assert answer["message"].startswith("#### Your sessions")
    assert foreign_paths == [] and len(world.calls("POST", HOOK_CALLS)) == 1


def test_a_site_url_with_a_sub_path_still_gets_late_replies(typed, world, mattermost):
    world.site_url = mattermost.url + "/chat"
    world.latency_s = LATENCY_S
    assert late_reply(world, "alice", typed("alice", "list"))["message"].startswith("#### Your sessions")


def test_a_malformed_response_url_means_the_bot_waits_for_the_answer(typed, world, mattermost):
    world.latency_s = LATENCY_S
    result = typed("alice", "list", extra_fields={"response_url": mattermost.url + "/hooks/" + HOOK_ID})

    assert result.visible_text.startswith("#### Your sessions") and result.elapsed_s > BUDGET_S
    assert world.calls(path_regex=HOOK_CALLS) == []


@pytest.mark.parametrize("response_url", [
    f"https://chat.example.com/hooks/commands/{HOOK_ID}",
    f"http://10.0.0.5:8065/hooks/commands/{HOOK_ID}",
    f"https://example.com/chat/hooks/commands/{HOOK_ID}",
    f"https://evil.example/hooks/commands/{HOOK_ID}?next=/api/v4/users",
])
def test_a_response_url_shaped_like_mattermosts_yields_only_its_hook_id(response_url):
    assert hook_id(response_url) == HOOK_ID


@pytest.mark.parametrize("response_url", [
    "",
    "not a url",
    "https://chat.example.com/hooks/commands/short",
    f"https://chat.example.com/hooks/commands/{HOOK_ID.upper()}",
    f"https://chat.example.com/hooks/commands/{HOOK_ID}/extra",
    f"https://chat.example.com/hooks/{HOOK_ID}",
    f"https://chat.example.com/hooks/commands/{HOOK_ID[:-2]}%2F..",
    "https://chat.example.com/api/v4/users/me",
    f"http://[::1/hooks/commands/{HOOK_ID}",
])
def test_anything_else_in_response_url_yields_no_hook_id(response_url):
    assert hook_id(response_url) is None


def test_late_replies_go_to_mattermost_url_with_its_sub_path_and_no_token(elsewhere):
    base_url, paths = elsewhere
    api = MattermostAPI(bot_settings(base_url + "/chat", "bot-token"))
    api.respond(HOOK_ID, {"response_type": "ephemeral", "text": "later"})
    assert paths == [f"/chat/hooks/commands/{HOOK_ID}"]


def test_a_refused_late_reply_raises_mattermosts_error(api):
    with pytest.raises(UpstreamRejected) as refused:
        api.respond(HOOK_ID, {"text": "to nobody"})
    assert (refused.value.status, refused.value.error_id) == (404, "app.command_webhook.get.missing")


# --- who delivers -----------------------------------------------------------------------------

def test_a_command_done_within_the_budget_is_delivered_by_the_request():
    handoff = Handoff()
    assert handoff.finish() is False  # the command: the request is still waiting
    assert handoff.defer() is False  # the request: too late to defer, it answers itself


def test_a_command_still_running_when_the_budget_ends_delivers_its_own_reply():
    handoff = Handoff()
    assert handoff.defer() is True
    assert handoff.finish() is True


# --- secrets ----------------------------------------------------------------------------------

def test_no_hook_id_appears_in_any_log_line_even_at_debug(world, make_bot, caplog):
    caplog.set_level(logging.DEBUG)
    bot = make_bot(reply_budget_s=BUDGET_S, log_level="DEBUG")
    world.latency_s = LATENCY_S
    world.faults.add(HOOK_CALLS, status=404, times=1)  # one late reply is refused, and that is logged
    for text in ("list", "list"):
        result = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "alice", text)
        assert result.visible_text == STILL_WORKING
    eventually(lambda: any("late reply could not" in r.getMessage() for r in caplog.records), "the warning")
    # urllib3 logs the request line of both late replies at DEBUG, with the id blanked out
    eventually(lambda: sum("/hooks/commands/…" in r.getMessage() for r in caplog.records) == 2, "two request lines")

    handler = json_handler()
    lines = [handler.format(record) for record in caplog.records]
    hook_ids = {call.path.rsplit("/", 1)[1] for call in world.calls("POST", HOOK_CALLS)}
    assert len(hook_ids) == 2
    for hook in hook_ids:
        assert not [line for line in lines if hook in line]
