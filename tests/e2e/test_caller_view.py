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

from bot.sandbox import World
from tests.support.lookups import session_ids


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
