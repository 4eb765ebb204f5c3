"""Posts as Mattermost builds, checks and changes them (stored form, integrations included).

Sources: MM ``server/public/model/post.go`` @bb39dc2c (``Post``, ``IsValid``, ``PreSave``,
``PreCommit``, ``SanitizeProps``, the size limits; newer servers report an over-long message as
``model.post.is_valid.message_length.app_error`` with ``Length``/``MaxLength``),
``server/public/model/utils.go`` (``ParseHashtags``), ``server/channels/app/post.go``
(``CreatePost``, ``SendEphemeralPost``, ``UpdatePost``) and
``server/channels/app/integration_action.go`` (``DoPostActionWithCookie``: what an ``update``
keeps of the original post).
"""
from __future__ import annotations

import re
from typing import Any

from .attachments import parse_attachments
from .records import copied
from .wire import AppError, check_json_types

Record = dict[str, Any]

MAX_POST_SIZE = 16383
"""``MaxPostSize`` of a current schema: ``PostMessageMaxRunesV2`` = 65535 bytes / 4."""
EPHEMERAL = "system_ephemeral"
SLACK_ATTACHMENT = "slack_attachment"
RETAIN_PROP_KEYS = ("from_webhook", "override_username", "override_icon_url")
"""``PostActionRetainPropKeys``: props an action's ``update`` cannot drop or forge."""
_ALLOWED_TYPES = {"", SLACK_ATTACHMENT, "me", "reminder"}
_PUNCTUATION_START = re.compile(r"^[^\w\s#]+|^_+")
_PUNCTUATION_END = re.compile(r"[^\w\s]+$|_+$")
_HASHTAG = re.compile(r"#[^\W\d_][\w.\-]*[^\W_]")


def hashtags(message: str) -> str:
    """``ParseHashtags``: the space-separated ``#words`` of a message (punctuation around them trimmed)."""
    found: list[str] = []
    for word in message.split():
        word = _PUNCTUATION_END.sub("", _PUNCTUATION_START.sub("", word))
        if _HASHTAG.fullmatch(word) and word not in found:
            found.append(word)
    return " ".join(found)[:1000]


def check_message(message: str) -> None:
    """``Post.IsValid``'s length rule: more than ``MaxPostSize`` runes is refused (400), not cut."""
    if len(message) > MAX_POST_SIZE:
        raise AppError("model.post.is_valid.message_length.app_error", 400,
                       (("Length", str(len(message))), ("MaxLength", str(MAX_POST_SIZE))))


def check_type(post_type: str) -> None:
    """``CreatePostAsUser`` refuses ``system_*`` types; ``Post.IsValid`` any unknown non-``custom_`` type."""
    if post_type.startswith("system_"):
        raise AppError("api.context.invalid_param.app_error", 400, (("Name", "post.type"),))
    if post_type not in _ALLOWED_TYPES and not post_type.startswith("custom_"):
        raise AppError("model.post.is_valid.type.app_error", 400)


def stored_props(props: Record | None) -> Record:
    """Props as ``CreatePost`` saves them: ``add_channel_member`` dropped (``SanitizeProps``), then
    :func:`with_decoded_attachments`."""
    return with_decoded_attachments({k: v for k, v in (props or {}).items() if k != "add_channel_member"})


def with_decoded_attachments(props: Record | None) -> Record:
    """A copy of the props whose ``attachments`` are decoded as ``GenerateActionIds`` does through
    ``Post.Attachments`` (an attachment that does not decode is dropped; a non-array becomes ``null``)."""
    kept = copied(props or {})
    if "attachments" in kept:
        raw = kept["attachments"]
        items = raw if isinstance(raw, list) else []
        decoded: list[Record] = []
        for item in items:
            try:
                decoded.extend(parse_attachments([item], slack_links=False))
            except ValueError:
                continue
        kept["attachments"] = decoded if isinstance(raw, list) else None
    return kept


def new_post(post_id: str, *, user_id: str, channel_id: str, message: str, props: Record, create_at: int,
             root_id: str = "", post_type: str = "", update_at: int | None = None) -> Record:
    """A post record in ``model.Post`` field order, as ``PreSave`` leaves it."""
    return {
        "id": post_id, "create_at": create_at, "update_at": create_at if update_at is None else update_at,
        "edit_at": 0, "delete_at": 0, "is_pinned": False, "user_id": user_id, "channel_id": channel_id,
        "root_id": root_id, "original_id": "", "message": message, "type": post_type, "props": props,
        "hashtags": hashtags(message), "pending_post_id": "", "has_reactions": False,
    }


def decode_update(value: Any) -> Record | None:
    """The ``update`` of a ``PostActionIntegrationResponse`` (``None`` when absent or ``null``);
    ``ValueError`` when it does not decode as a ``model.Post``."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("update is not an object")
    check_json_types(value, (("message", str), ("props", dict), ("is_pinned", bool), ("type", str)), "update")
    return value


def updated_post(old: Record, update: Record, now_ms: int) -> Record:
    """The post ``UpdatePost`` stores for an action's ``update``.

    ``DoPostActionWithCookie`` forces the id, keeps the original props when ``update`` has none,
    otherwise re-adds the original's ``PostActionRetainPropKeys`` values and deletes those keys the
    original lacked; ``is_pinned``/``has_reactions`` stay. ``UpdatePost`` then keeps the old type and
    channel, takes message and props, sets ``edit_at`` when the message or attachments changed, and
    ``PreCommit`` gives new actions ids (the caller does that).
    """
    props = update.get("props")
    if props is None:
        new_props = dict(old["props"])
    else:
        retain, remove = retained_props(old["props"])
        new_props = {k: v for k, v in stored_props(props).items() if k not in remove}
        new_props.update(retain)
    message = update.get("message") or ""
    new = dict(old, props=new_props, update_at=now_ms)
    if message != old["message"] or new_props.get("attachments") != old["props"].get("attachments"):
        new["edit_at"] = now_ms
    new["message"], new["hashtags"] = message, hashtags(message)
    return new


def retained_props(props: Record) -> tuple[Record, list[str]]:
    """What ``AddPostActionCookies`` (or ``DoPostActionWithCookie`` for a stored post) records of a
    post's props: the ``PostActionRetainPropKeys`` it has, and those it lacks."""
    return ({k: props[k] for k in RETAIN_PROP_KEYS if k in props},
            [k for k in RETAIN_PROP_KEYS if k not in props])
