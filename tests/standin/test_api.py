"""Specification of the Mattermost stand-in (``bot.sandbox``), exercised over real HTTP.

Each rule cited here is Mattermost's (see /work/shared/MATTERMOST.md §3–§4 and the server
source named in the sandbox modules); the stand-in must behave the same way.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Response, jsonify

from bot.sandbox import SlashResult, World, run_slash_command
from bot.sandbox.authz import session_has_permission_to_user
from bot.sandbox.ids import ALPHABET, is_valid_id, new_id
from tests.support.contract import assert_exchanges_match_contract
from tests.support.lookups import uid
from tests.support.standin import NOW_MS, UNKNOWN_ID, Api, as_user, assert_app_error

# -- ids -----------------------------------------------------------------------------------

def test_new_id_is_26_chars_of_mattermost_alphabet_and_reproducible() -> None:
    one, two = random.Random(5), random.Random(5)
    assert [new_id(one) for _ in range(3)] == [new_id(two) for _ in range(3)]
    rng = random.Random(1)
    ids = {new_id(rng) for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 26 and set(i) <= set(ALPHABET) and is_valid_id(i) for i in ids)


@pytest.mark.parametrize(("value", "valid"), [
    ("a" * 26, True), ("A1" * 13, True), ("a" * 25, False), ("a" * 27, False),
    ("a" * 25 + "-", False), ("é" * 13, True), ("é" * 26, False),  # Go counts bytes
])
def test_is_valid_id_follows_model_is_valid_id(value: str, valid: bool) -> None:
    assert is_valid_id(value) is valid


def test_seeded_worlds_are_deterministic() -> None:
    one, two = World.seeded(NOW_MS), World.seeded(NOW_MS)
    assert one.bot_token == two.bot_token and one.bot_user_id == two.bot_user_id
    assert one.sessions_of(uid(one, "alice")) == two.sessions_of(uid(two, "alice"))
    assert one.user_by_username("deactivated") == two.user_by_username("deactivated")


# -- roles and the permission rules (§4) ---------------------------------------------------

def test_default_roles_only_system_admin_manages_system_or_edits_other_users() -> None:
    roles = {r["name"]: r for r in World(NOW_MS).roles_by_names(
        ["system_admin", "system_user", "system_guest", "system_user_manager", "system_manager",
         "system_read_only_admin", "system_user_access_token"])}
    for name, role in roles.items():
        admin = name == "system_admin"
        assert ("manage_system" in role["permissions"]) is admin
        assert ("edit_other_users" in role["permissions"]) is admin
    for perm in ("create_post_ephemeral", "revoke_user_access_token", "manage_others_bots"):
        assert perm in roles["system_admin"]["permissions"]
    assert "view_members" in roles["system_user"]["permissions"]
    assert "view_members" not in roles["system_guest"]["permissions"]


def test_seed_ticks_users_can_edit_for_the_user_manager_role() -> None:
    role = World.seeded(NOW_MS).roles_by_names(["system_user_manager"])[0]
    assert {"sysconsole_write_user_management_users", "edit_other_users"} <= set(role["permissions"])


def test_permission_check_uses_session_roles_and_ignores_deleted_roles() -> None:
    roles = {"system_user": {"delete_at": 0, "permissions": []},
             "mgr": {"delete_at": 0, "permissions": ["edit_other_users"]},
             "gone": {"delete_at": 5, "permissions": ["manage_system"]}}
    users = {"t" * 26: {"roles": "system_user"}, "a" * 26: {"roles": "system_user system_admin"}}

    def check(session_roles: str, target: str, **extra: Any) -> bool:
        session = {"user_id": "c" * 26, "roles": session_roles, **extra}
        return session_has_permission_to_user(session, target, roles, users.get)

    assert check("system_user mgr", "t" * 26)
    assert not check("system_user mgr", "a" * 26)  # target is a system admin
    assert not check("system_user mgr", UNKNOWN_ID)  # unknown target
    assert not check("system_user gone", "t" * 26)  # deleted role grants nothing
    assert check("system_user", "c" * 26)  # oneself
    assert not check("system_user", "")  # empty target
    assert check("", "a" * 26, local=True)  # local mode


def test_roles_by_names_returns_role_objects(world: World, url: str) -> None:
    response = as_user(world, url, "alice").post("/roles/names", ["system_user", "no_such_role", "system_admin"])
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    roles = response.json()
    assert [r["name"] for r in roles] == ["system_user", "system_admin"]
    for role in roles:
        assert is_valid_id(role["id"]) and role["built_in"] is True and role["delete_at"] == 0


def test_roles_by_names_rejects_get_and_bad_bodies(world: World, url: str) -> None:
    api = as_user(world, url, "alice")
    assert_app_error(api.get("/roles/names"), 400, "api.context.invalid_url_param.app_error")
    assert_app_error(api.post("/roles/names", []), 400, "api.context.invalid_body_param.app_error")
    assert_app_error(api.post("/roles/names", {"names": []}), 400, "api.context.invalid_body_param.app_error")
    body = assert_app_error(api.post("/roles/names", ["System_User"]), 400, "api.context.invalid_body_param.app_error")
    assert body["message"] == "Invalid or missing rolename in request body."


# -- authentication ------------------------------------------------------------------------

def test_every_endpoint_requires_a_valid_token(world: World, url: str) -> None:
    alice = uid(world, "alice")
    for api in (Api(url, None), Api(url, "n" * 26)):
        assert_app_error(api.get("/users/me"), 401, "api.context.session_expired.app_error")
        assert_app_error(api.get(f"/users/{alice}/sessions"), 401, "api.context.session_expired.app_error")
        assert_app_error(api.post(f"/users/{alice}/sessions/revoke/all"), 401,
                         "api.context.session_expired.app_error")
        assert_app_error(api.post("/roles/names", ["system_user"]), 401, "api.context.session_expired.app_error")
    assert world.sessions_of(alice)  # nothing was revoked


def test_token_scheme_and_query_string_tokens(world: World, url: str) -> None:
    token = world.token_of("alice")
    assert requests.get(url + "/api/v4/users/me", headers={"Authorization": "Token " + token}).status_code == 200
    assert requests.get(url + "/api/v4/users/me", headers={"Authorization": "bearer " + token}).status_code == 200
    response = requests.get(url + "/api/v4/users/me", params={"access_token": token})
    assert_app_error(response, 401, "api.context.token_provided.app_error")


def test_a_session_id_is_not_a_token_and_expired_sessions_do_not_authenticate(world: World, url: str) -> None:
    alice_session = world.sessions_of(uid(world, "alice"))[0]
    assert Api(url, alice_session["id"]).get("/users/me").status_code == 401
    expired = next(s for s in world.sessions_of(uid(world, "bob")) if s["expires_at"] < world.now_ms())
    assert Api(url, expired["token"]).get("/users/me").status_code == 401


def test_last_activity_is_refreshed_when_older_than_five_minutes(world: World, url: str) -> None:
    token = world.token_of("alice")
    before = next(s for s in world.sessions_of(uid(world, "alice")) if s["token"] == token)
    assert world.now_ms() - before["last_activity_at"] > 5 * 60_000
    assert as_user(world, url, "alice").get("/users/me").status_code == 200
    after = next(s for s in world.sessions_of(uid(world, "alice")) if s["token"] == token)
    assert abs(after["last_activity_at"] - world.now_ms()) < 5_000


# -- users ---------------------------------------------------------------------------------

def test_get_me_is_sanitized_for_oneself(world: World, url: str) -> None:
    response = as_user(world, url, "alice").get("/users/me")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    me = response.json()
    assert me["timezone"]["useAutomaticTimezone"] == "true"  # a StringMap, whatever definitions.yaml says
    assert me["id"] == uid(world, "alice") and me["username"] == "alice" and me["roles"] == "system_user"
    assert me["email"] == "alice@example.com" and me["first_name"] == "Alice" and me["delete_at"] == 0
    assert "password" not in me and "mfa_secret" not in me and me["auth_data"] == ""
    assert me["notify_props"]["push"] == "mention"  # one's own profile keeps the notify props


def test_get_other_user_uses_sanitize_profile(world: World, url: str) -> None:
    bob = as_user(world, url, "alice").get(f"/users/{uid(world, 'bob')}").json()
    assert bob["username"] == "bob" and bob["email"] == "bob@example.com"
    assert "notify_props" not in bob and "last_password_update" not in bob and bob["auth_service"] == ""
    world.show_email_address = world.show_full_name = False
    hidden = as_user(world, url, "alice").get(f"/users/{uid(world, 'bob')}").json()
    assert hidden["email"] == "" and hidden["first_name"] == hidden["last_name"] == ""
    admin_view = as_user(world, url, "sysadmin").get(f"/users/{uid(world, 'bob')}").json()
    assert admin_view["email"] == "bob@example.com" and admin_view["last_name"] == "Smith"


def test_get_user_by_id_errors(world: World, url: str) -> None:
    api = as_user(world, url, "alice")
    assert_app_error(api.get("/users/short"), 400, "api.context.invalid_url_param.app_error")
    assert_app_error(api.get(f"/users/{UNKNOWN_ID}"), 404, "app.user.missing_account.const")
    guest = as_user(world, url, "guest")
    assert_app_error(guest.get(f"/users/{UNKNOWN_ID}"), 403, "api.context.permissions.app_error")
    assert guest.get(f"/users/{uid(world, 'alice')}").status_code == 200  # shares town-square


def test_get_user_by_username_and_email(world: World, url: str) -> None:
    api = as_user(world, url, "alice")
    assert api.get("/users/username/bob").json()["id"] == uid(world, "bob")
    assert api.get("/users/email/BOB@example.com").json()["id"] == uid(world, "bob")
    deactivated = api.get("/users/username/deactivated").json()
    assert deactivated["delete_at"] > 0
    assert_app_error(api.get("/users/username/nobody"), 404, "app.user.get_by_username.app_error")
    assert_app_error(api.get("/users/username/Bob"), 400, "api.context.invalid_body_param.app_error")
    assert_app_error(api.get("/users/email/nobody@example.com"), 404, "app.user.missing_account.const")
    assert_app_error(api.get("/users/email/not-an-email"), 400, "api.context.invalid_url_param.app_error")
    world.show_email_address = False
    assert_app_error(api.get("/users/email/bob@example.com"), 403,
                     "api.user.get_user_by_email.permissions.app_error")
    assert as_user(world, url, "sysadmin").get("/users/email/bob@example.com").status_code == 200


# -- sessions (§3.4) -----------------------------------------------------------------------

def test_listing_own_sessions_is_sanitized_and_newest_first(world: World, url: str) -> None:
    response = as_user(world, url, "alice").get("/users/me/sessions")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    sessions = response.json()
    assert len(sessions) == 4
    for session in sessions:
        assert session["token"] == "" and session["user_id"] == uid(world, "alice")
        assert session["team_members"] == [{
            "team_id": world.team["id"], "user_id": uid(world, "alice"), "roles": "team_user", "delete_at": 0,
            "scheme_guest": False, "scheme_user": True, "scheme_admin": False, "explicit_roles": ""}]
    activity = [s["last_activity_at"] for s in sessions]
    assert activity == sorted(activity, reverse=True)
    web, desktop, mobile, pat = sessions
    assert web["props"]["browser"].startswith("Chrome/") and web["props"]["csrf"]
    assert desktop["props"]["browser"].startswith("Desktop App/")
    assert mobile["device_id"].startswith("apple_rn:") and mobile["props"]["isMobile"] == "true"
    assert pat["props"]["type"] == "UserAccessToken" and pat["expires_at"] - pat["create_at"] > 99 * 365 * 86_400_000


def test_expired_sessions_are_still_listed(world: World, url: str) -> None:
    sessions = as_user(world, url, "bob").get("/users/me/sessions").json()
    assert any(s["expires_at"] < world.now_ms() and s["device_id"].startswith("android_rn:") for s in sessions)


@pytest.mark.parametrize(("caller", "target", "status"), [
    ("alice", "alice", 200),
    ("alice", "bob", 403),
    ("usermanager", "alice", 200),
    ("usermanager", "guest", 200),
    ("usermanager", "sysadmin", 403),  # target is a system admin
    ("usermanager", "sessionsbot", 403),  # the bot holds system_admin
    ("sysmanager", "alice", 403),  # default system_manager lacks edit_other_users
    ("guest", "alice", 403),
    ("sysadmin", "otheradmin", 200),
    ("sysadmin", "alice", 200),
    ("sessionsbot", "sysadmin", 200),
    ("alice", None, 403),  # unknown target: 403, not 404
    ("usermanager", None, 403),
])
def test_session_endpoints_use_session_has_permission_to_user(
        world: World, url: str, caller: str, target: str | None, status: int) -> None:
    target_id = uid(world, target) if target else UNKNOWN_ID
    before = world.sessions_of(target_id)
    api = as_user(world, url, caller)
    listing = api.get(f"/users/{target_id}/sessions")
    assert listing.status_code == status
    if status == 403:
        assert_app_error(listing, 403, "api.context.permissions.app_error")
        assert_app_error(api.post(f"/users/{target_id}/sessions/revoke", {"session_id": UNKNOWN_ID}), 403,
                         "api.context.permissions.app_error")
        assert_app_error(api.post(f"/users/{target_id}/sessions/revoke/all"), 403,
                         "api.context.permissions.app_error")
        assert world.sessions_of(target_id) == before


def test_invalid_user_id_in_session_urls(world: World, url: str) -> None:
    api = as_user(world, url, "sysadmin")
    assert_app_error(api.get("/users/abc/sessions"), 400, "api.context.invalid_url_param.app_error")
    assert api.get("/users/not-an-id/sessions").status_code == 404  # the route pattern is [A-Za-z0-9]+


def test_revoke_one_session_by_id(world: World, url: str) -> None:
    alice = uid(world, "alice")
    mobile = next(s for s in world.sessions_of(alice) if s["device_id"])
    response = as_user(world, url, "usermanager").post(f"/users/{alice}/sessions/revoke", {"session_id": mobile["id"]})
    assert response.status_code == 200 and response.json() == {"status": "OK"}
    assert mobile["id"] not in {s["id"] for s in world.sessions_of(alice)}
    assert Api(url, mobile["token"]).get("/users/me").status_code == 401


def test_revoke_accepts_a_session_token_too(world: World, url: str) -> None:
    alice = uid(world, "alice")
    desktop = next(s for s in world.sessions_of(alice) if s["props"].get("browser", "").startswith("Desktop"))
    response = as_user(world, url, "sysadmin").post(f"/users/{alice}/sessions/revoke", {"session_id": desktop["token"]})
    assert response.status_code == 200
    assert desktop["id"] not in {s["id"] for s in world.sessions_of(alice)}


def test_revoke_errors(world: World, url: str) -> None:
    alice, bob = uid(world, "alice"), uid(world, "bob")
    api = as_user(world, url, "sysadmin")
    assert_app_error(api.post(f"/users/{alice}/sessions/revoke", {}), 400, "api.context.invalid_body_param.app_error")
    assert_app_error(api.post(f"/users/{alice}/sessions/revoke", {"session_id": 7}), 400,
                     "api.context.invalid_body_param.app_error")
    assert_app_error(requests.post(api.base + f"/users/{alice}/sessions/revoke", data=b"not json",
                                   headers=api.headers), 400, "api.context.invalid_body_param.app_error")
    assert_app_error(api.post(f"/users/{alice}/sessions/revoke", {"session_id": UNKNOWN_ID}), 400,
                     "app.session.get.app_error")
    bobs = world.sessions_of(bob)[0]["id"]
    body = assert_app_error(api.post(f"/users/{alice}/sessions/revoke", {"session_id": bobs}), 400,
                            "api.context.invalid_url_param.app_error")
    assert "user_id" in body["message"]
    assert bobs in {s["id"] for s in world.sessions_of(bob)}


def test_revoke_all_sessions_of_a_user(world: World, url: str) -> None:
    alice = uid(world, "alice")
    token = world.token_of("alice")
    response = as_user(world, url, "usermanager").post(f"/users/{alice}/sessions/revoke/all")
    assert response.status_code == 200 and response.json() == {"status": "OK"}
    assert world.sessions_of(alice) == []
    assert Api(url, token).get("/users/me").status_code == 401
    assert world.sessions_of(uid(world, "bob"))  # others untouched


def test_revoke_all_of_oneself_ends_the_calling_session(world: World, url: str) -> None:
    api = as_user(world, url, "bob")
    assert api.post("/users/me/sessions/revoke/all").status_code == 200
    assert api.get("/users/me").status_code == 401


def test_revoke_sessions_of_all_users_needs_manage_system(world: World, url: str) -> None:
    assert_app_error(as_user(world, url, "usermanager").post("/users/sessions/revoke/all"), 403,
                     "api.context.permissions.app_error")
    assert as_user(world, url, "sysadmin").post("/users/sessions/revoke/all").status_code == 200
    assert all(world.sessions_of(uid(world, name)) == [] for name in ("alice", "bob", "sysadmin"))
    assert Api(url, world.bot_token).get("/users/me").status_code == 200  # an access token survives


# -- personal access tokens (§3.3) ---------------------------------------------------------

def test_bot_token_session_is_created_on_first_use_and_again_after_revoke(world: World, url: str) -> None:
    bot = world.bot_user_id
    assert world.sessions_of(bot) == []
    assert Api(url, world.bot_token).get("/users/me").status_code == 200
    [first] = world.sessions_of(bot)
    assert first["token"] == world.bot_token
    assert first["props"]["type"] == "UserAccessToken" and first["props"]["is_bot"] == "true"
    assert is_valid_id(first["props"]["user_access_token_id"])
    listed = as_user(world, url, "sysadmin").get(f"/users/{bot}/sessions").json()
    assert [s["id"] for s in listed] == [first["id"]]
    assert as_user(world, url, "sysadmin").post(f"/users/{bot}/sessions/revoke", {"session_id": first["id"]}).ok
    assert world.sessions_of(bot) == []
    assert Api(url, world.bot_token).get("/users/me").status_code == 200
    [second] = world.sessions_of(bot)
    assert second["id"] != first["id"] and second["token"] == world.bot_token


def test_human_access_tokens_need_enable_user_access_tokens(world: World, url: str) -> None:
    token = world.add_access_token(uid(world, "bob"))
    world.enable_user_access_tokens = False
    assert Api(url, token).get("/users/me").status_code == 401
    assert Api(url, world.bot_token).get("/users/me").status_code == 200  # bots are exempt
    world.enable_user_access_tokens = True
    assert Api(url, token).get("/users/me").status_code == 200


def test_revoke_token_and_deactivate(world: World, url: str) -> None:
    bot_api = Api(url, world.bot_token)
    assert bot_api.get("/users/me").status_code == 200
    world.revoke_token(world.bot_token)
    assert bot_api.get("/users/me").status_code == 401
    bob_token = world.token_of("bob")
    world.deactivate("bob")
    assert world.sessions_of(uid(world, "bob")) == []
    assert Api(url, bob_token).get("/users/me").status_code == 401
    assert world.user_by_username("bob")["delete_at"] > 0


# -- changing roles ------------------------------------------------------------------------

def test_role_changes_take_effect(world: World, url: str) -> None:
    alice, bob = uid(world, "alice"), uid(world, "bob")
    assert as_user(world, url, "alice").get(f"/users/{bob}/sessions").status_code == 403
    world.set_roles("alice", "system_user system_admin")
    assert all(s["roles"] == "system_user system_admin" for s in world.sessions_of(alice))
    assert as_user(world, url, "alice").get(f"/users/{bob}/sessions").status_code == 200
    assert as_user(world, url, "usermanager").get(f"/users/{alice}/sessions").status_code == 403  # now an admin

    world.revoke_permission("system_user_manager", "edit_other_users")
    assert as_user(world, url, "usermanager").get(f"/users/{bob}/sessions").status_code == 403
    world.grant("system_manager", "edit_other_users")
    assert as_user(world, url, "sysmanager").get(f"/users/{bob}/sessions").status_code == 200
    world.delete_role("system_manager")
    assert as_user(world, url, "sysmanager").get(f"/users/{bob}/sessions").status_code == 403


# -- the OpenAPI contract -----------------------------------------------------------------

def test_answers_follow_mattermosts_openapi_description(world: World, url: str) -> None:
    """Every documented answer, checked by the project's contract checker (tests/support/contract.py)."""
    alice, bob = uid(world, "alice"), uid(world, "bob")
    api = as_user(world, url, "usermanager")
    api.get("/users/me")
    api.get(f"/users/{alice}")
    api.get("/users/username/alice")
    api.get("/users/email/alice@example.com")
    api.get(f"/users/{UNKNOWN_ID}")
    api.get(f"/users/{alice}/sessions")
    api.get(f"/users/{uid(world, 'sysadmin')}/sessions")
    api.post(f"/users/{alice}/sessions/revoke", {"session_id": UNKNOWN_ID})
    api.post(f"/users/{alice}/sessions/revoke", {"session_id": world.sessions_of(bob)[0]["id"]})
    api.post(f"/users/{alice}/sessions/revoke", {"session_id": world.sessions_of(alice)[0]["id"]})
    api.post(f"/users/{alice}/sessions/revoke/all")
    api.post("/users/sessions/revoke/all")
    api.post("/roles/names", ["system_user", "system_user_manager"])
    Api(url, "n" * 26).get("/users/me")
    as_user(world, url, "sysadmin").post("/users/sessions/revoke/all")
    assert {e.status for e in world.exchanges} == {200, 400, 401, 403, 404}
    assert_exchanges_match_contract(world.exchanges)


# -- routing -------------------------------------------------------------------------------

def test_unknown_routes_and_methods_get_the_404_app_error(world: World, url: str) -> None:
    api = as_user(world, url, "alice")
    for response in (api.get("/no/such/thing"), api.get("/users/me/sessions/revoke"),
                     requests.delete(api.base + "/users/me/sessions", headers=api.headers),
                     requests.get(url + "/api/v4/nothing")):
        assert response.status_code == 404 and response.headers["Content-Type"] == "application/json"
        body = response.json()
        assert body["id"] == "api.context.404.app_error" and "request_id" not in body
        assert "There doesn't appear to be an api call" in body["detailed_error"]


# -- faults and latency --------------------------------------------------------------------

def test_status_fault_answers_app_error_for_a_limited_number_of_times(world: World, url: str) -> None:
    api = as_user(world, url, "alice")
    rule = world.faults.add(r"/sessions$", method="GET", status=500, times=2)
    for _ in range(2):
        response = api.get("/users/me/sessions")
        assert response.status_code == 500 and response.headers["Content-Type"] == "application/json"
        assert response.json()["status_code"] == 500 and is_valid_id(response.json()["request_id"])
    assert api.get("/users/me/sessions").status_code == 200
    assert api.get("/users/me").status_code == 200
    assert rule.hits == 2


def test_well_known_fault_statuses_look_like_mattermost(world: World, url: str) -> None:
    api = as_user(world, url, "alice")
    world.faults.add(r"/users/me$", status=503, times=1)
    assert_app_error(api.get("/users/me"), 503, "api.context.server_busy.app_error")
    world.faults.add(r"/users/me$", status=429, times=1)
    limited = api.get("/users/me")
    assert limited.status_code == 429 and limited.text == "limit exceeded\n"
    assert limited.headers["X-Ratelimit-Remaining"] == "0"


def test_delay_fault_and_latency(world: World, url: str) -> None:
    api = as_user(world, url, "alice")
    world.faults.add(r"/users/me$", delay_s=0.3, times=1)
    started = time.monotonic()
    assert api.get("/users/me").status_code == 200
    assert time.monotonic() - started >= 0.3
    world.faults.add(r"/users/me$", delay_s=0.5, times=1)
    with pytest.raises(requests.Timeout):
        requests.get(api.base + "/users/me", headers=api.headers, timeout=0.1)
    world.latency_s = 0.2
    started = time.monotonic()
    assert api.get("/users/me").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_drop_connection_and_malformed_body(world: World, url: str) -> None:
    api = as_user(world, url, "alice")
    world.faults.add(r"/sessions$", drop_connection=True, times=1)
    with pytest.raises(requests.ConnectionError):
        api.get("/users/me/sessions")
    dropped = world.calls("GET", r"/sessions$")[-1]
    assert dropped.status == 0 and "connection dropped" in dropped.notes
    world.faults.add(r"/sessions$", body=b'[{"id": "trunc', times=1)
    broken = api.get("/users/me/sessions")
    assert broken.status_code == 200 and broken.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        broken.json()
    world.faults.add(r"/sessions$", status=502)
    world.faults.clear()
    assert len(api.get("/users/me/sessions").json()) == 4


# -- recording -----------------------------------------------------------------------------

def test_exchanges_record_what_went_over_the_wire(world: World, url: str) -> None:
    api = as_user(world, url, "sysadmin")
    alice = uid(world, "alice")
    api.post(f"/users/{alice}/sessions/revoke", {"session_id": UNKNOWN_ID})
    api.get(f"/users/{alice}/sessions", params={"page": "0"})
    posts = world.calls("post", r"/sessions/revoke$")
    assert len(posts) == 1
    post = posts[0]
    assert post.path == f"/api/v4/users/{alice}/sessions/revoke" and post.query == ""
    assert post.request_headers["Authorization"] == "Bearer " + world.token_of("sysadmin")
    assert post.request_body == b'{"session_id": "' + UNKNOWN_ID.encode() + b'"}'
    assert post.status == 400 and post.response_headers["Content-Type"] == "application/json"
    assert b"app.session.get.app_error" in post.response_body
    [listing] = world.calls("GET", r"/sessions$")
    assert listing.query == "page=0" and listing.status == 200
    assert b'"token":""' in listing.response_body and world.token_of("alice").encode() not in listing.response_body
    assert len(world.exchanges) == 2


# -- the real client library ---------------------------------------------------------------

def test_mattermostdriver_can_list_sessions(world: World, url: str) -> None:
    from mattermostdriver import Driver

    port = int(url.rsplit(":", 1)[1])
    driver = Driver({"url": "127.0.0.1", "scheme": "http", "port": port, "basepath": "/api/v4",
                     "token": world.bot_token, "request_timeout": 5})
    driver.login()
    assert driver.client.userid == world.bot_user_id
    sessions = driver.users.get_user_sessions(uid(world, "alice"))
    assert isinstance(sessions, list) and len(sessions) == 4
    roles = driver.client.post("/roles/names", options=["system_admin"])
    assert roles[0]["name"] == "system_admin"


# -- slash commands (§1.2–§1.4) ------------------------------------------------------------

def test_slash_request_is_built_like_mattermost(world: World, integration: Any) -> None:
    command_url, seen, _ = integration
    world.site_url = "https://chat.example.com"
    result = run_slash_command(world, command_url, "c" * 26, "alice", "list @bob. @nobody @sysadmin")
    assert result.error is None
    [call] = seen
    assert call["method"] == "POST"
    assert call["headers"]["Accept"] == "application/json"
    assert call["headers"]["Authorization"] == "Token " + "c" * 26
    assert call["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    form = call["form"]
    assert form["token"] == ["c" * 26] and form["team_domain"] == ["acme"] and form["team_id"] == [world.team["id"]]
    assert form["channel_name"] == ["town-square"]
    assert form["channel_id"] == [world.channel_by_name("town-square")["id"]]
    assert form["user_id"] == [uid(world, "alice")] and form["user_name"] == ["alice"]
    assert form["command"] == ["/sessions"] and form["text"] == ["list @bob. @nobody @sysadmin"]
    assert form["user_mentions"] == ["bob", "sysadmin"]
    assert form["user_mentions_ids"] == [uid(world, "bob"), uid(world, "sysadmin")]
    assert form["response_url"][0].startswith("https://chat.example.com/hooks/commands/")
    assert is_valid_id(form["response_url"][0].rsplit("/", 1)[1])
    assert len(form["trigger_id"][0]) > 26 and "timestamp" not in form
    assert list(form) == sorted(form)  # url.Values.Encode sorts the keys


def test_slash_get_method_and_no_auth_header(world: World, integration: Any) -> None:
    command_url, seen, _ = integration
    run_slash_command(world, command_url + "?x=1", "t" * 26, "bob", "", http_method="GET", send_auth_header=False)
    [call] = seen
    assert call["method"] == "GET" and call["body"] == b"" and "Authorization" not in call["headers"]
    assert call["args"]["x"] == ["1"] and call["args"]["text"] == [""] and call["args"]["user_name"] == ["bob"]
    assert "user_mentions" not in call["args"]


@pytest.mark.parametrize(("answer", "expected"), [
    (lambda: jsonify({"response_type": "ephemeral", "text": "Your sessions"}),
     {"visible_text": "Your sessions", "ephemeral": True, "error": None}),
    (lambda: jsonify({"response_type": "in_channel", "text": "Done"}),
     {"visible_text": "Done", "ephemeral": False, "error": None}),
    (lambda: jsonify({}), {"visible_text": None, "ephemeral": False, "error": None, "response": {}}),
    (lambda: jsonify({"response_type": "shout", "text": "x"}), {"visible_text": None, "error": None}),
    (lambda: Response("plain words", content_type="text/plain"),
     {"visible_text": "plain words", "ephemeral": True, "error": None, "response": None}),
    (lambda: Response("", content_type="text/plain"), {"visible_text": None, "ephemeral": False, "error": None}),
    (lambda: Response("", content_type="application/json"),
     {"visible_text": None, "error": "Command with a trigger of 'sessions' failed."}),
    (lambda: Response("{not json", content_type="application/json; charset=utf-8"),
     {"visible_text": None, "error": "Command with a trigger of 'sessions' failed."}),
    (lambda: Response('{"text": 5}', content_type="application/json"),
     {"error": "Command with a trigger of 'sessions' failed."}),
    (lambda: (jsonify({"text": "permission denied"}), 403),
     {"visible_text": None, "status": 403}),
    (lambda: (jsonify({"type": "system_fake", "text": "x"})),
     {"visible_text": None, "error": "Command 'sessions' failed to post response. "
                                     "Please contact your System Administrator."}),
])
def test_slash_reply_interpretation(world: World, integration: Any, answer: Callable[[], Any],
                                    expected: dict[str, Any]) -> None:
    command_url, _, set_handler = integration
    set_handler(answer)
    result = run_slash_command(world, command_url, "t" * 26, "alice", "")
    for field, value in expected.items():
        assert getattr(result, field) == value, field


def test_slash_server_error_and_unreachable_bot(world: World, integration: Any) -> None:
    command_url, _, set_handler = integration
    set_handler(lambda: ("boom", 500))
    result = run_slash_command(world, command_url, "t" * 26, "alice", "")
    assert result.status == 500 and result.error is not None
    assert result.error.startswith("Command with a trigger of 'sessions' returned response 500")
    dead = run_slash_command(world, "http://127.0.0.1:9/command", "t" * 26, "alice", "")
    assert dead == SlashResult(0, "", None, None, False, "Command with a trigger of 'sessions' failed.",
                               dead.elapsed_s)


def test_slash_timeout(world: World, integration: Any) -> None:
    command_url, _, set_handler = integration

    def slow() -> Any:
        time.sleep(0.6)
        return jsonify({"text": "late"})

    set_handler(slow)
    result = run_slash_command(world, command_url, "t" * 26, "alice", "", timeout_s=0.2)
    assert result.error == "Command with a trigger of 'sessions' failed." and result.status == 0
    assert result.elapsed_s < 0.55
