"""Specification of what the stand-in offers for incident response, over real HTTP: a channel's members
page by page, channels by id, and the world helpers for big installations.

Each rule is Mattermost's, from the server source named in ``bot/sandbox/api_messaging.py`` and
``messaging.py``. Tests that use the ``mattermost`` fixture
also have every exchange checked against the OpenAPI description (with the documented
``SPEC_CORRECTIONS``); the few that send deliberately malformed requests, which that description
rightly refuses, use ``raw_url`` instead.
"""
from __future__ import annotations

import time

import pytest

from bot.sandbox import SandboxServer, World
from tests.test_sandbox import UNKNOWN_ID, as_user, assert_app_error, uid

PERMISSION_ERROR = "api.context.permissions.app_error"


@pytest.fixture
def url(mattermost: SandboxServer) -> str:
    return mattermost.url


# -- channels and their members ------------------------------------------------------------------

def test_channel_members_come_page_by_page(world: World, url: str) -> None:
    crowd = world.add_users("oncall", 450)
    channel = world.add_channel("incident-42", members=["alice", *(u["username"] for u in crowd)])
    api = as_user(world, url, "alice")
    pages = [api.get(f"/channels/{channel['id']}/members", params={"page": page, "per_page": 200})
             for page in range(4)]
    assert [p.status_code for p in pages] == [200] * 4 and pages[0].text.endswith("]\n")
    ids = [m["user_id"] for p in pages for m in p.json()]
    assert [len(p.json()) for p in pages] == [200, 200, 51, 0]
    assert ids == world.channel_members(channel["id"]) and len(set(ids)) == 451
    assert len(api.get(f"/channels/{channel['id']}/members", params={"per_page": 500}).json()) == 200
    assert len(api.get(f"/channels/{channel['id']}/members").json()) == 60


def test_a_member_record_is_a_channel_member(world: World, url: str) -> None:
    channel = world.add_channel("triage", members=["alice", "guest"], private=True)
    alice, guest = as_user(world, url, "alice").get(f"/channels/{channel['id']}/members").json()
    assert list(alice) == ["channel_id", "user_id", "roles", "last_viewed_at", "msg_count", "mention_count",
                           "mention_count_root", "urgent_mention_count", "msg_count_root", "notify_props",
                           "last_update_at", "scheme_guest", "scheme_user", "scheme_admin", "explicit_roles"]
    assert (alice["channel_id"], alice["user_id"]) == (channel["id"], uid(world, "alice"))
    assert alice["roles"] == "channel_user"
    assert (alice["scheme_user"], alice["scheme_guest"], alice["explicit_roles"]) == (True, False, "")
    assert alice["notify_props"]["mark_unread"] == "all" and alice["last_update_at"] > 0
    assert (guest["roles"], guest["scheme_guest"], guest["scheme_user"]) == ("channel_guest", True, False)


@pytest.mark.parametrize(("caller", "status"), [
    ("alice", 200),  # a member
    ("bob", 403),  # not a member: read_channel comes with membership
    ("guest", 403),
    ("sysadmin", 200),  # system_admin holds read_channel
    ("usermanager", 200),  # "User Management → Channels: Can read" grants read_channel (ancillary)
    ("sysmanager", 200),  # likewise
])
@pytest.mark.parametrize("private", [True, False])
def test_who_may_list_a_channels_members(world: World, url: str, caller: str, status: int, private: bool) -> None:
    channel = world.add_channel("war-room", members=["alice"], private=private)
    response = as_user(world, url, caller).get(f"/channels/{channel['id']}/members")
    assert response.status_code == status
    if status == 403:
        assert_app_error(response, 403, PERMISSION_ERROR)


def test_channel_members_of_an_unknown_or_malformed_id(world: World, url: str) -> None:
    admin = as_user(world, url, "sysadmin")
    assert_app_error(admin.get(f"/channels/{UNKNOWN_ID}/members"), 403, PERMISSION_ERROR)  # not 404
    assert_app_error(admin.get("/channels/abc/members"), 400, "api.context.invalid_url_param.app_error")


def test_resolving_a_tilde_channel_name_within_the_team(world: World, url: str) -> None:
    secret = world.add_channel("secret-ops", members=["alice"], private=True)
    world.add_channel("secret-ops", members=["bob"], team="beta")
    team = world.team["id"]
    found = as_user(world, url, "alice").get(f"/teams/{team}/channels/name/secret-ops")
    assert found.status_code == 200 and found.json()["id"] == secret["id"] and found.json()["type"] == "P"
    assert_app_error(as_user(world, url, "bob").get(f"/teams/{team}/channels/name/secret-ops"), 404,
                     "app.channel.get_by_name.missing.app_error")  # private and not his: "missing"
    assert as_user(world, url, "sysadmin").get(f"/teams/{team}/channels/name/secret-ops").json()["id"] == secret["id"]
    assert_app_error(as_user(world, url, "alice").get(f"/teams/{team}/channels/name/no-such"), 404,
                     "app.channel.get_by_name.missing.app_error")


def test_reading_a_channel_by_id(world: World, url: str) -> None:
    secret = world.add_channel("secret-ops", members=["alice"], private=True)
    public = world.add_channel("open-ops", members=["alice"])
    shown = as_user(world, url, "alice").get(f"/channels/{secret['id']}")
    assert shown.status_code == 200 and shown.json() == secret and shown.text.endswith("}\n")
    assert_app_error(as_user(world, url, "bob").get(f"/channels/{secret['id']}"), 403, PERMISSION_ERROR)  # not 404
    assert as_user(world, url, "bob").get(f"/channels/{public['id']}").status_code == 200  # read_public_channel
    assert_app_error(as_user(world, url, "alice").get(f"/channels/{UNKNOWN_ID}"), 404,
                     "app.channel.get.existing.app_error")
    assert_app_error(as_user(world, url, "alice").get("/channels/abc"), 400, "api.context.invalid_url_param.app_error")


# -- world helpers -------------------------------------------------------------------------------

def test_add_users_builds_a_crowd_with_sessions_in_well_under_a_second() -> None:
    world = World.seeded()
    started = time.perf_counter()
    crowd = world.add_users("user", 500, sessions_each=5)
    assert time.perf_counter() - started < 2.0
    assert [u["username"] for u in crowd[:2]] + [crowd[-1]["username"]] == ["user001", "user002", "user500"]
    sessions = [s for u in crowd for s in world.sessions_of(u["id"])]
    assert len(sessions) == 2500 and len({s["last_activity_at"] for s in sessions}) == 2500
    assert all(s["expires_at"] > world.now_ms() > s["last_activity_at"] > s["create_at"] for s in sessions)
    first = world.sessions_of(crowd[0]["id"])
    assert {s["props"]["browser"].split("/")[0] for s in first} == {"Chrome", "Desktop App", "Mobile App", "Firefox"}
    assert sum(bool(s["device_id"]) for s in first) == 2
    assert all(world.team_members_of(u["id"]) for u in crowd[:3])
    with pytest.raises(ValueError):
        world.add_users("user", 500)


def test_add_channel_helper(world: World) -> None:
    beta = world.team_by_name("beta")
    ops = world.add_channel("ops", members=["sysadmin"], team="beta", private=True)
    assert (ops["team_id"], ops["type"], ops["display_name"]) == (beta["id"], "P", "Ops")
    assert world.add_channel("ops", members=["alice"])["team_id"] == world.team["id"]  # names are per team
    assert world.add_channel("no-members")["type"] == "O" and world.add_channel("loose", team=False)["team_id"] == ""
    for bad in ("Ops", "-ops", "x"):
        with pytest.raises(ValueError):
            world.add_channel(bad)
    with pytest.raises(ValueError):
        world.add_channel("ops", team="beta")
    with pytest.raises(KeyError):
        world.add_channel("elsewhere", team="gamma")
