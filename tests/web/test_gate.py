"""The front door in isolation (``bot.web.gate``): the action key, what it lets through, what it answers itself
without reading a byte or logging a line, and the access log it feeds (``bot.ops.accesslog``)."""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from gunicorn.config import Config

from bot.core.commands import ChannelRef, RevokeMany, UserRef
from bot.core.errors import RetiredButton
from bot.core.filters import Duration, Platform, SessionFilter
from bot.ops.accesslog import AccessLog
from bot.ops.logs import LOGGED_PATH, UNLOGGED
from bot.replies.errors import error_message
from bot.web import limits
from bot.web.buttons import ButtonSigner
from bot.web.gate import FrontDoor, action_key, action_route
from tests.support.settings import BOT_SECRET

KEY = action_key(BOT_SECRET)
ACTION = action_route("/actions", KEY)


def test_the_action_key_is_hmac_sha256_of_bot_secret_and_rotates_with_it():
    expected = hmac.new(BOT_SECRET.encode(), b"sessions-bot/action-path/v1", hashlib.sha256).hexdigest()[:32]
    assert KEY == expected and len(KEY) == 32 and int(KEY, 16) >= 0
    assert action_key(BOT_SECRET + "x") != KEY and action_key(BOT_SECRET) == KEY
    assert ACTION == "/actions/" + KEY and action_route("/actions/", KEY) == ACTION


class Untouchable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, *_args: Any) -> bytes:
        raise AssertionError("the body was read")

    readline = readinto = read  # type: ignore[assignment]


def call(door: FrontDoor, method: str, path: str, content_type: str = "application/json") -> tuple[str, bytes, dict[str, Any]]:
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "CONTENT_TYPE": content_type,
                               "CONTENT_LENGTH": "100", "wsgi.input": Untouchable()}
    answered: list[str] = []
    body = b"".join(door(environ, lambda status, headers: answered.append(status)))
    return answered[0], body, environ


@pytest.fixture
def door() -> tuple[FrontDoor, list[str]]:
    reached: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        reached.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"app"]

    return FrontDoor(app, served=["/slash/sessions", "/healthz"], actions_path="/actions", key=KEY), reached


def test_the_action_path_and_the_apps_own_paths_go_through_and_the_action_path_is_logged_without_its_key(door):
    front, reached = door
    assert call(front, "POST", ACTION)[:2] == ("200 OK", b"app")
    assert call(front, "POST", ACTION)[2][LOGGED_PATH] == "/actions/<key>"
    assert call(front, "GET", "/healthz")[:2] == ("200 OK", b"app")
    assert reached == [ACTION, ACTION, "/healthz"]


@pytest.mark.parametrize("path", ["/", "/actions/", "/actions/x", ACTION + "/", ACTION.upper(), ACTION[:-1],
                                  "/actions/" + "0" * 33, "/healthz/", "/metrics"])
def test_any_other_path_is_a_404_from_the_door_itself_body_unread_and_marked_not_to_be_logged(door, path):
    front, reached = door
    status, body, environ = call(front, "POST", path)
    assert (status, body) == ("404 Not Found", b"404 Not Found\n") and environ[UNLOGGED] and reached == []


@pytest.mark.parametrize("path", ["/actions", "/actions/" + action_key("an older secret of at least 32 chars!!")])
def test_a_retired_button_address_gets_the_fixed_out_of_date_answer_only_for_a_json_post(door, path):
    front, reached = door
    status, body, environ = call(front, "POST", path, "application/json; charset=utf-8")
    assert status == "200 OK" and json.loads(body) == {"ephemeral_text": error_message(RetiredButton())}
    assert environ[UNLOGGED] and reached == []
    assert call(front, "GET", path)[0] == call(front, "POST", path, "text/plain")[0] == "404 Not Found"


def access_lines(environ: dict[str, Any], caplog: pytest.LogCaptureFixture) -> list[str]:
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", '%(m)s %(U)s "%(r)s" %(s)s %({raw_uri}e)s')
    logger = AccessLog(config)
    logger.access_log.propagate = True  # so caplog hears it
    caplog.set_level(logging.INFO, logger="gunicorn.access")

    class Response:
        status, status_code, sent, headers, response_length = "200 OK", 200, 2, [], 2

    base = {"REQUEST_METHOD": "POST", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.1", "QUERY_STRING": ""}
    try:
        logger.access(Response(), [], {**base, **environ}, timedelta(seconds=0.01))
    finally:
        logger.access_log.propagate = False
        for handler in list(logger.access_log.handlers):
            logger.access_log.removeHandler(handler)
    return [r.getMessage() for r in caplog.records if r.name == "gunicorn.access"]


def test_the_gunicorn_access_log_writes_the_action_path_without_its_key_and_nothing_for_unserved_paths(caplog):
    served = access_lines({"PATH_INFO": ACTION, "RAW_URI": ACTION + "?x=1", LOGGED_PATH: "/actions/<key>"}, caplog)
    assert served == ['POST /actions/<key> "POST /actions/<key> HTTP/1.1" 200 /actions/<key>']
    caplog.clear()
    assert access_lines({"PATH_INFO": "/wp-login.php", "RAW_URI": "/wp-login.php", UNLOGGED: True}, caplog) == []
    assert access_lines({"PATH_INFO": "/healthz", "RAW_URI": "/healthz"}, caplog)[0].startswith("POST /healthz ")


def test_the_longest_button_the_bot_makes_fits_the_caps_on_a_click():
    """50 users named by the longest address the bot reads (254 characters), 5 channels of Mattermost's longest
    name (64), every filter, signed with a team: under ``limits.SIGNED``, and the whole click under
    ``limits.CLICK_BYTES`` with every other field at its longest."""
    users = tuple(UserRef("email", f"{i:02d}" + "a" * 230 + "@" + "e" * 18 + ".com", f"{i:02d}" + "A" * 230 + "@e.com")
                  for i in range(50))
    channels = tuple(ChannelRef(f"{i}" + "c" * 63, f"~{i}" + "C" * 63) for i in range(5))
    wanted = SessionFilter(frozenset(Platform), Duration(99, "w"), Duration(99, "d"))
    signed = ButtonSigner(BOT_SECRET).sign("u" * 26, RevokeMany(users, channels, True, wanted, tokens=False), "t" * 26)
    assert len(signed) <= limits.SIGNED
    click = {name: "x" * cap for name, cap in limits.CLICK_FIELDS.items()} | {"context": {"signed": signed}}
    assert len(json.dumps(click).encode()) <= limits.CLICK_BYTES
