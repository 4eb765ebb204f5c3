"""The stand-in tells each caller about others exactly as far as Mattermost would: the client configuration with
its privacy settings, who may see whom (``UserCanSeeOtherUser``), a user's team memberships, and a channel's
member count. Sources are cited in ``bot/sandbox/api_directory.py`` and ``World.can_see_user``."""
from __future__ import annotations

import requests

from bot.sandbox import World
from bot.sandbox.messaging import group_name
from bot.sandbox.roles import VIEW_MEMBERS
from tests.support.contract import assert_exchanges_match_contract
from tests.support.lookups import uid
from tests.support.standin import as_user, assert_app_error


def test_the_client_config_says_whether_emails_are_shown_to_a_session_only(world: World, url: str) -> None:
    api = as_user(world, url, "sessionsbot")
    assert api.get("/config/client?format=old").json()["ShowEmailAddress"] == "true"
    world.show_email_address = False
    assert api.get("/config/client?format=old").json()["ShowEmailAddress"] == "false"
    anonymous = requests.get(url + "/api/v4/config/client?format=old", timeout=5)
    assert anonymous.status_code == 200 and "ShowEmailAddress" not in anonymous.json()
    assert_app_error(api.get("/config/client"), 501, "api.config.client.old_format.app_error")
    assert_app_error(api.get("/config/client?format=new"), 400, "api.context.invalid_url_param.app_error")
    assert_exchanges_match_contract(world.exchanges)


def test_without_view_members_a_user_sees_only_people_sharing_a_channel_or_a_team_granting_it(world: World) -> None:
    world.revoke_permission("system_user", VIEW_MEMBERS)
    loner = world.add_user("loner", join_team=False)
    alice, bob = uid(world, "alice"), uid(world, "bob")
    assert world.can_see_user(alice, bob)  # town-square
    assert not world.can_see_user(alice, loner["id"]) and world.can_see_user(alice, alice)
    world.get_or_create_direct_channel(alice, loner["id"])
    assert world.can_see_user(alice, loner["id"])  # a direct message is a shared channel


def test_team_level_view_members_shows_the_whole_team(world: World) -> None:
    world.revoke_permission("system_user", VIEW_MEMBERS)
    world.add_user("teamonly", join_team=False)
    gamma = world.add_team("gamma", members=("alice", "teamonly"))["id"]
    for channel in ("town-square", "off-topic"):  # in the same team, but no channel in common
        world.leave_channel(channel, "teamonly", gamma)
    alice, teamonly = uid(world, "alice"), uid(world, "teamonly")
    assert not world.can_see_user(alice, teamonly)
    world.grant("team_user", VIEW_MEMBERS)
    assert world.can_see_user(alice, teamonly)


def test_team_memberships_of_a_user_need_rights_over_them_and_sight_of_them(world: World, url: str) -> None:
    bob = uid(world, "bob")
    members = as_user(world, url, "sessionsbot").get(f"/users/{bob}/teams/members").json()
    assert [(m["team_id"], m["roles"]) for m in members] == [(world.team["id"], "team_user")]
    assert as_user(world, url, "alice").get(f"/users/{bob}/teams/members").status_code == 403
    assert as_user(world, url, "bob").get(f"/users/{bob}/teams/members").status_code == 200
    assert_exchanges_match_contract(world.exchanges)


def test_channel_stats_count_active_members_for_those_who_may_read_the_channel(world: World, url: str) -> None:
    ops = world.add_channel("ops", members=("alice", "bob", "deactivated"), private=True)
    admin, alice, guest = (as_user(world, url, name) for name in ("sessionsbot", "alice", "guest"))
    assert admin.get(f"/channels/{ops['id']}/stats").json()["member_count"] == 2
    assert alice.get(f"/channels/{ops['id']}/stats").json()["member_count"] == 2
    assert_app_error(guest.get(f"/channels/{ops['id']}/stats"), 403, "api.context.permissions.app_error")
    assert_exchanges_match_contract(world.exchanges)


def test_a_group_message_has_no_team_and_is_named_by_its_members(world: World) -> None:
    group = world.add_group_channel("alice", "bob", "guest")
    assert (group["type"], group["team_id"]) == ("G", "")
    assert group["name"] == group_name(uid(world, name) for name in ("alice", "bob", "guest"))
    assert sorted(world.channel_members(group["id"])) == sorted(uid(world, n) for n in ("alice", "bob", "guest"))
