"""Channels, memberships and posts of a :class:`~bot.sandbox.world.World`.

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

import base64
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import authz
from .attachments import actions_of, find_action, generate_action_ids
from .ids import is_valid_channel_name, new_id
from .posts import (
    EPHEMERAL,
    check_message,
    check_type,
    new_post,
    retained_props,
    stored_props,
    updated_post,
    with_decoded_attachments,
)
from .records import copied
from .roles import CREATE_POST, CREATE_POST_PUBLIC, READ_CHANNEL_CONTENT
from .views import channel_member_view, channel_view, post_view
from .wire import AppError, permission_error

Record = dict[str, Any]


@dataclass(frozen=True)
class ClickTarget:
    """What the server holds when a user clicks an action: the stored post's action, or an
    ephemeral post's cookie (integration, channel, root post, props to retain)."""

    post_id: str
    action: Record
    channel: Record
    root_post_id: str
    retain_props: Record
    ephemeral: bool


def dm_name(user_id_a: str, user_id_b: str) -> str:
    """``GetDMNameFromIds``: the two ids, smaller first, joined by ``__``."""
    return "__".join(sorted((user_id_a, user_id_b)))


class Messaging:
    """Channels, channel memberships, stored posts and ephemeral posts (mixed into ``World``)."""

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

    # -- stored posts --------------------------------------------------------------------

    def create_post(self, user_id: str, channel_id: str, message: str, *, props: Record | None = None,
                    root_id: str = "", post_type: str = "", is_oauth: bool = False) -> Record:
        """Store a post like ``CreatePostAsUser`` (no permission check: see :meth:`can_create_post`)
        and return it as stored (integrations included).

        Refusals, in the server's order: a ``system_*`` type; an unknown root post, a root in
        another channel or a root that is itself a reply (400 ``api.post.create_post.root_id`` /
        ``channel_root_id``); a message over 16383 runes or an unknown type (``Post.IsValid``).
        A bot's post gets ``from_bot``, an OAuth session's ``from_oauth_app``; actions get ids.
        """
        with self._lock:
            check_type(post_type)
            self._check_root(channel_id, root_id)
            check_message(message)
            post_props = stored_props(props)
            if self._users[user_id]["is_bot"]:
                post_props["from_bot"] = "true"
            if is_oauth:
                post_props["from_oauth_app"] = "true"
            post = new_post(new_id(self._rng), user_id=user_id, channel_id=channel_id, message=message,
                            props=post_props, create_at=self.now_ms(), root_id=root_id, post_type=post_type)
            generate_action_ids(post, lambda: new_id(self._rng))
            self._posts[post["id"]] = post
            channel = self._channels[channel_id]
            channel["last_post_at"] = post["create_at"]
            channel["total_msg_count"] += 1
            if not root_id:
                channel["total_msg_count_root"] += 1
                channel["last_root_post_at"] = post["create_at"]
            return copied(post)

    def _check_root(self, channel_id: str, root_id: str) -> None:
        if not root_id:
            return
        root = self._posts.get(root_id)
        if root is None or root["root_id"]:
            raise AppError("api.post.create_post.root_id.app_error", 400)
        if root["channel_id"] != channel_id:
            raise AppError("api.post.create_post.channel_root_id.app_error", 400)

    def post_by_id(self, post_id: str) -> Record | None:
        """The stored post with this id, integrations included, or ``None`` (ephemeral posts are not stored)."""
        with self._lock:
            return copied(self._posts.get(post_id))

    def posts_in(self, channel_id: str) -> list[Record]:
        """The stored posts of a channel, oldest first, as stored (integrations included)."""
        with self._lock:
            return copied([p for p in self._posts.values() if p["channel_id"] == channel_id])

    # -- ephemeral posts -----------------------------------------------------------------

    def send_ephemeral(self, user_id: str, channel_id: str, message: str, *, props: Record | None = None,
                       root_id: str = "", author_id: str | None = None) -> str:
        """``SendEphemeralPost``: show a post to ``user_id`` only and return its id.

        The post is by ``author_id`` (default: the recipient), of type ``system_ephemeral``; its
        actions get ids, and each an opaque ``cookie`` (``AddPostActionCookies``) while the
        integration stays on the server.
        """
        with self._lock:
            post = new_post(new_id(self._rng), user_id=author_id or user_id, channel_id=channel_id,
                            message=message, props=with_decoded_attachments(props), create_at=self.now_ms(),
                            root_id=root_id, post_type=EPHEMERAL, update_at=0)
            generate_action_ids(post, lambda: new_id(self._rng))
            for action in actions_of(post):
                action["cookie"] = base64.b64encode(self._request_rng.randbytes(96)).decode("ascii")
            self._ephemeral[post["id"]] = (user_id, post)
            return post["id"]

    def ephemeral_post(self, post_id: str) -> Record | None:
        """The ephemeral post as its recipient's client shows it now, or ``None``."""
        with self._lock:
            entry = self._ephemeral.get(post_id)
            return post_view(entry[1]) if entry is not None else None

    def ephemeral_posts_for(self, user_id: str) -> list[Record]:
        """Every ephemeral post shown to the user, oldest first, as their client shows them."""
        with self._lock:
            return [post_view(post) for shown_to, post in self._ephemeral.values() if shown_to == user_id]

    # -- actions -------------------------------------------------------------------------

    def click_target(self, post_id: str, user_id: str, button: str) -> ClickTarget:
        """What the server resolves when ``user_id`` clicks ``button`` (name or id) on a post.

        ``LookupError`` when the user's client cannot show that post (an ephemeral post is shown
        only to its recipient) or button; :class:`AppError` when the server refuses the click
        (no ``read_channel_content`` in the channel; an action without integration).
        """
        with self._lock:
            ephemeral = self._ephemeral.get(post_id)
            if ephemeral is not None and ephemeral[0] == user_id:
                post = ephemeral[1]
            elif post_id in self._posts:
                post = self._posts[post_id]
            else:
                raise LookupError(f"post {post_id} not found")
            action = find_action(post, button)
            if action is None:
                raise LookupError(f"post {post_id} has no button {button!r}")
            session = {"user_id": user_id, "roles": self._users[user_id]["roles"]}
            if not self.has_channel_permission(session, post["channel_id"], READ_CHANNEL_CONTENT):
                raise permission_error()
            if not action.get("integration"):
                raise (AppError("api.post.do_action.action_integration.app_error", 400) if ephemeral is not None
                       else AppError("api.post.do_action.action_id.app_error", 404))
            return ClickTarget(post_id=post_id, action=copied(action),
                               channel=copied(self._channels[post["channel_id"]]),
                               root_post_id=post["root_id"] or post["id"],
                               retain_props=retained_props(post["props"])[0], ephemeral=ephemeral is not None)

    def apply_action_update(self, post_id: str, update: Record) -> Record | None:
        """``UpdatePost`` for an action's ``update``; the updated post as clients see it.

        Only stored posts can be updated: an ephemeral post is not in the database, so the
        server answers 404 ``app.post.get.app_error`` (and the click fails). ``None`` when the
        post is unknown to the world (e.g. a post an attacker crafted elsewhere).
        """
        with self._lock:
            if post_id in self._ephemeral:
                raise AppError("app.post.get.app_error", 404)
            old = self._posts.get(post_id)
            if old is None:
                return None
            new = updated_post(old, update, self.now_ms())
            check_message(new["message"])
            generate_action_ids(new, lambda: new_id(self._rng))
            self._posts[post_id] = new
            return post_view(new)

    def _user_named(self, username: str) -> Record:  # pragma: no cover - provided by World
        raise NotImplementedError

    def _team_roles(self, team_id: str, user_id: str) -> str | None:  # pragma: no cover - provided by World
        raise NotImplementedError

    def team_by_name(self, name: str) -> Record:  # pragma: no cover - provided by World
        raise NotImplementedError

