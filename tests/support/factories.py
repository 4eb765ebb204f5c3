"""Small builders of Mattermost-shaped JSON for the pure tests."""
from __future__ import annotations

import itertools
from typing import Any

NOW_MS = 1_795_000_000_000  # a fixed "now" for rendering tests
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR

_counter = itertools.count()


def session_json(**overrides: Any) -> dict[str, Any]:
    """A web session as GET /users/{id}/sessions returns it (token blanked, csrf left in, §3.1)."""
    n = next(_counter)
    data: dict[str, Any] = {
        "id": f"{n:04d}" + "k" * 22,
        "token": "",
        "create_at": NOW_MS - 3 * DAY,
        "expires_at": NOW_MS + 27 * DAY,
        "last_activity_at": NOW_MS - 5 * MINUTE,
        "user_id": "u" * 26,
        "device_id": "",
        "roles": "system_user",
        "is_oauth": False,
        "expired_notify": False,
        "props": {"platform": "Macintosh", "os": "Mac OS", "browser": "Chrome/120.0", "csrf": "csrf-secret-value", "isMobile": "false"},
        "team_members": [],
        "local": False,
    }
    props = overrides.pop("props", None)
    data.update(overrides)
    if props is not None:
        data["props"] = {**data["props"], **props}
    return data


def token_session_json(*, bot: bool = False, **overrides: Any) -> dict[str, Any]:
    """A personal access token (or bot token) session (§3.3)."""
    props = {"type": "UserAccessToken", "user_access_token_id": "t" * 26, "platform": "", "os": "", "browser": ""}
    if bot:
        props["is_bot"] = "true"
    return session_json(props=props, expires_at=NOW_MS + 100 * 365 * DAY, **overrides)
