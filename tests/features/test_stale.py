"""Which team members have stale sessions (``bot.features.stale``), read through the real client against the stand-in."""
from __future__ import annotations

from bot.core.filters import Duration
from bot.core.permissions import EDIT_OTHER_USERS, MANAGE_SYSTEM, Caller
from bot.core.visibility import VIEW_MEMBERS
from bot.features import stale
from bot.features.context import Context
from tests.support.settings import BOT_SECRET

DAY_MS = 86_400_000


def caller(*permissions: str) -> Caller:
    """A caller with ``permissions`` on top of ``view_members``, which every ``system_user`` holds by default."""
    return Caller("c" * 26, "manager", "manager@example.com", frozenset({VIEW_MEMBERS, *permissions}))


def make_stale(world, username: str, days: int) -> dict:
    user_id = world.user_by_username(username)["id"]
    return world.add_session(user_id, last_activity_ms=world.now_ms() - days * DAY_MS)


def test_members_with_sessions_unused_for_longer_than_asked_are_found_most_stale_first(world, api):
    make_stale(world, "alice", 40)
    make_stale(world, "bob", 45)
    make_stale(world, "bob", 60)
    make_stale(world, "usermanager", 3)
    report = stale.find_stale(Context(api, BOT_SECRET), caller(EDIT_OTHER_USERS), world.team["id"], Duration(30, "d"), world.now_ms())
    assert [(entry.user.username, len(entry.stale)) for entry in report.users] == [("bob", 2), ("alice", 1)]
    assert report.users[0].total == len(world.sessions_of(world.user_by_username("bob")["id"]))


def test_system_admins_are_counted_but_not_read_without_manage_system(world, api):
    make_stale(world, "sysadmin", 90)
    report = stale.find_stale(Context(api, BOT_SECRET), caller(EDIT_OTHER_USERS), world.team["id"], Duration(30, "d"), world.now_ms())
    assert "sysadmin" not in [entry.user.username for entry in report.users] and report.not_allowed >= 1
    admin_id = world.user_by_username("sysadmin")["id"]
    assert not any(e.path == f"/api/v4/users/{admin_id}/sessions" for e in world.exchanges)
    with_manage_system = stale.find_stale(Context(api, BOT_SECRET), caller(MANAGE_SYSTEM), world.team["id"], Duration(30, "d"),
                                          world.now_ms())
    assert "sysadmin" in [entry.user.username for entry in with_manage_system.users]


def test_the_cost_is_bounded_by_reading_at_most_max_members(world, api, monkeypatch):
    world.add_users("crowd", 30)
    monkeypatch.setattr(stale, "MAX_MEMBERS", 12)
    report = stale.find_stale(Context(api, BOT_SECRET), caller(MANAGE_SYSTEM), world.team["id"], Duration(30, "d"), world.now_ms())
    assert report.more_members and report.checked <= 12
    session_reads = [e for e in world.exchanges if e.path.endswith("/sessions")]
    assert len(session_reads) == report.checked


# --- /sessions list --stale, end to end -------------------------------------------------------------

def test_an_admin_sees_who_has_stale_sessions_and_a_command_to_end_exactly_those(slash, world):
    make_stale(world, "alice", 40)
    text = slash("sysadmin", "list --stale 30d").visible_text
    assert text.startswith("#### Stale sessions in this team (sessions inactive for more than 30 days)")
    make_stale(world, "bob", 50)
    make_stale(world, "bob", 60)
    text = slash("sysadmin", "list --stale 30d").visible_text
    assert "2 of the " in text and "members checked:\n- @bob: 2 of 4 sessions, the oldest last used 2 months ago" in text
    assert "- @alice: 1 of 5 sessions" in text
    assert "To sign out just these sessions: `/sessions revoke-all @bob @alice --inactive 30d`" in text


def test_a_team_with_nothing_stale_says_so(slash, world):
    assert "None of the " in slash("sysadmin", "list --stale 1000d").visible_text


def test_a_plain_user_is_refused_before_any_member_is_read(slash, world):
    text = slash("bob", "list --stale").visible_text
    assert "**edit_other_users**" in text
    assert not any("in_team" in e.query for e in world.exchanges)


def test_looking_at_the_team_is_audited(slash, world, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="bot.audit")
    slash("sysadmin", "list --stale 7d")
    [record] = [r.audit for r in caplog.records if r.name == "bot.audit"]
    assert (record["action"], record["result"], record["target_username"]) == ("list-stale", "ok", "(team)")
