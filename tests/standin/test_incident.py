"""Specification of what the stand-in offers for incident response, over real HTTP: personal access
tokens (MATTERMOST.md §3.3), signing everyone out (§3.4), a channel's members page by page, the world
helpers for big installations, and Mattermost's rate limiter.

Each rule is Mattermost's, from the server source named in ``bot/sandbox/api_tokens.py``,
``access_tokens.py``, ``api_messaging.py`` and ``authz.py``. Tests that use the ``mattermost`` fixture
also have every exchange checked against the OpenAPI description (with the documented
``SPEC_CORRECTIONS``); the few that send deliberately malformed requests, which that description
rightly refuses, use ``raw_url`` instead.

On sockets (``pytest.mark.sockets``): this is the stand-in's own specification, checked on the wire as any
HTTP client sees it, which is what the in-process transport (``bot/sandbox/inprocess.py``) and the bot's socket
tests rely on.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bot.sandbox import SandboxServer, World
from tests.support.contract import assert_exchanges_match_contract
from tests.support.lookups import uid
from tests.support.standin import UNKNOWN_ID, Api, as_user, assert_app_error

pytestmark = pytest.mark.sockets

PERMISSION_ERROR = "api.context.permissions.app_error"
TOKEN_NOT_FOUND = "app.user_access_token.get_by_user.app_error"
TOKEN_ROLE = "system_user_access_token"


@pytest.fixture
def url(mattermost: SandboxServer) -> str:
    return mattermost.url


@pytest.fixture
def raw_url(world: World) -> Iterator[str]:
    """The stand-in without the contract check, for requests the OpenAPI description refuses."""
    with SandboxServer(world) as server:
        yield server.url


def give_roles(world: World, username: str, *extra: str) -> None:
    world.set_roles(username, " ".join([world.user_by_username(username)["roles"], *extra]))


def token_id_of(world: World, username: str, description: str) -> str:
    return next(t["id"] for t in world.access_tokens_of(username) if t["description"] == description)


def sessions_with_token(world: World, token: str) -> list[dict[str, Any]]:
    user_id = next(t["user_id"] for u in world.users() for t in world.access_tokens_of(u["id"]) if t["token"] == token)
    return [s for s in world.sessions_of(user_id) if s["token"] == token]


# -- default roles (MATTERMOST.md §4.2) --------------------------------------------------------

def test_only_the_access_token_role_and_system_admin_hold_the_token_permissions(world: World) -> None:
    token_permissions = {"create_user_access_token", "read_user_access_token", "revoke_user_access_token"}
    roles = {r["name"]: set(r["permissions"]) for r in world.roles_by_names(
        ["system_admin", TOKEN_ROLE, "system_user", "system_guest", "system_user_manager", "system_manager",
         "system_read_only_admin"])}
    assert token_permissions <= roles["system_admin"] and token_permissions == roles[TOKEN_ROLE]
    for name in ("system_user", "system_guest", "system_user_manager", "system_manager", "system_read_only_admin"):
        assert not token_permissions & roles[name], name
    assert "manage_others_bots" in roles["system_admin"]
    assert not any("manage_others_bots" in roles[name] for name in roles if name != "system_admin")


# -- creating a token --------------------------------------------------------------------------

def test_a_new_token_is_answered_once_with_its_secret_and_then_works(world: World, url: str) -> None:
    alice = uid(world, "alice")
    response = as_user(world, url, "sysadmin").post(f"/users/{alice}/tokens", {"description": "incident bot"})
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert response.text.endswith("}\n")  # json.NewEncoder
    created = response.json()
    assert list(created) == ["id", "token", "user_id", "description", "is_active"]
    assert (created["user_id"], created["description"], created["is_active"]) == (alice, "incident bot", True)
    assert created["token"] not in {s["token"] for s in world.sessions_of(alice)}  # no session until used
    assert Api(url, created["token"]).get("/users/me").json()["id"] == alice
    [session] = sessions_with_token(world, created["token"])
    assert session["props"]["type"] == "UserAccessToken" and session["props"]["user_access_token_id"] == created["id"]
    stored = next(t for t in world.access_tokens_of("alice") if t["id"] == created["id"])
    assert stored == created


def test_creating_needs_create_user_access_token_and_for_others_edit_other_users(world: World, url: str) -> None:
    alice, bob = uid(world, "alice"), uid(world, "bob")
    assert_app_error(as_user(world, url, "alice").post(f"/users/{alice}/tokens", {"description": "x"}), 403,
                     PERMISSION_ERROR)
    assert_app_error(as_user(world, url, "usermanager").post(f"/users/{alice}/tokens", {"description": "x"}), 403,
                     PERMISSION_ERROR)  # edit_other_users alone is not enough
    give_roles(world, "alice", TOKEN_ROLE)
    assert as_user(world, url, "alice").post("/users/me/tokens", {"description": "mine"}).status_code == 200
    assert_app_error(as_user(world, url, "alice").post(f"/users/{bob}/tokens", {"description": "x"}), 403,
                     PERMISSION_ERROR)
    give_roles(world, "usermanager", TOKEN_ROLE)
    assert as_user(world, url, "usermanager").post(f"/users/{bob}/tokens", {"description": "x"}).status_code == 200
    assert [t["description"] for t in world.access_tokens_of("bob")] == ["x"]


def test_tokens_of_admins_and_bots_need_more(world: World, url: str) -> None:
    """A system admin's account is out of reach without ``manage_system``; a bot's needs ``manage_others_bots``
    (``SessionHasPermissionToManageBot``), whatever ``edit_other_users`` says; and even with it, a bot that is
    a system admin needs ``manage_system`` (the handler's last check)."""
    give_roles(world, "usermanager", TOKEN_ROLE)
    manager = as_user(world, url, "usermanager")
    sysadmin, bot = uid(world, "sysadmin"), world.bot_user_id
    assert_app_error(manager.post(f"/users/{sysadmin}/tokens", {"description": "x"}), 403, PERMISSION_ERROR)
    assert_app_error(manager.post(f"/users/{bot}/tokens", {"description": "x"}), 403, PERMISSION_ERROR)
    world.grant("system_user_manager", "manage_others_bots")
    assert_app_error(manager.post(f"/users/{bot}/tokens", {"description": "x"}), 403, PERMISSION_ERROR)
    assert len(world.access_tokens_of(bot)) == 1
    made = as_user(world, url, "sysadmin").post(f"/users/{bot}/tokens", {"description": "second bot token"})
    assert made.status_code == 200 and Api(url, made.json()["token"]).get("/users/me").json()["is_bot"] is True


def test_creation_refusals_in_the_servers_order(world: World, url: str) -> None:
    alice, bob = uid(world, "alice"), uid(world, "bob")
    api = as_user(world, url, "alice")  # holds none of the permissions
    assert_app_error(api.post(f"/users/{UNKNOWN_ID}/tokens", {"description": "x"}), 404,
                     "app.user.missing_account.const")  # the user is loaded first
    assert_app_error(api.post("/users/abc/tokens", {"description": "x"}), 400,
                     "api.context.invalid_url_param.app_error")
    body = assert_app_error(api.post(f"/users/{bob}/tokens", {"description": ""}), 400,
                            "api.context.invalid_body_param.app_error")  # before any permission check
    assert "description" in body["message"]
    admin = as_user(world, url, "sysadmin")
    assert_app_error(admin.post(f"/users/{alice}/tokens", {"description": "é" * 128}), 400,
                     "model.user_access_token.is_valid.description.app_error")  # 256 bytes
    assert admin.post(f"/users/{alice}/tokens", {"description": "x" * 255}).status_code == 200
    world.enable_user_access_tokens = False
    assert_app_error(admin.post(f"/users/{alice}/tokens", {"description": "x"}), 501, "app.user_access_token.disabled")
    assert admin.post(f"/users/{world.bot_user_id}/tokens", {"description": "bots are exempt"}).status_code == 200


def test_an_oauth_session_may_not_create_tokens(world: World, url: str) -> None:
    sysadmin = uid(world, "sysadmin")
    oauth = world.add_session(sysadmin, is_oauth=True)
    assert_app_error(Api(url, oauth["token"]).post(f"/users/{sysadmin}/tokens", {"description": "x"}), 403,
                     PERMISSION_ERROR)


def test_a_body_that_is_not_a_token_object_is_refused(world: World, raw_url: str) -> None:
    api, alice = as_user(world, raw_url, "sysadmin"), uid(world, "alice")
    for body in (b"", b"[]", b'"x"', b'{"description": 5}', b'{"description": "x", "is_active": "yes"}', b"{"):
        response = requests.post(f"{api.base}/users/{alice}/tokens", data=body, headers=api.headers, timeout=5)
        message = assert_app_error(response, 400, "api.context.invalid_body_param.app_error")["message"]
        assert "user_access_token" in message, body
    response = requests.post(f"{api.base}/users/{alice}/tokens", data=b'{"description": "x"} trailing',
                             headers=api.headers, timeout=5)
    assert response.status_code == 200  # json.Decoder reads the first value only


# -- listing and reading tokens ----------------------------------------------------------------

def test_listing_never_shows_a_secret_and_pages(world: World, url: str) -> None:
    for number in range(3):
        world.add_access_token("alice", f"script {number}")
    api, alice = as_user(world, url, "sysadmin"), uid(world, "alice")
    listed = api.get(f"/users/{alice}/tokens")
    assert listed.status_code == 200 and not listed.text.endswith("\n")  # json.Marshal + Write
    tokens = listed.json()
    assert [t["description"] for t in tokens] == ["calendar sync script", "script 0", "script 1", "script 2"]
    assert all(list(t) == ["id", "user_id", "description", "is_active"] for t in tokens)
    assert not any(t["token"] in listed.text for t in world.access_tokens_of("alice"))
    assert [t["description"] for t in api.get(f"/users/{alice}/tokens", params={"page": 1, "per_page": 3}).json()] \
        == ["script 2"]
    assert api.get(f"/users/{alice}/tokens", params={"page": 2, "per_page": 3}).json() == []
    assert api.get(f"/users/{UNKNOWN_ID}/tokens").json() == []  # manage_system reaches any id


def test_per_page_is_cut_to_200(world: World, url: str) -> None:
    for number in range(205):
        world.add_access_token("bob", f"t{number}")
    api, bob = as_user(world, url, "sysadmin"), uid(world, "bob")
    assert len(api.get(f"/users/{bob}/tokens", params={"per_page": 1000}).json()) == 200
    assert len(api.get(f"/users/{bob}/tokens").json()) == 60  # the default page
    assert len(api.get(f"/users/{bob}/tokens", params={"page": 1, "per_page": 200}).json()) == 5


def test_malformed_paging_falls_back_to_the_defaults(world: World, raw_url: str) -> None:
    for number in range(70):
        world.add_access_token("bob", f"t{number}")
    api, bob = as_user(world, raw_url, "sysadmin"), uid(world, "bob")
    assert len(api.get(f"/users/{bob}/tokens", params={"page": "x", "per_page": "-1"}).json()) == 60
    assert len(api.get(f"/users/{bob}/tokens", params={"page": "-3", "per_page": "+5"}).json()) == 5
    assert len(api.get(f"/users/{bob}/tokens", params={"pageSize": "7"}).json()) == 7  # the old mobile spelling


def test_listing_needs_read_user_access_token_and_reach(world: World, url: str) -> None:
    alice, bob = uid(world, "alice"), uid(world, "bob")
    assert_app_error(as_user(world, url, "alice").get(f"/users/{alice}/tokens"), 403, PERMISSION_ERROR)
    give_roles(world, "alice", TOKEN_ROLE)
    assert as_user(world, url, "alice").get("/users/me/tokens").status_code == 200
    assert_app_error(as_user(world, url, "alice").get(f"/users/{bob}/tokens"), 403, PERMISSION_ERROR)
    give_roles(world, "usermanager", TOKEN_ROLE)
    manager = as_user(world, url, "usermanager")
    assert [t["user_id"] for t in manager.get(f"/users/{alice}/tokens").json()] == [alice]
    for target in (uid(world, "sysadmin"), world.bot_user_id, UNKNOWN_ID):
        assert_app_error(manager.get(f"/users/{target}/tokens"), 403, PERMISSION_ERROR)


def test_every_token_of_the_installation_is_for_manage_system_only(world: World, url: str) -> None:
    everything = as_user(world, url, "sysadmin").get("/users/tokens").json()
    assert {t["user_id"] for t in everything} == {world.bot_user_id, uid(world, "alice")}
    give_roles(world, "usermanager", TOKEN_ROLE)
    assert_app_error(as_user(world, url, "usermanager").get("/users/tokens"), 403, PERMISSION_ERROR)


def test_reading_one_token(world: World, url: str) -> None:
    calendar = token_id_of(world, "alice", "calendar sync script")
    shown = as_user(world, url, "sysadmin").get(f"/users/tokens/{calendar}")
    assert shown.status_code == 200 and shown.text.endswith("\n")
    assert shown.json() == {"id": calendar, "user_id": uid(world, "alice"), "description": "calendar sync script",
                            "is_active": True}
    alice = as_user(world, url, "alice")
    assert_app_error(alice.get("/users/tokens/abc"), 400, "api.context.invalid_url_param.app_error")
    assert_app_error(alice.get(f"/users/tokens/{UNKNOWN_ID}"), 403, PERMISSION_ERROR)  # permission before lookup
    give_roles(world, "alice", TOKEN_ROLE)
    assert_app_error(alice.get(f"/users/tokens/{UNKNOWN_ID}"), 404, TOKEN_NOT_FOUND)
    assert alice.get(f"/users/tokens/{calendar}").status_code == 200
    bots = token_id_of(world, world.bot_user_id, "sessions bot")
    assert_app_error(alice.get(f"/users/tokens/{bots}"), 403, PERMISSION_ERROR)  # an existing token of another


# -- revoking, disabling, enabling -------------------------------------------------------------

def test_revoking_deletes_the_token_and_its_session(world: World, url: str) -> None:
    [calendar] = world.access_tokens_of("alice")
    assert sessions_with_token(world, calendar["token"])
    response = as_user(world, url, "sysadmin").post("/users/tokens/revoke", {"token_id": calendar["id"]})
    assert response.status_code == 200 and response.json() == {"status": "OK"}
    assert world.access_tokens_of("alice") == [] and world.access_token_by_id(calendar["id"]) is None
    assert not any(s["token"] == calendar["token"] for s in world.sessions_of(uid(world, "alice")))
    assert_app_error(Api(url, calendar["token"]).get("/users/me"), 401, "api.context.session_expired.app_error")
    assert as_user(world, url, "alice").get("/users/me").status_code == 200  # her other sessions stay


def test_a_disabled_token_authenticates_nothing_until_enabled(world: World, url: str) -> None:
    [calendar] = world.access_tokens_of("alice")
    admin = as_user(world, url, "sysadmin")
    assert admin.post("/users/tokens/disable", {"token_id": calendar["id"]}).json() == {"status": "OK"}
    assert world.access_token_by_id(calendar["id"])["is_active"] is False
    assert sessions_with_token(world, calendar["token"]) == []
    assert Api(url, calendar["token"]).get("/users/me").status_code == 401
    assert sessions_with_token(world, calendar["token"]) == []  # no new session either
    assert admin.get(f"/users/tokens/{calendar['id']}").json()["is_active"] is False
    assert admin.post("/users/tokens/disable", {"token_id": calendar["id"]}).status_code == 200  # again: fine
    assert admin.post("/users/tokens/enable", {"token_id": calendar["id"]}).json() == {"status": "OK"}
    assert Api(url, calendar["token"]).get("/users/me").status_code == 200
    assert len(sessions_with_token(world, calendar["token"])) == 1


def test_enabling_is_gated_on_create_not_revoke(world: World, url: str) -> None:
    [calendar] = world.access_tokens_of("alice")
    world.grant("system_user_manager", "revoke_user_access_token")
    manager = as_user(world, url, "usermanager")
    assert manager.post("/users/tokens/disable", {"token_id": calendar["id"]}).status_code == 200
    assert_app_error(manager.post("/users/tokens/enable", {"token_id": calendar["id"]}), 403, PERMISSION_ERROR)
    world.grant("system_user_manager", "create_user_access_token")
    assert manager.post("/users/tokens/enable", {"token_id": calendar["id"]}).status_code == 200


@pytest.mark.parametrize("action", ["revoke", "disable", "enable"])
def test_token_changes_refuse_unknown_foreign_and_empty_ids(world: World, url: str, action: str) -> None:
    """An unknown or empty id is 404 for a caller who may act (the empty check does not return), 403 for
    one who may not; someone else's token is 403 and stays as it was."""
    bots = token_id_of(world, world.bot_user_id, "sessions bot")
    give_roles(world, "usermanager", TOKEN_ROLE)
    manager, alice = as_user(world, url, "usermanager"), as_user(world, url, "alice")
    for token_id in ("", UNKNOWN_ID, "not-an-id"):
        assert_app_error(manager.post(f"/users/tokens/{action}", {"token_id": token_id}), 404, TOKEN_NOT_FOUND)
        assert_app_error(alice.post(f"/users/tokens/{action}", {"token_id": token_id}), 403, PERMISSION_ERROR)
    assert_app_error(manager.post(f"/users/tokens/{action}", {"token_id": bots}), 403, PERMISSION_ERROR)  # a bot's
    give_roles(world, "alice", TOKEN_ROLE)
    calendar = token_id_of(world, "alice", "calendar sync script")
    assert_app_error(as_user(world, url, "bob").post(f"/users/tokens/{action}", {"token_id": calendar}), 403,
                     PERMISSION_ERROR)
    assert world.access_token_by_id(bots)["is_active"] and world.access_token_by_id(calendar)["is_active"]
    assert Api(url, world.bot_token).get("/users/me").status_code == 200


def test_a_body_without_a_token_id_is_looked_up_as_the_empty_id(world: World, raw_url: str) -> None:
    api = as_user(world, raw_url, "sysadmin")
    for body in (b"", b"{}", b"[]", b'{"token_id": 7}', b"{"):
        response = requests.post(api.base + "/users/tokens/revoke", data=body, headers=api.headers, timeout=5)
        assert_app_error(response, 404, TOKEN_NOT_FOUND)


def test_the_bots_own_token_is_cut_off_by_revoking_it(world: World, url: str) -> None:
    bot_api = Api(url, world.bot_token)
    assert bot_api.get("/users/me").status_code == 200
    bots = token_id_of(world, world.bot_user_id, "sessions bot")
    assert as_user(world, url, "sysadmin").post("/users/tokens/revoke", {"token_id": bots}).status_code == 200
    assert bot_api.get("/users/me").status_code == 401


# -- signing everyone out (§3.4) -----------------------------------------------------------------

def test_revoking_everyones_sessions_needs_manage_system(world: World, url: str) -> None:
    def session_ids() -> set[str]:
        return {s["id"] for u in world.users() for s in world.sessions_of(u["id"])}

    before = session_ids()
    assert_app_error(as_user(world, url, "usermanager").post("/users/sessions/revoke/all"), 403, PERMISSION_ERROR)
    assert_app_error(as_user(world, url, "sysmanager").post("/users/sessions/revoke/all"), 403, PERMISSION_ERROR)
    assert session_ids() == before


def test_revoking_everyones_sessions_spares_no_session_but_every_token(world: World, url: str) -> None:
    crowd = world.add_users("staff", 50, sessions_each=3)
    admin = as_user(world, url, "sysadmin")
    [calendar] = world.access_tokens_of("alice")
    assert Api(url, world.bot_token).get("/users/me").status_code == 200

    response = admin.post("/users/sessions/revoke/all")

    assert response.status_code == 200 and response.json() == {"status": "OK"}
    assert all(world.sessions_of(u["id"]) == [] for u in world.users())
    assert admin.get("/users/me").status_code == 401  # the caller's own session too
    assert Api(url, calendar["token"]).get("/users/me").json()["username"] == "alice"  # tokens stay valid
    assert Api(url, world.bot_token).get("/users/me").status_code == 200
    assert len(sessions_with_token(world, calendar["token"])) == 1 and world.sessions_of(crowd[0]["id"]) == []


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


def test_add_access_token_helper(world: World, url: str) -> None:
    disabled = world.add_access_token("bob", "old deploy key", active=False)
    assert Api(url, disabled).get("/users/me").status_code == 401
    an_hour_ago = world.now_ms() - 3_600_000
    used = world.add_access_token(uid(world, "bob"), "ci", last_used_ms=an_hour_ago)  # an id works too
    [session] = sessions_with_token(world, used)
    assert session["last_activity_at"] == session["create_at"] == an_hour_ago
    assert [(t["description"], t["is_active"]) for t in world.access_tokens_of("bob")] == \
        [("old deploy key", False), ("ci", True)]
    with pytest.raises(ValueError):
        world.add_access_token("bob", "x", active=False, last_used_ms=an_hour_ago)
    world.enable_user_access_tokens = False
    with pytest.raises(ValueError):
        world.add_access_token("bob", "refused", last_used_ms=an_hour_ago)
    assert [t["description"] for t in world.access_tokens_of("bob")] == ["old deploy key", "ci"]
    with pytest.raises(KeyError):
        world.add_access_token("nobody")


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


# -- Mattermost's rate limiter -------------------------------------------------------------------

def test_429_for_the_next_calls_to_a_path(world: World, url: str) -> None:
    api, alice = as_user(world, url, "sysadmin"), uid(world, "alice")
    rule = world.faults.rate_limit(r"/sessions/revoke/all$", times=2, retry_after_s=3)
    for _ in range(2):
        limited = api.post(f"/users/{alice}/sessions/revoke/all")
        assert (limited.status_code, limited.text) == (429, "limit exceeded\n")
        assert limited.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert limited.headers["Retry-After"] == "3" and limited.headers["X-Ratelimit-Remaining"] == "0"
        assert {"X-Ratelimit-Limit", "X-Ratelimit-Reset"} <= set(limited.headers)
        assert world.sessions_of(alice)  # refused before the handler ran
    assert api.get("/users/me").status_code == 200  # other paths are not limited
    assert api.post(f"/users/{alice}/sessions/revoke/all").status_code == 200
    assert rule.hits == 2 and world.sessions_of(alice) == []
    assert [e.status for e in world.calls("POST", r"/revoke/all$")] == [429, 429, 200]


def test_a_plain_429_fault_carries_the_limiters_headers(world: World, url: str) -> None:
    world.faults.add(r"/users/me$", status=429, times=1)
    limited = as_user(world, url, "alice").get("/users/me")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert limited.headers["X-Content-Type-Options"] == "nosniff"
    world.faults.add(r"/users/me$", status=503, times=1, headers={"Retry-After": "5"})
    busy = as_user(world, url, "alice").get("/users/me")
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"


# -- the contract, in one place ------------------------------------------------------------------

def test_every_new_endpoint_answers_as_documented(world: World, url: str) -> None:
    """Success and refusal of each endpoint, checked here (and again by the fixture) against the OpenAPI
    description with its SPEC_CORRECTIONS: 200 for a new token, 404 for unknown tokens, 501 when off."""
    admin, alice_api = as_user(world, url, "sysadmin"), as_user(world, url, "alice")
    alice = uid(world, "alice")
    calendar = token_id_of(world, "alice", "calendar sync script")
    channel = world.add_channel("bridge", members=["alice"], private=True)
    made = admin.post(f"/users/{alice}/tokens", {"description": "x"}).json()
    for response in (
        admin.get(f"/users/{alice}/tokens", params={"page": 0, "per_page": 200}),
        admin.get("/users/tokens", params={"page": 0, "per_page": 10}),
        admin.get(f"/users/tokens/{calendar}"),
        admin.post("/users/tokens/disable", {"token_id": calendar}),
        admin.post("/users/tokens/enable", {"token_id": calendar}),
        admin.post("/users/tokens/revoke", {"token_id": made["id"]}),
        alice_api.get(f"/channels/{channel['id']}"),
        alice_api.get(f"/channels/{channel['id']}/members", params={"page": 0, "per_page": 200}),
    ):
        assert response.status_code == 200, response.request.url
    alice_api.post(f"/users/{UNKNOWN_ID}/tokens", {"description": "x"})
    alice_api.post(f"/users/{alice}/tokens", {"description": "x"})
    alice_api.get(f"/users/tokens/{calendar}")
    admin.get(f"/users/tokens/{UNKNOWN_ID}")
    for action in ("revoke", "disable", "enable"):
        admin.post(f"/users/tokens/{action}", {"token_id": UNKNOWN_ID})
    admin.get("/channels/abc")
    admin.get(f"/channels/{UNKNOWN_ID}")
    world.enable_user_access_tokens = False
    admin.post(f"/users/{alice}/tokens", {"description": "x"})
    admin.post("/users/sessions/revoke/all")
    assert {e.status for e in world.exchanges} == {200, 400, 403, 404, 501}
    assert_exchanges_match_contract(world.exchanges)


# --- GET /users?in_team and POST /users/ids (what bulk sign-outs and stale lists read) -------------

def test_team_members_are_listed_by_username_page_by_page(world, mattermost):
    world.add_users("crowd", 250)
    team = world.team["id"]
    headers = {"Authorization": "Bearer " + world.bot_token}
    pages = [requests.get(f"{mattermost.url}/api/v4/users", params={"in_team": team, "page": n, "per_page": 200},
                          headers=headers, timeout=10).json() for n in range(2)]
    names = [u["username"] for page in pages for u in page]
    assert len(pages[0]) == 200 and names == sorted(u["username"] for u in world.team_users(team))


def test_a_team_the_caller_is_not_in_cannot_be_listed(world, mattermost):
    beta = world.team_by_name("beta")["id"]
    answer = requests.get(f"{mattermost.url}/api/v4/users", params={"in_team": beta},
                          headers={"Authorization": "Bearer " + world.token_of("alice")}, timeout=10)
    assert answer.status_code == 403


def test_users_by_ids_leaves_out_unknown_ids_and_refuses_malformed_ones(world, mattermost):
    headers = {"Authorization": "Bearer " + world.bot_token}
    alice = world.user_by_username("alice")["id"]
    found = requests.post(f"{mattermost.url}/api/v4/users/ids", json=[alice, "z" * 26], headers=headers, timeout=10)
    assert [u["username"] for u in found.json()] == ["alice"]
    bad = requests.post(f"{mattermost.url}/api/v4/users/ids", json=["not-an-id"], headers=headers, timeout=10)
    assert bad.status_code == 400
