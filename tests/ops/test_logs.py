"""Logs are JSON lines with a request id, and no token or secret ever appears in them."""
import json
import logging

import pytest

from bot.ops.logs import REQUEST_ID_HEADER, json_handler
from bot.sandbox import buttons_of, click_button, run_slash_command
from tests.support.settings import BOT_SECRET, COMMAND_TOKEN


def test_a_log_line_is_one_json_object_with_time_level_logger_message_and_request_id():
    record = logging.LogRecord("bot.web.slash", logging.INFO, __file__, 1, "command=%s", ("ListSessions",), None)
    handler = json_handler()
    handler.filter(record)
    line = handler.format(record)
    data = json.loads(line)
    assert "\n" not in line
    assert (data["level"], data["logger"], data["message"], data["request_id"]) == ("INFO", "bot.web.slash", "command=ListSessions", "-")
    assert data["time"]


def test_every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept(bot):
    generated = bot.http.get(bot.url + "/healthz", timeout=5).headers[REQUEST_ID_HEADER]
    assert len(generated) == 32
    kept = bot.http.get(bot.url + "/healthz", headers={REQUEST_ID_HEADER: "proxy-req-12345"}, timeout=5)
    assert kept.headers[REQUEST_ID_HEADER] == "proxy-req-12345"
    replaced = bot.http.get(bot.url + "/healthz", headers={REQUEST_ID_HEADER: "bad id\"}{"}, timeout=5)
    assert replaced.headers[REQUEST_ID_HEADER] != "bad id\"}{"


@pytest.mark.sockets  # urllib3's DEBUG lines (each request line, each new connection) come only from real sockets
def test_no_token_or_secret_appears_in_any_log_line_even_at_debug(make_bot, world, caplog):
    caplog.set_level(logging.DEBUG)
    channel = world.add_channel("security-audit", members=["sessionsbot"])
    bot = make_bot(log_level="DEBUG", audit_channel_id=channel["id"])
    command = bot.url + "/slash/sessions"
    secrets = [COMMAND_TOKEN, BOT_SECRET, world.bot_token] + [world.token_of(u) for u in ("alice", "usermanager", "bob", "sysadmin")]
    for user, text in [("alice", "list"), ("usermanager", "list @alice"), ("bob", "list @alice"), ("usermanager", "revoke-all @bob --yes")]:
        run_slash_command(world, command, COMMAND_TOKEN, user, text)
    post_id = run_slash_command(world, command, COMMAND_TOKEN, "alice", "list").post_id
    click_button(world, post_id, buttons_of(world.ephemeral_post(post_id))[0]["id"], "alice")
    handler = json_handler()
    lines = []
    for record in caplog.records:
        handler.filter(record)
        lines.append(handler.format(record))
    text = "\n".join(lines)
    assert any('"audit"' in line for line in lines) and len(lines) > 10
    for secret in secrets:
        assert secret not in text
