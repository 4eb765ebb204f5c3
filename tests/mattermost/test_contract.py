"""Every request the bot sends, and every answer the stand-in gives, match Mattermost's OpenAPI description."""
from __future__ import annotations

import re

from tests.support.contract import assert_exchanges_match_contract, contract_or_skip

ENDPOINTS = {
    ("GET", r"/api/v4/users/me"),
    ("GET", r"/api/v4/users/[a-z0-9]{26}"),
    ("GET", r"/api/v4/users/username/[^/]+"),
    ("GET", r"/api/v4/users/email/[^/]+"),
    ("POST", r"/api/v4/roles/names"),
    ("GET", r"/api/v4/users/[a-z0-9]{26}/sessions"),
    ("POST", r"/api/v4/users/[a-z0-9]{26}/sessions/revoke"),
    ("POST", r"/api/v4/users/[a-z0-9]{26}/sessions/revoke/all"),
}


def test_every_endpoint_the_bot_uses_is_exercised_and_matches_the_contract(slash, world):
    contract_or_skip()
    alice = world.user_by_username("alice")
    session = world.sessions_of(alice["id"])[0]["id"]
    for user, text in [
        ("alice", "list"),
        ("usermanager", "list alice@example.com"),
        ("usermanager", "list @nobody"),
        ("usermanager", f"list {alice['id']}"),
        ("usermanager", "list @sysadmin"),
        ("usermanager", f"revoke {session[:8]} @alice"),
        ("usermanager", f"revoke {session[:8]} @alice"),
        ("bob", "revoke-all --yes"),
        ("sysadmin", "revoke-all @otheradmin --yes"),
    ]:
        assert slash(user, text).status == 200
    seen = {(e.method, e.path) for e in world.exchanges}
    for method, pattern in ENDPOINTS:
        assert any(m == method and re.fullmatch(pattern, p) for m, p in seen), f"{method} {pattern} never called"
    assert_exchanges_match_contract(world.exchanges)


BUTTON_ENDPOINTS = {
    ("POST", r"/api/v4/channels/direct"),
    ("POST", r"/api/v4/posts"),
    ("POST", r"/api/v4/posts/ephemeral"),
}


def test_buttons_notices_and_audit_posts_match_the_contract(make_bot, world):
    from bot.sandbox import buttons_of, click_button, run_slash_command
    from tests.support.settings import COMMAND_TOKEN

    contract_or_skip()
    channel = world.add_channel("security-audit", members=["sessionsbot"])
    bot = make_bot(audit_channel_id=channel["id"])
    post_id = run_slash_command(world, bot.url + "/slash/sessions", COMMAND_TOKEN, "usermanager", "list @alice").post_id
    click_button(world, post_id, buttons_of(world.ephemeral_post(post_id))[0]["id"], "usermanager")
    seen = {(e.method, e.path) for e in world.exchanges}
    for method, pattern in BUTTON_ENDPOINTS:
        assert any(m == method and re.fullmatch(pattern, p) for m, p in seen), f"{method} {pattern} never called"
    assert_exchanges_match_contract(world.exchanges)
