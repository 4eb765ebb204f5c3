"""The in-memory state of the Mattermost stand-in: users, roles, sessions, tokens, faults, traffic.

Every public method takes the world's single lock, and everything handed out is a copy, so
the HTTP threads and the test thread never see half-made changes. Behaviour follows the
Mattermost server (MM ``server/channels/app/session.go``, ``user_access_token.go``,
``user.go``, ``server/public/model/session.go``); see ``/work/shared/MATTERMOST.md`` §3–§4. Channels
and posts live in :mod:`~bot.sandbox.messaging`, personal access tokens in
:mod:`~bot.sandbox.access_tokens`, slash commands and their webhooks in :mod:`~bot.sandbox.commands`
and :mod:`~bot.sandbox.command_webhooks` (mixins sharing the world's lock and id sequence).
"""
from __future__ import annotations

import random
import re
import threading
import time
from typing import Any

from . import authz, seed
from .access_tokens import SESSION_TYPE_ACCESS_TOKEN, AccessTokens
from .command_webhooks import CommandWebhooks
from .commands import Commands
from .exchanges import Exchange
from .faults import Faults
from .ids import is_valid_team_name, new_id
from .inprocess import Network
from .messaging import Messaging
from .records import copied
from .roles import VIEW_MEMBERS, default_roles

Record = dict[str, Any]

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
SESSION_LENGTH_MS = 720 * HOUR_MS  # SessionLengthWebInHours / SessionLengthMobileInHours defaults
SESSION_ACTIVITY_TIMEOUT_MS = 5 * 60 * 1000  # how stale last_activity_at must be before it is rewritten
DEFAULT_CHANNELS = (("town-square", "Town Square"), ("off-topic", "Off-Topic"))
"""The channels every team is created with and every member joins (``model.DefaultChannelName`` first)."""

_CROWD_DEVICES = (  # (platform, os, browser, mobile device id prefix) of add_users' sessions
    (*seed.CHROME_WINDOWS, None), (*seed.DESKTOP_MAC, None), (*seed.MOBILE_IPHONE, "apple_rn"),
    (*seed.FIREFOX_LINUX, None), (*seed.MOBILE_ANDROID, "android_rn"),
)

_DEFAULT_NOTIFY_PROPS = {
    "email": "true", "push": "mention", "desktop": "mention", "desktop_sound": "true",
    "mention_keys": "", "channel": "true", "push_status": "away", "comments": "never",
    "first_name": "false", "desktop_threads": "all", "email_threads": "all", "push_threads": "all",
}


def _real_ms() -> int:
    return time.time_ns() // 1_000_000


def _is_guest(user: Record) -> bool:
    return "system_guest" in user["roles"].split()


def _is_expired(session: Record, now_ms: int) -> bool:
    """``Session.IsExpired``: a positive ``expires_at`` in the past."""
    return 0 < session["expires_at"] < now_ms


class World(Messaging, Commands, CommandWebhooks, AccessTokens):
    """A small Mattermost installation: teams with their channels, plus users, roles, sessions, personal
    access tokens, posts, custom slash commands and their webhooks. :attr:`team` is the first team;
    :meth:`add_team` makes more.

    The clock starts at ``now_ms`` (default: the real time; kept as :attr:`started_ms`) and
    runs in real time; :meth:`advance` moves it forward. Ids come from
    ``random.Random(seed_value)``, so two worlds built the same way get the same ids.
    Config defaults are Mattermost's, except where :meth:`seeded` says otherwise.
    """

    def __init__(self, now_ms: int | None = None, *, seed_value: int = 20_240_601, team_name: str = "acme") -> None:
        self._lock = threading.RLock()
        self._rng = random.Random(seed_value)
        self._request_rng = random.Random(seed_value + 1)
        self.started_ms = now_ms if now_ms is not None else _real_ms()
        self._offset_ms = self.started_ms - _real_ms()
        self._roles: dict[str, Record] = default_roles(self._rng, self.started_ms)
        self._users: dict[str, Record] = {}
        self._sessions: dict[str, Record] = {}
        self._team_members: dict[tuple[str, str], Record] = {}  # (team id, user id) -> TeamMember
        self._teams: dict[str, Record] = {}
        self._init_messaging()
        self._init_access_tokens()
        self._init_commands()
        self._init_command_webhooks()
        self.team: Record = self._create_team(team_name)
        self.exchanges: list[Exchange] = []
        self.faults = Faults()
        self.latency_s = 0.0
        self.site_url = "http://localhost:8065"
        self.network = Network()  # the apps this world's server can reach in process (the bot, in tests)
        self.enable_user_access_tokens = False  # ServiceSettings.EnableUserAccessTokens default
        self.show_email_address = True  # PrivacySettings.ShowEmailAddress default
        self.show_full_name = True  # PrivacySettings.ShowFullName default
        self.bot_user_id = ""
        self.bot_token = ""

    @classmethod
    def seeded(cls, now_ms: int | None = None) -> World:
        """The realistic installation described in :mod:`bot.sandbox.seed`."""
        world = cls(now_ms)
        seed.populate(world)
        return world

    # -- clock and ids -------------------------------------------------------------------

    def now_ms(self) -> int:
        """The world's current time in epoch milliseconds."""
        return _real_ms() + self._offset_ms

    def advance(self, ms: int) -> None:
        """Move the world's clock forward by ``ms`` milliseconds."""
        with self._lock:
            self._offset_ms += ms

    def new_id(self) -> str:
        """A fresh, deterministic 26-character id."""
        with self._lock:
            return new_id(self._rng)

    def new_request_id(self) -> str:
        """An id for one HTTP request (drawn from its own sequence, so traffic does not shift entity ids)."""
        with self._lock:
            return new_id(self._request_rng)

    # -- users ---------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        roles: str = "system_user",
        *,
        is_bot: bool = False,
        deactivated: bool = False,
        email: str | None = None,
        first_name: str = "",
        last_name: str = "",
        nickname: str = "",
        create_ms: int | None = None,
        join_team: bool = True,
        team_admin: bool = False,
    ) -> Record:
        """Create a user (as stored, with a password hash) and return a copy of the record.

        ``join_team`` makes them a member of the team and of its default channels
        (``town-square``, ``off-topic``), as joining a team does; ``team_admin`` gives the team
        membership the admin scheme role;
        ``deactivated`` creates them already deactivated (``delete_at`` set).
        """
        with self._lock:
            if any(u["username"] == username for u in self._users.values()):
                raise ValueError(f"username {username!r} is taken")
            created = create_ms if create_ms is not None else self.now_ms()
            user_id = new_id(self._rng)
            user: Record = {
                "id": user_id, "create_at": created, "update_at": created, "delete_at": 0,
                "username": username,
                "password": "" if is_bot else "$2a$10$" + new_id(self._rng) + new_id(self._rng)[:27],
                "auth_data": None, "auth_service": "",
                "email": email if email is not None else f"{username}@{'localhost' if is_bot else 'example.com'}",
                "email_verified": True, "nickname": nickname, "first_name": first_name,
                "last_name": last_name, "position": "", "roles": roles, "allow_marketing": False,
                "props": {}, "notify_props": dict(_DEFAULT_NOTIFY_PROPS),
                "last_password_update": created, "last_picture_update": 0, "failed_attempts": 0,
                "locale": "en",
                "timezone": {"automaticTimezone": "", "manualTimezone": "", "useAutomaticTimezone": "true"},
                "mfa_active": False, "mfa_secret": "", "remote_id": None, "is_bot": is_bot,
                "bot_description": "", "bot_last_icon_update": 0, "terms_of_service_id": "",
                "terms_of_service_create_at": 0, "disable_welcome_email": False,
            }
            self._users[user_id] = user
            if join_team:
                self._join_team(user, self.team["id"], team_admin)
            if deactivated:
                self._deactivate(user, at_ms=max(created, self.started_ms))
            return copied(user)

    def add_users(self, prefix: str, count: int, *, sessions_each: int = 0, roles: str = "system_user",
                  join_team: bool = True) -> list[Record]:
        """Create ``count`` users called ``<prefix>1`` … ``<prefix><count>`` (numbers zero-padded to the
        width of ``count``: ``user001`` … ``user500``), each with ``sessions_each`` live sessions, and
        return their records (copies, as :meth:`add_user` does), in that order.

        Sessions cycle through Chrome on Windows, the desktop app on a Mac, the iPhone app, Firefox on
        Linux and the Android app. The k-th session made (counting across users) was last active k
        minutes ago and created an hour per session index before that, so activity times are distinct
        and nothing expires (for up to ~40,000 sessions). ``ValueError`` if a username is taken. Made
        for crowds: 500 users with 5 sessions each take a fraction of a second.
        """
        width = len(str(count))
        names = [f"{prefix}{number:0{width}d}" for number in range(1, count + 1)]
        with self._lock:
            taken = {u["username"] for u in self._users.values()}.intersection(names)
            if taken:
                raise ValueError(f"usernames taken: {sorted(taken)[:5]}")
            now = self.now_ms()
            made: list[Record] = []
            k = 0
            for name in names:
                user = self.add_user(name, roles, join_team=join_team)
                stored = self._users[user["id"]]
                for index in range(sessions_each):
                    platform, os, browser, device_prefix = _CROWD_DEVICES[index % len(_CROWD_DEVICES)]
                    k += 1
                    last_active = now - k * MINUTE_MS
                    created = last_active - (index + 1) * HOUR_MS
                    self._store_session(
                        stored, id=None, token=None,
                        props=self.login_props(user["id"], platform=platform, os=os, browser=browser,
                                               mobile=device_prefix is not None),
                        device_id=f"{device_prefix}:{self._rng.getrandbits(256):064x}" if device_prefix else "",
                        create_ms=created, last_activity_ms=last_active, expires_ms=created + SESSION_LENGTH_MS,
                        is_oauth=False)
                made.append(user)
            return made

    def _join_team(self, user: Record, team_id: str, team_admin: bool) -> None:
        guest = _is_guest(user)
        self._team_members[(team_id, user["id"])] = {
            "team_id": team_id, "user_id": user["id"],
            "roles": "team_guest" if guest else ("team_user team_admin" if team_admin else "team_user"),
            "delete_at": 0, "scheme_guest": guest, "scheme_user": not guest,
            "scheme_admin": team_admin and not guest, "explicit_roles": "",
        }
        self._join_default_channels(user, team_id)

    def users(self) -> list[Record]:
        """Every stored user record (copies), bots and deactivated users included."""
        with self._lock:
            return copied(list(self._users.values()))

    def user_by_username(self, username: str) -> Record:
        """The stored user record (a copy, password hash included); ``KeyError`` if unknown."""
        with self._lock:
            return copied(self._user_named(username))

    def user_by_id(self, user_id: str) -> Record | None:
        """The stored user record with this id (a copy), or ``None``."""
        with self._lock:
            return copied(self._users.get(user_id))

    def user_by_email(self, email: str) -> Record | None:
        """The stored user record with this (lowercase) email (a copy), or ``None``."""
        with self._lock:
            for user in self._users.values():
                if user["email"] == email:
                    return copied(user)
        return None

    def team_users(self, team_id: str) -> list[Record]:
        """The active members of a team (user records, copies), by username, as ``GET /users?in_team`` sorts them."""
        with self._lock:
            ids = [user_id for (member_team, user_id), m in self._team_members.items()
                   if member_team == team_id and m["delete_at"] == 0]
            return sorted((copied(self._users[user_id]) for user_id in ids), key=lambda u: u["username"])

    def team_members_of(self, user_id: str) -> list[Record]:
        """The user's active team memberships (``TeamMember`` records), oldest team first."""
        with self._lock:
            return [dict(m) for (_team, member_id), m in self._team_members.items()
                    if member_id == user_id and m["delete_at"] == 0]

    def set_roles(self, username: str, roles: str) -> None:
        """Change a user's system roles, like ``PUT /users/{id}/roles``: their sessions get the new roles too."""
        with self._lock:
            user = self._user_named(username)
            user["roles"] = roles
            user["update_at"] = self.now_ms()
            for session in self._sessions.values():
                if session["user_id"] == user["id"]:
                    session["roles"] = roles

    def deactivate(self, username: str) -> None:
        """Deactivate a user like ``UpdateActive(false)``: set ``delete_at`` and revoke all their sessions."""
        with self._lock:
            self._deactivate(self._user_named(username), at_ms=self.now_ms())

    def _deactivate(self, user: Record, *, at_ms: int) -> None:
        user["delete_at"] = user["update_at"] = at_ms
        self._revoke_all_sessions(user["id"])

    def _user_named(self, username: str) -> Record:
        for user in self._users.values():
            if user["username"] == username:
                return user
        raise KeyError(username)

    def sees_everyone(self, viewer_id: str) -> bool:
        """Whether the viewer's *user* roles grant ``view_members`` (``GetViewUsersRestrictions`` is nil)."""
        with self._lock:
            viewer = self._users.get(viewer_id)
            return viewer is not None and authz.roles_grant_permission(viewer["roles"].split(), VIEW_MEMBERS,
                                                                        self._roles)

    def can_see_user(self, viewer_id: str, target_id: str) -> bool:
        """``UserCanSeeOtherUser``: oneself, everyone when :meth:`sees_everyone`, otherwise only
        users sharing a channel with the viewer (the guest case)."""
        with self._lock:
            if viewer_id == target_id or self.sees_everyone(viewer_id):
                return True
            return any(viewer_id in members and target_id in members for members in self._channel_members.values())

    # -- teams ---------------------------------------------------------------------------

    def _create_team(self, name: str, display_name: str | None = None) -> Record:
        team: Record = {"id": new_id(self._rng), "name": name, "display_name": display_name or name.title()}
        self._teams[team["id"]] = team
        for channel_name, channel_display in DEFAULT_CHANNELS:
            self._add_default_channel(team["id"], channel_name, channel_display)
        return team

    def add_team(self, name: str, *, display_name: str | None = None, members: tuple[str, ...] = (),
                 admins: tuple[str, ...] = ()) -> Record:
        """Create another team with its default channels, join ``members`` to it and ``admins`` as team
        admins (usernames), and return it. ``ValueError`` for a name Mattermost refuses or one taken,
        ``KeyError`` for an unknown username."""
        with self._lock:
            if not is_valid_team_name(name) or name in (t["name"] for t in self._teams.values()):
                raise ValueError(f"team name {name!r} is invalid or taken")
            joining = [(self._user_named(u), False) for u in members] + [(self._user_named(u), True) for u in admins]
            team = self._create_team(name, display_name)
            for user, team_admin in joining:
                self._join_team(user, team["id"], team_admin)
            return dict(team)

    def teams(self) -> list[Record]:
        """Every team, oldest first."""
        with self._lock:
            return [dict(team) for team in self._teams.values()]

    def team_by_name(self, name: str) -> Record:
        """The team called ``name`` (``KeyError`` if there is none)."""
        with self._lock:
            for team in self._teams.values():
                if team["name"] == name:
                    return dict(team)
        raise KeyError(name)

    def team_by_id(self, team_id: str) -> Record | None:
        """The team with this id, or ``None``."""
        with self._lock:
            return copied(self._teams.get(team_id))

    def _team_roles(self, team_id: str, user_id: str) -> str | None:
        """The user's roles in the team, or ``None`` when they are not an active member."""
        member = self._team_members.get((team_id, user_id))
        return member["roles"] if member is not None and member["delete_at"] == 0 else None

    def has_team_permission(self, session: Record, team_id: str, permission: str) -> bool:
        """``SessionHasPermissionToTeam``: an empty team id grants nothing; then the caller's roles in the
        team, then their system roles (an unknown team is no obstacle for a system role)."""
        with self._lock:
            if not team_id:
                return False
            return authz.session_has_permission_to_team(session, self._team_roles(team_id, session["user_id"]),
                                                        permission, self._roles)

    # -- roles ---------------------------------------------------------------------------

    def roles_by_names(self, names: list[str]) -> list[Record]:
        """The role records with these names, in request order, each once; unknown names are left out."""
        with self._lock:
            found = [self._roles[name] for name in dict.fromkeys(names) if name in self._roles]
            return copied(found)

    def role_by_id(self, role_id: str) -> Record | None:
        """The role record with this id, or ``None``."""
        with self._lock:
            for role in self._roles.values():
                if role["id"] == role_id:
                    return copied(role)
        return None

    def grant(self, role_name: str, *permissions: str) -> None:
        """Add permissions to a role, as editing it in the System Console does."""
        with self._lock:
            role = self._roles[role_name]
            role["permissions"].extend(p for p in permissions if p not in role["permissions"])
            role["update_at"] = self.now_ms()

    def revoke_permission(self, role_name: str, *permissions: str) -> None:
        """Remove permissions from a role."""
        with self._lock:
            role = self._roles[role_name]
            role["permissions"] = [p for p in role["permissions"] if p not in permissions]
            role["update_at"] = self.now_ms()

    def delete_role(self, role_name: str) -> None:
        """Mark a role deleted (``delete_at`` set): it then grants nothing."""
        with self._lock:
            self._roles[role_name]["delete_at"] = self.now_ms()

    def has_permission(self, session: Record, permission: str) -> bool:
        """``SessionHasPermissionTo`` against the current role definitions."""
        with self._lock:
            return authz.session_has_permission_to(session, permission, self._roles)

    def can_act_on_user(self, session: Record, target_user_id: str) -> bool:
        """``SessionHasPermissionToUser`` against the current roles and users."""
        with self._lock:
            return authz.session_has_permission_to_user(session, target_user_id, self._roles, self._users.get)

    def can_act_on_user_or_bot(self, session: Record, target_user_id: str) -> bool:
        """``SessionHasPermissionToUserOrBot`` against the current roles and users. The stand-in's bots are
        owned by no user of the world (like a bot made by a plugin), so acting on one takes ``manage_others_bots``."""
        with self._lock:
            return authz.session_has_permission_to_user_or_bot(
                session, target_user_id, self._roles, self._users.get,
                lambda user_id: "" if self._users.get(user_id, {}).get("is_bot") else None)

    # -- sessions ------------------------------------------------------------------------

    def login_props(self, user_id: str, *, platform: str, os: str, browser: str,
                    mobile: bool = False) -> dict[str, str]:
        """The props ``DoLogin`` gives a password-login session (User-Agent fields, ``csrf``, login flags)."""
        with self._lock:
            guest = _is_guest(self._users[user_id])
            return {
                "isMobile": str(mobile).lower(), "isSaml": "false", "isOAuthUser": "false",
                "csrf": new_id(self._rng), "platform": platform, "os": os, "browser": browser,
                "is_guest": str(guest).lower(),
            }

    def add_session(
        self,
        user_id: str,
        *,
        id: str | None = None,  # noqa: A002 - mirrors the JSON field
        token: str | None = None,
        props: dict[str, str] | None = None,
        device_id: str = "",
        last_activity_ms: int | None = None,
        create_ms: int | None = None,
        expires_ms: int | None = None,
        is_oauth: bool = False,
    ) -> Record:
        """Store a session for the user and return a copy.

        Defaults: created now, last active at creation, expiring after the default session
        length (30 days), roles copied from the user, props of a Chrome login on Windows.
        """
        with self._lock:
            user = self._users[user_id]
            created = create_ms if create_ms is not None else self.now_ms()
            if props is None:
                props = self.login_props(user_id, platform="Windows", os="Windows 10", browser="Chrome/124.0.6367")
            session = self._store_session(
                user, id=id, token=token, props=props, device_id=device_id, create_ms=created,
                last_activity_ms=last_activity_ms if last_activity_ms is not None else created,
                expires_ms=expires_ms if expires_ms is not None else created + SESSION_LENGTH_MS,
                is_oauth=is_oauth)
            return copied(session)

    def _store_session(self, user: Record, *, id: str | None, token: str | None, props: dict[str, str],  # noqa: A002
                       device_id: str, create_ms: int, last_activity_ms: int, expires_ms: int,
                       is_oauth: bool) -> Record:
        session: Record = {
            "id": id or new_id(self._rng), "token": token or new_id(self._rng), "create_at": create_ms,
            "expires_at": expires_ms, "last_activity_at": last_activity_ms, "user_id": user["id"],
            "device_id": device_id, "roles": user["roles"], "is_oauth": is_oauth,
            "expired_notify": False, "props": dict(props), "local": False,
        }
        self._sessions[session["id"]] = session
        return session

    def sessions_of(self, user_id: str) -> list[Record]:
        """All stored sessions of a user, expired ones included, tokens included, most recently active first."""
        with self._lock:
            rows = [s for s in self._sessions.values() if s["user_id"] == user_id]
            return copied(sorted(rows, key=lambda s: s["last_activity_at"], reverse=True))

    def token_of(self, username: str) -> str:
        """The token of the user's most recently active unexpired session (``LookupError`` if none)."""
        with self._lock:
            user = self._user_named(username)
            now = self.now_ms()
            live = [s for s in self._sessions.values() if s["user_id"] == user["id"] and not _is_expired(s, now)]
            if not live:
                raise LookupError(f"{username} has no live session")
            return max(live, key=lambda s: s["last_activity_at"])["token"]

    def find_session(self, id_or_token: str) -> Record | None:
        """The session whose id *or* token equals the value (``SqlSessionStore.Get``), as a copy."""
        with self._lock:
            for session in self._sessions.values():
                if id_or_token in (session["id"], session["token"]):
                    return copied(session)
        return None

    def authenticate(self, token: str) -> Record | None:
        """Resolve a bearer token to its session, as ``App.GetSession`` does; ``None`` means 401.

        A session token must match exactly and not be expired. An unknown token is tried as
        a personal access token: the first use (and the first after its session was revoked)
        stores a session whose token *is* the access token (``createSessionForUserAccessToken``).
        ``last_activity_at`` is rewritten when older than five minutes.
        """
        with self._lock:
            now = self.now_ms()
            session = next((s for s in self._sessions.values() if s["token"] == token), None)
            if session is None:
                session = self._session_for_access_token(token, now)
            if session is None or _is_expired(session, now) or not self._access_token_sessions_allowed(session):
                return None
            if now - session["last_activity_at"] >= SESSION_ACTIVITY_TIMEOUT_MS:
                session["last_activity_at"] = now
            return copied(session)

    def _access_token_sessions_allowed(self, session: Record) -> bool:
        if session["props"].get("type") != SESSION_TYPE_ACCESS_TOKEN:
            return True
        return self.enable_user_access_tokens or session["props"].get("is_bot") == "true"

    def revoke_session(self, session_id: str) -> None:
        """Delete one session (``App.RevokeSession``); an access token stays valid."""
        with self._lock:
            self._sessions.pop(session_id, None)

    def revoke_all_sessions(self, user_id: str) -> None:
        """Delete every session of the user (``RevokeAllSessions``)."""
        with self._lock:
            self._revoke_all_sessions(user_id)

    def _revoke_all_sessions(self, user_id: str) -> None:
        for sid in [sid for sid, s in self._sessions.items() if s["user_id"] == user_id]:
            del self._sessions[sid]

    def revoke_sessions_of_everyone(self) -> None:
        """Delete every session of every user (``RevokeSessionsFromAllUsers``)."""
        with self._lock:
            self._sessions.clear()

    # -- traffic -------------------------------------------------------------------------

    def record(self, exchange: Exchange) -> None:
        """Append one HTTP exchange to :attr:`exchanges`."""
        with self._lock:
            self.exchanges.append(exchange)

    def calls(self, method: str | None = None, path_regex: str | None = None) -> list[Exchange]:
        """The recorded exchanges with this method (any case) and a path matching ``path_regex`` (``re.search``)."""
        with self._lock:
            return [e for e in self.exchanges
                    if (method is None or e.method.upper() == method.upper())
                    and (path_regex is None or re.search(path_regex, e.path))]
