"""Posts of a :class:`~bot.sandbox.world.World`: stored posts, ephemeral posts, and what a click on an action
finds (mixed into ``World``, sharing its lock and state; the channels are :mod:`.messaging`).

Sources: MM ``server/channels/app/post.go`` (``CreatePost``, ``SendEphemeralPost``, ``UpdatePost``),
``server/public/model/integration_action.go`` @02c02352 (``GenerateActionIds``, ``AddPostActionCookies``) and
``server/channels/app/integration_action.go`` (``DoPostActionWithCookie``).
"""
from __future__ import annotations

import base64
import random
import threading
from dataclasses import dataclass
from typing import Any

from .attachments import actions_of, find_action, generate_action_ids
from .ids import new_id
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
from .roles import READ_CHANNEL_CONTENT
from .views import post_view
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


class PostStore:
    """Stored and ephemeral posts, and the actions on them (mixed into ``World``)."""

    _lock: threading.RLock
    _rng: random.Random
    _posts: dict[str, Record]
    _ephemeral: dict[str, tuple[str, Record]]

    # -- stored posts --------------------------------------------------------------------

    def create_post(self, user_id: str, channel_id: str, message: str, *, props: Record | None = None,
                    root_id: str = "", post_type: str = "", is_oauth: bool = False) -> Record:
        """Store a post like ``CreatePostAsUser`` (no permission check: see :meth:`can_create_post`)
        and return it as stored (integrations included).

        Refusals, in the server's order: a ``system_*`` type; an unknown root post, a root in
        another channel or a root that is itself a reply (400 ``api.post.create_post.root_id`` /
        ``channel_root_id``); a message over 16383 runes or an unknown type (``Post.IsValid``).
        A bot's post gets ``from_bot``, an OAuth session's ``from_oauth_app``; actions get ids. Whom it notifies
        by mentioning them is then judged as ``SendNotifications`` does (:meth:`~.mentions.Mentions.mentions_in`).
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
            self._judge_mentions(post)
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

    def _judge_mentions(self, post: Record) -> None:  # pragma: no cover - provided by Mentions
        raise NotImplementedError

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
