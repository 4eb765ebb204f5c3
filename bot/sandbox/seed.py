"""The realistic installation behind ``World.seeded()``.

Team ``acme`` with ``town-square`` and ``off-topic``; everyone is a member (``sysadmin`` as team
admin). Team ``beta``, with its own ``town-square`` and ``off-topic``, has two members: ``sysadmin``
(team admin) and the bot. No slash command is registered anywhere.

Users (system roles):

* ``sysadmin``, ``otheradmin`` — ``system_user system_admin``;
* ``usermanager`` — ``system_user system_user_manager``. The *default* ``system_user_manager``
  role lacks ``sysconsole_write_user_management_users`` and so ``edit_other_users``
  (MATTERMOST.md §4.2). The seed grants that role "User Management → Users: Can edit", as an
  admin would by ticking it in the System Console: the sysconsole permission plus its
  ancillary ``edit_other_users``, ``demote_to_guest`` and ``promote_guest``;
* ``sysmanager`` — ``system_user system_manager`` (defaults: no ``edit_other_users``);
* ``alice``, ``bob`` — ``system_user``; ``guest`` — ``system_guest``;
* ``deactivated`` — ``system_user``, deactivated, no sessions;
* ``sessionsbot`` — a bot with ``system_user system_admin`` and a personal access token
  (``world.bot_token``) that has not been used yet.

Sessions carry the props ``DoLogin`` sets (MATTERMOST.md §3.1–3.2). alice has a web, a desktop
and an iPhone session plus a personal access token used once (so ``EnableUserAccessTokens``
is switched on, as an admin must for people to have tokens); bob has a Firefox session and
an Android session that expired but was not cleaned up. Activity ranges from minutes to
weeks ago; web and mobile sessions last 30 days, access-token sessions 100 years.
"""
from __future__ import annotations

import random
from typing import TYPE_CHECKING

from .roles import WRITE_USERS_CONSOLE, with_ancillary

if TYPE_CHECKING:
    from .world import World

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

CHROME_MAC = ("Macintosh", "Mac OS", "Chrome/124.0.6367")
CHROME_WINDOWS = ("Windows", "Windows 10", "Chrome/124.0.6367")
CHROME_OS = ("Linux", "Chrome OS", "Chrome/124.0.6367")
EDGE_WINDOWS = ("Windows", "Windows 10", "Edge/124.0.2478")
FIREFOX_LINUX = ("Linux", "Linux", "Firefox/126.0")
SAFARI_MAC = ("Macintosh", "Mac OS", "Safari/17.4.1")
DESKTOP_WINDOWS = ("Windows", "Windows 10", "Desktop App/5.8.1")
DESKTOP_MAC = ("Macintosh", "Mac OS", "Desktop App/5.8.1")
MOBILE_IPHONE = ("iPhone", "iOS", "Mobile App/2.17.0")
MOBILE_ANDROID = ("Linux", "Android", "Mobile App/2.16.1")

# username, roles, first name, last name, created (days ago)
_PEOPLE = (
    ("sysadmin", "system_user system_admin", "Sam", "Rivera", 420),
    ("otheradmin", "system_user system_admin", "Olivia", "Chen", 300),
    ("usermanager", "system_user system_user_manager", "Uma", "Patel", 200),
    ("sysmanager", "system_user system_manager", "Marco", "Rossi", 180),
    ("alice", "system_user", "Alice", "Johnson", 150),
    ("bob", "system_user", "Bob", "Smith", 120),
    ("guest", "system_guest", "Greta", "Berg", 30),
    ("deactivated", "system_user", "Dan", "Former", 365),
)

# username, device (platform, os, browser), mobile device prefix, created, last active, expires (None: +30 d)
_SESSIONS = (
    ("alice", CHROME_MAC, None, 3 * DAY_MS, 12 * MINUTE_MS, None),
    ("alice", DESKTOP_WINDOWS, None, 20 * DAY_MS, 2 * HOUR_MS, None),
    ("alice", MOBILE_IPHONE, "apple_rn", 25 * DAY_MS, 1 * DAY_MS, None),
    ("bob", FIREFOX_LINUX, None, 6 * DAY_MS, 35 * MINUTE_MS, None),
    ("bob", MOBILE_ANDROID, "android_rn", 45 * DAY_MS, 16 * DAY_MS, 15 * DAY_MS),
    ("sysadmin", CHROME_WINDOWS, None, 2 * DAY_MS, 8 * MINUTE_MS, None),
    ("sysadmin", DESKTOP_MAC, None, 14 * DAY_MS, 5 * HOUR_MS, None),
    ("otheradmin", SAFARI_MAC, None, 10 * DAY_MS, 3 * DAY_MS, None),
    ("usermanager", CHROME_WINDOWS, None, 1 * DAY_MS, 25 * MINUTE_MS, None),
    ("sysmanager", EDGE_WINDOWS, None, 4 * DAY_MS, 50 * MINUTE_MS, None),
    ("guest", CHROME_OS, None, 2 * DAY_MS, 6 * HOUR_MS, None),
)


def populate(world: World) -> None:
    """Fill an empty world with the users, sessions and tokens described in the module docstring."""
    now = world.started_ms
    device_rng = random.Random(7)
    world.enable_user_access_tokens = True
    world.grant("system_user_manager", *with_ancillary((WRITE_USERS_CONSOLE,)))
    for username, roles, first, last, age_days in _PEOPLE:
        world.add_user(username, roles, first_name=first, last_name=last, create_ms=now - age_days * DAY_MS,
                       deactivated=username == "deactivated", team_admin=username == "sysadmin")
    bot = world.add_user("sessionsbot", "system_user system_admin", is_bot=True, first_name="Sessions Bot",
                         create_ms=now - 7 * DAY_MS)
    world.bot_user_id = bot["id"]
    world.bot_token = world.add_access_token(bot["id"], "sessions bot")

    for username, (platform, os, browser), device_prefix, created_ago, active_ago, expired_ago in _SESSIONS:
        user_id = world.user_by_username(username)["id"]
        created = now - created_ago
        world.add_session(
            user_id,
            props=world.login_props(user_id, platform=platform, os=os, browser=browser,
                                    mobile=device_prefix is not None),
            device_id=f"{device_prefix}:{device_rng.getrandbits(256):064x}" if device_prefix else "",
            create_ms=created,
            last_activity_ms=now - active_ago,
            expires_ms=now - expired_ago if expired_ago is not None else None,
        )

    alice_id = world.user_by_username("alice")["id"]
    world.use_access_token(world.add_access_token(alice_id, "calendar sync script"), at_ms=now - 9 * DAY_MS)
    world.add_team("beta", members=("sessionsbot",), admins=("sysadmin",))
