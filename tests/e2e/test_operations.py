"""The real app's rate limit and metrics, over HTTP against the stand-in."""
import logging

from bot.sandbox import run_slash_command
from tests.support.settings import COMMAND_TOKEN


def test_eleventh_revoke_in_a_minute_gets_a_friendly_slow_down_and_revokes_nothing(make_bot, world, caplog):
    caplog.set_level(logging.INFO, logger="bot.audit")
    bot = make_bot(revoke_rate_limit="3 per minute")
    alice = world.user_by_username("alice")["id"]
    for i in range(3):
        world.add_session(alice, id=f"ratelimit{i}" + "x" * 17)
    for i in range(3):
        reply = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "alice", f"revoke ratelimit{i}")
        assert reply.visible_text.startswith("✅")
    world.add_session(alice, id="ratelimit3" + "x" * 16)
    limited = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "alice", "revoke ratelimit3")
    assert limited.status == 200 and limited.visible_text.startswith("⏳ Slow down")
    assert any(s["id"].startswith("ratelimit3") for s in world.sessions_of(alice))
    assert run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "alice", "list").visible_text.startswith("####")
    assert run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "bob", "revoke-all --yes").visible_text.startswith("✅")
    assert [r.audit["reason"] for r in caplog.records if r.name == "bot.audit"][-2] == "rate_limited"


def test_metrics_count_commands_refusals_and_templated_upstream_calls(bot, slash, world):
    slash("alice", "list")
    slash("bob", "list @alice")
    text = bot.http.get(bot.url + "/metrics", timeout=5).text
    assert 'sessions_bot_commands_total{outcome="ok",subcommand="list"}' in text
    assert 'sessions_bot_refusals_total{reason="needs_edit_other_users"}' in text
    assert 'endpoint="/users/{user_id}/sessions"' in text
    assert world.user_by_username("alice")["id"] not in text
