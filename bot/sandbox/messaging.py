"""Channels and memberships of a :class:`~bot.sandbox.world.World` (its posts are :mod:`.post_store`).

A mixin: the world owns the lock, the id sequences, the users, roles and team, and calls
:meth:`Messaging._init_messaging` from its constructor. Methods raise :class:`~bot.sandbox.wire.AppError`
for what Mattermost's app layer refuses, so the REST handlers only pass errors on.

Sources: MM ``server/channels/app/channel.go`` (``GetOrCreateDirectChannel``,
``createDirectChannelWithUser``), ``server/channels/store/sqlstore/channel_store.go``
(``CreateDirectChannel``: creator is the first user, both members get the plain member role),
``server/public/model/channel.go`` @49aadbc5 (``GetDMNameFromIds``), ``server/channels/app/post.go``
(``CreatePost``, ``SendEphemeralPost``, ``UpdatePost``), ``server/public/model/integration_action.go``
@02c02352 (``GenerateActionIds``, ``AddPostActionCookies``) and
``server/channels/app/integration_action.go`` (``DoPostActionWithCookie``).
"""
from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Iterable
from typing import Any

from . import authz
from .ids import is_valid_channel_name, new_id
from .records import copied
from .roles import CREATE_POST, CREATE_POST_PUBLIC
from .views import channel_member_view, channel_view
from .wire import AppError

Record = dict[str, Any]


def dm_name(user_id_a: str, user_id_b: str) -> str:
    """``GetDMNameFromIds``: the two ids, smaller first, joined by ``__``."""
    return "__".join(sorted((user_id_a, user_id_b)))


def group_name(user_ids: Iterable[str]) -> str:
    """``GetGroupNameFromUserIds``: the SHA-1 (hex) of the sorted ids joined by ``__``."""
    return hashlib.sha1("__".join(sorted(user_ids)).encode()).hexdigest()


class Messaging:
    """Channels and channel memberships (mixed into ``World``)."""

    _lock: threading.RLock
    _rng: random.Random
    _request_rng: random.Random
    _users: dict[str, Record]
    _roles: dict[str, Record]
    team: Record

    def now_ms(self) -> int:  # pragma: no cover - provided by World
        raise NotImplementedError

    def _init_messaging(self) -> None:
        self._channels: dict[str, Record] = {}
        self._channel_members: dict[str, dict[str, str]] = {}  # channel id -> user id -> channel roles
        self._member_since: dict[tuple[str, str], int] = {}  # (channel id, user id) -> when they joined
        self._default_channels: dict[str, list[str]] = {}  # team id -> its default channel ids
        self._posts: dict[str, Record] = {}  # stored posts, integrations included, oldest first
        self._ephemeral: dict[str, tuple[str, Record]] = {}  # post id -> (recipient id, post)

    # -- channels ------------------------------------------------------------------------

    def _new_channel(self, name: str, display_name: str, channel_type: str, team_id: str,
                     creator_id: str = "") -> Record:
        now = self.now_ms()
        channel: Record = {
            "id": new_id(self._rng), "create_at": now, "update_at": now, "delete_at": 0, "team_id": team_id,
            "type": channel_type, "display_name": display_name, "name": name, "header": "", "purpose": "",
            "last_post_at": 0, "total_msg_count": 0, "extra_update_at": 0, "creator_id": creator_id,
            "scheme_id": None, "props": None, "group_constrained": None,
            "shared": False if channel_type == "D" else None, "total_msg_count_root": 0, "policy_id": None,
            "last_root_post_at": 0, "banner_info": None, "policy_enforced": False,
        }
        self._channels[channel["id"]] = channel
        self._channel_members[channel["id"]] = {}
        return channel

    def _add_default_channel(self, team_id: str, name: str, display_name: str) -> None:
        """A channel every member of the team joins (``town-square``, ``off-topic``)."""
        channel_id = self._new_channel(name, display_name, "O", team_id)["id"]
        self._default_channels.setdefault(team_id, []).append(channel_id)

    def _add_member(self, channel_id: str, user: Record) -> None:
        guest = "system_guest" in user["roles"].split()
        self._channel_members[channel_id][user["id"]] = "channel_guest" if guest else "channel_user"
        self._member_since[(channel_id, user["id"])] = self.now_ms()

    def _join_default_channels(self, user: Record, team_id: str) -> None:
        for channel_id in self._default_channels.get(team_id, ()):
            self._add_member(channel_id, user)

    def add_channel(self, name: str, *, members: Iterable[str] = (), type: str = "O",  # noqa: A002 - JSON field
                    private: bool = False, team: bool | str = True, display_name: str | None = None) -> Record:
        """Create a channel with these members (usernames, in joining order) and return it.

        ``private=True`` (or ``type="P"``) makes it private, otherwise it is public (``O``). ``team`` is
        a team name, ``True`` for the first team, or ``False`` for a channel without a team (``team_id``
        ``""``). Members are not checked for team membership. ``KeyError`` for an unknown username or
        team, ``ValueError`` for a name Mattermost refuses or one taken in that team, or another type
        (direct channels come from :meth:`get_or_create_direct_channel`).
        """
        channel_type = "P" if private else type
        if channel_type not in ("O", "P"):
            raise ValueError(f"channel type {type!r} is not O or P")
        if not is_valid_channel_name(name):
            raise ValueError(f"channel name {name!r} is not one Mattermost accepts")
        with self._lock:
            team_id = self.team["id"] if team is True else "" if team is False else self.team_by_name(str(team))["id"]
            if any(c["name"] == name and c["team_id"] == team_id for c in self._channels.values()):
                raise ValueError(f"channel name {name!r} is taken")
            users = [self._user_named(username) for username in members]
            channel = self._new_channel(name, display_name or name.replace("-", " ").title(), channel_type, team_id)
            for user in users:
                self._add_member(channel["id"], user)
            return copied(channel)

    def channel_by_name(self, name: str, team_id: str | None = None) -> Record:
        """The channel called ``name``: the oldest one, or with ``team_id`` the one in that team or one
        without a team (direct and group messages). ``KeyError`` if there is none."""
        with self._lock:
            for channel in self._channels.values():
                if channel["name"] == name and (team_id is None or channel["team_id"] in (team_id, "")):
                    return copied(channel)
        raise KeyError(name)

    def channels_of_user(self, user_id: str) -> list[Record]:
        """Every channel the user belongs to, in all teams and direct messages, ordered by id."""
        with self._lock:
            mine = [channel_view(c) for c in self._channels.values() if user_id in self._channel_members[c["id"]]]
            return sorted(mine, key=lambda c: c["id"])

    def channel_by_id(self, channel_id: str) -> Record | None:
        """The channel with this id, or ``None``."""
        with self._lock:
            return copied(self._channels.get(channel_id))

    def is_channel_member(self, channel_id: str, user_id: str) -> bool:
        """Whether the user belongs to the channel."""
        with self._lock:
            return user_id in self._channel_members.get(channel_id, {})

    def channel_members(self, channel_id: str) -> list[str]:
        """The ids of the channel's members, in the order they joined (``KeyError``: unknown channel)."""
        with self._lock:
            return list(self._channel_members[channel_id])

    def channel_members_page(self, channel_id: str, page: int, per_page: int) -> list[Record]:
        """``GetChannelMembersPage``: one page of ``ChannelMember`` records, in the store's order (its query
        has no ``ORDER BY``; here: joining order). An unknown channel has no members."""
        with self._lock:
            joined = list(self._channel_members.get(channel_id, {}).items())[page * per_page:(page + 1) * per_page]
            return [channel_member_view(channel_id, user_id, roles, self._member_since[(channel_id, user_id)])
                    for user_id, roles in joined]

    def direct_channel_between(self, user_id_a: str, user_id_b: str) -> Record | None:
        """The direct-message channel of two users (the same id twice: a self-DM), or ``None``."""
        name = dm_name(user_id_a, user_id_b)
        with self._lock:
            return copied(next((c for c in self._channels.values() if c["type"] == "D" and c["name"] == name), None))

    def get_or_create_direct_channel(self, user_id: str, other_user_id: str) -> Record:
        """``GetOrCreateDirectChannel``: the existing DM, or a new one created by ``user_id``.

        An unknown user is 400 ``api.channel.create_direct_channel.invalid_user.app_error``.
        """
        with self._lock:
            existing = self.direct_channel_between(user_id, other_user_id)
            if existing is not None:
                return existing
            users = [self._users.get(user_id), self._users.get(other_user_id)]
            if users[0] is None or users[1] is None:
                raise AppError("api.channel.create_direct_channel.invalid_user.app_error", 400)
            channel = self._new_channel(dm_name(user_id, other_user_id), "", "D", "", creator_id=user_id)
            for user in users:
                self._add_member(channel["id"], user)
            return channel_view(channel)

    def leave_channel(self, channel_name: str, username: str, team_id: str | None = None) -> None:
        """``RemoveUserFromChannel`` for oneself (``server/channels/app/channel.go``: leaving): the user is no longer
        a member of the channel called ``channel_name`` (``KeyError`` for an unknown channel or user)."""
        with self._lock:
            channel = self.channel_by_name(channel_name, team_id)
            user_id = self._user_named(username)["id"]
            self._channel_members[channel["id"]].pop(user_id, None)
            self._member_since.pop((channel["id"], user_id), None)

    def add_group_channel(self, *usernames: str) -> Record:
        """``CreateGroupChannel`` (``server/channels/app/channel.go``): a group message of 3 to 8 users, type ``G``,
        without a team, named by :func:`group_name`; ``ValueError`` for another count, ``KeyError`` for an unknown
        username."""
        if not 3 <= len(set(usernames)) <= 8:
            raise ValueError("a group message has 3 to 8 members")
        with self._lock:
            users = [self._user_named(username) for username in dict.fromkeys(usernames)]
            channel = self._new_channel(group_name(u["id"] for u in users), ", ".join(u["username"] for u in users),
                                        "G", "", creator_id=users[0]["id"])
            for user in users:
                self._add_member(channel["id"], user)
            return channel_view(channel)

    # -- permissions ---------------------------------------------------------------------

    def has_channel_permission(self, session: Record, channel_id: str, permission: str) -> bool:
        """``SessionHasPermissionToChannel`` for the session's user."""
        with self._lock:
            user_id = session["user_id"]
            channel = self._channels.get(channel_id)
            team_roles = self._team_roles(channel["team_id"], user_id) if channel is not None else None
            return authz.session_has_permission_to_channel(
                session, channel, self._channel_members.get(channel_id, {}).get(user_id),
                team_roles, permission, self._roles)

    def can_create_post(self, session: Record, channel_id: str) -> bool:
        """``userCreatePostPermissionCheckWithContext``: ``create_post`` in the channel, or
        ``create_post_public`` in the team for a public channel."""
        with self._lock:
            if self.has_channel_permission(session, channel_id, CREATE_POST):
                return True
            channel = self._channels.get(channel_id)
            return (channel is not None and channel["type"] == "O"
                    and self.has_channel_permission(session, channel_id, CREATE_POST_PUBLIC))

    def _user_named(self, username: str) -> Record:  # pragma: no cover - provided by World
        raise NotImplementedError

    def _team_roles(self, team_id: str, user_id: str) -> str | None:  # pragma: no cover - provided by World
        raise NotImplementedError

    def team_by_name(self, name: str) -> Record:  # pragma: no cover - provided by World
        raise NotImplementedError

