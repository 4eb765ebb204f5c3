"""What a caller may see of other users through the bot: exactly what Mattermost would answer them.

Mattermost answers lookups of other users only as far as the caller may see them
(``server/channels/api4/user.go``: ``getUser``, ``getUserByUsername``, ``getUserByEmail``; ``app/user.go``:
``UserCanSeeOtherUser``, ``GetViewUsersRestrictions``), and the members of a channel only to those who may read
it (``api4/channel.go`` ``getChannelMembers``). The bot resolves names with its own admin token, so it applies
the same rules for the caller first; a user the caller may not see, or may not look up that way, gets the reply
of a user who does not exist. Every case runs the real bot against the stand-in and is judged on what the
caller was shown and on what the bot asked Mattermost with its token.
"""
from __future__ import annotations

import pytest

from bot.features import planning
from bot.sandbox import World, buttons_of, click_button, run_slash_command
from bot.sandbox.roles import VIEW_MEMBERS
from tests.support.lookups import live, session_ids, uid
from tests.support.settings import COMMAND_TOKEN
from tests.support.standin import UNKNOWN_ID

DAY_MS = 86_400_000


def asked(world: World, method: str, path_regex: str) -> list[str]:
    """The paths of the bot's calls to Mattermost matching ``path_regex``."""
    return [exchange.path for exchange in world.calls(method, path_regex)]


# --- a typed name goes out only when it is one Mattermost could hold ---------------------------------

@pytest.mark.parametrize("name", ["@..", "..", "@.", "@all", "@channel", "system", "@" + "a" * 65])
def test_a_name_mattermost_could_not_hold_is_a_usage_error_and_nothing_is_asked(world, slash, name):
    shown = slash("sysadmin", f"list {name}").visible_text or ""
    assert "is not a username, email address or user id" in shown
    assert asked(world, "GET", r"^/api/v4/users") == []
    assert session_ids(world, "alice")  # and nothing happened


def shown_for(slash, caller: str, text: str, typed: str) -> str:
    """What ``caller`` is shown for ``text``, with the name they typed replaced by ``<typed>``."""
    return (slash(caller, text).visible_text or "").replace(typed, "<typed>")


# --- Show Email Address off: an email lookup only for manage_system ------------------------------------

def test_user_manager_cannot_learn_whose_email_it_is_when_emails_are_hidden(world, slash):
    world.show_email_address = False
    unknown = shown_for(slash, "usermanager", "list nobody@example.com", "nobody@example.com")
    hidden = shown_for(slash, "usermanager", "list alice@example.com", "alice@example.com")
    assert hidden == unknown and "alice" not in hidden.replace("<typed>", "")
    assert asked(world, "GET", r"^/api/v4/users/email/") == []  # Mattermost refuses before looking: so does the bot
    assert asked(world, "GET", rf"^/api/v4/users/{uid(world, 'alice')}/sessions$") == []


def test_user_manager_finds_a_user_by_email_when_emails_are_shown(world, slash):
    shown = slash("usermanager", "list alice@example.com").visible_text or ""
    assert "alice" in shown and "sessions" in shown.lower()


def test_a_system_admin_looks_users_up_by_email_even_when_emails_are_hidden(world, slash):
    world.show_email_address = False
    shown = slash("sysadmin", "revoke-all alice@example.com --yes").visible_text or ""
    assert shown.startswith("✅") and live(world, "alice") == 0
    assert asked(world, "GET", r"^/api/v4/config/client") == []  # manage_system: the setting is not even read


def test_the_privacy_setting_is_read_once_and_trusted_briefly(world, slash):
    world.show_email_address = False
    for _ in range(3):
        slash("usermanager", "list alice@example.com")
    assert len(asked(world, "GET", r"^/api/v4/config/client")) == 1


# --- view restrictions: a user the caller may not see does not exist -----------------------------------

@pytest.fixture
def restricted(world: World) -> dict:
    """A site where ``system_user`` lost ``view_members`` (as System Console → Permissions can do), with a user who
    shares no team and no channel with anyone, and who has a session."""
    world.revoke_permission("system_user", VIEW_MEMBERS)
    loner = world.add_user("loner", join_team=False)
    world.add_session(loner["id"])
    return loner


@pytest.mark.parametrize("typed", ["loner", "@loner", "loner@example.com", "{id}"])
def test_a_user_the_caller_may_not_see_gets_the_reply_of_a_user_who_does_not_exist(world, slash, restricted, typed):
    name = typed.format(id=restricted["id"])
    absent = {"loner": "nobody", "@loner": "@nobody", "loner@example.com": "nobody@example.com"}.get(typed, UNKNOWN_ID)
    assert shown_for(slash, "usermanager", f"list {name}", name) == shown_for(slash, "usermanager",
                                                                               f"list {absent}", absent)
    assert asked(world, "GET", rf"^/api/v4/users/{restricted['id']}/sessions$") == []


def test_a_hidden_user_is_not_signed_out_by_a_caller_who_may_not_see_them(world, slash, restricted):
    shown = slash("usermanager", "revoke-all @loner --yes").visible_text or ""
    assert "✅" not in shown and live(world, "loner") == 1


def test_a_user_sharing_a_direct_message_with_the_caller_is_visible(world, slash, restricted):
    world.get_or_create_direct_channel(uid(world, "usermanager"), restricted["id"])
    shown = slash("usermanager", "revoke-all @loner --yes").visible_text or ""
    assert shown.startswith("✅") and live(world, "loner") == 0


def test_a_bulk_sign_out_leaves_out_a_hidden_user_as_if_they_did_not_exist(world, slash, restricted):
    shown = slash("usermanager", "revoke-all @loner @bob --yes").visible_text or ""
    assert "`@loner`" in shown and live(world, "loner") == 1 and live(world, "bob") == 0


def test_stale_sessions_are_listed_only_for_users_the_caller_may_see(world, slash, restricted):
    world.add_user("teamonly")  # in the team and its default channels...
    for channel in ("town-square", "off-topic"):  # ...but sharing none with the caller
        world.leave_channel(channel, "teamonly")
    world.add_session(uid(world, "teamonly"), last_activity_ms=world.now_ms() - 90 * DAY_MS)
    world.add_session(uid(world, "alice"), last_activity_ms=world.now_ms() - 90 * DAY_MS)
    shown = slash("usermanager", "list --stale 30d").visible_text or ""
    assert "alice" in shown and "teamonly" not in shown


def test_a_caller_with_view_members_costs_no_extra_call(world, slash):
    slash("usermanager", "list @alice")
    slash("usermanager", f"list {uid(world, 'alice')}")
    assert asked(world, "GET", r"/teams/members$|/channels$|^/api/v4/config/client") == []


# --- channels: who is in a DM, a group message or a private channel -----------------------------------

@pytest.fixture
def no_read_channel(world: World) -> None:
    """The user manager without the ancillary ``read_channel`` the seed's System Console tick gives them."""
    world.revoke_permission("system_user_manager", "read_channel")


@pytest.mark.parametrize("kind", ["direct", "group"])
def test_a_direct_or_group_message_the_caller_is_not_in_reveals_nobody(world, slash, no_read_channel, kind):
    if kind == "direct":
        channel = world.get_or_create_direct_channel(uid(world, "alice"), uid(world, "bob"))
    else:
        channel = world.add_group_channel("alice", "bob", "guest")
    for ref in (channel["id"], channel["name"]):
        shown = slash("usermanager", f"revoke-all ~{ref} --yes").visible_text or ""
        assert "no such channel" in shown and "@alice" not in shown and "@bob" not in shown
    assert asked(world, "GET", rf"^/api/v4/channels/{channel['id']}/(members|stats)") == []
    assert live(world, "alice") > 0 and live(world, "bob") > 0


def test_the_members_of_a_direct_message_the_caller_is_in_may_be_signed_out(world, slash, no_read_channel):
    channel = world.get_or_create_direct_channel(uid(world, "usermanager"), uid(world, "bob"))
    shown = slash("usermanager", f"revoke-all ~{channel['id']} --yes").visible_text or ""
    assert shown.startswith("✅ Signed 1 user") and live(world, "bob") == 0


def test_whoever_holds_read_channel_may_read_a_group_message_as_in_mattermost(world, slash):
    channel = world.add_group_channel("alice", "bob", "guest")  # the user manager holds read_channel (seed)
    shown = slash("usermanager", f"revoke-all ~{channel['id']}").visible_text or ""
    assert "@alice" in shown and "@bob" in shown


def test_a_private_channel_the_caller_is_not_in_reads_as_missing_without_read_channel(world, slash, no_read_channel):
    world.add_channel("secret-ops", members=("alice", "bob"), private=True)
    shown = slash("usermanager", "revoke-all ~secret-ops").visible_text or ""
    assert "no such channel" in shown and "alice" not in shown


# --- at most 2,000 members for all the channels of one command, counted before any is read -----------

def test_channels_are_counted_before_their_members_are_read_and_the_total_is_enforced(world, slash, monkeypatch):
    monkeypatch.setattr(planning, "MAX_CHANNEL_MEMBERS", 20)  # 2,000 in production: the same rule, smaller crowds
    names = [f"crowd-{i}" for i in range(3)]
    for i, name in enumerate(names):
        members = world.add_users(f"c{i}x", 9, sessions_each=1)
        world.add_channel(name, members=tuple(m["username"] for m in members))
    shown = slash("sysadmin", "revoke-all " + " ".join(f"~{n}" for n in names)).visible_text or ""
    first, _second, third = (world.channel_by_name(n, world.team["id"])["id"] for n in names)
    assert "`~crowd-2`: 9 members, and with the channels named before it that is more than the 20" in shown
    assert asked(world, "GET", rf"^/api/v4/channels/{third}/members") == []
    assert asked(world, "GET", rf"^/api/v4/channels/{first}/members")
    assert shown.startswith("**This will sign 18 users out of 18 sessions**")


# --- a deactivated caller is refused, as Mattermost refuses them everything ----------------------------

def test_a_deactivated_caller_is_told_so_and_nothing_is_read(world, slash):
    world.set_roles("deactivated", "system_user system_user_access_token system_admin")
    shown = slash("deactivated", "tokens @alice").visible_text or ""
    assert "Your account is deactivated" in shown
    assert asked(world, "GET", rf"^/api/v4/users/{uid(world, 'alice')}/tokens") == []


def test_a_button_clicked_by_a_caller_deactivated_since_does_nothing(world, button_bot):
    typed = run_slash_command(world, button_bot.url + "/slash/sessions", COMMAND_TOKEN, "usermanager", "revoke-all @bob")
    confirm = buttons_of(world.ephemeral_post(typed.post_id))[0]
    world.deactivate("usermanager")
    clicked = click_button(world, typed.post_id or "", confirm["id"], "usermanager")
    assert "Your account is deactivated" in (clicked.ephemeral_text or "") and live(world, "bob") > 0
