"""How stored records are shown to API clients: Mattermost's sanitising and JSON field rules.

Sources: MM ``server/public/model/user.go`` (``User`` JSON tags, ``Sanitize``,
``SanitizeProfile``), ``server/public/model/session.go`` (``Session``, ``Sanitize``),
``server/public/model/role.go`` (``Role``), ``server/public/model/command.go`` (``Command``),
``server/public/model/user_access_token.go`` (``UserAccessToken``), ``server/public/model/channel_member.go``
@04df596c (``ChannelMember``, ``GetDefaultChannelNotifyProps``),
``server/public/model/channel.go`` @49aadbc5
(``Channel``), ``server/public/model/post.go`` (``Post``, ``ToJSON``/``EncodeJSON``, which strip
action integrations) and ``server/channels/app/post_metadata.go`` (the ``message_attachment``
embed). Go's ``omitempty`` fields are left out when zero; maps are written with sorted keys, as
``encoding/json`` does.
"""
from __future__ import annotations

from typing import Any

from .attachments import without_integrations
from .records import copied
from .wire import go_any

Record = dict[str, Any]

# User fields in struct order; True marks `omitempty`.
_USER_FIELDS: tuple[tuple[str, bool], ...] = (
    ("id", False), ("create_at", True), ("update_at", True), ("delete_at", False), ("username", False),
    ("password", True), ("auth_data", True), ("auth_service", False), ("email", False),
    ("email_verified", True), ("nickname", False), ("first_name", False), ("last_name", False),
    ("position", False), ("roles", False), ("allow_marketing", True), ("props", True),
    ("notify_props", True), ("last_password_update", True), ("last_picture_update", True),
    ("failed_attempts", True), ("locale", False), ("timezone", False), ("mfa_active", True),
    ("mfa_secret", True), ("remote_id", True), ("last_activity_at", True), ("is_bot", True),
    ("bot_description", True), ("bot_last_icon_update", True), ("terms_of_service_id", True),
    ("terms_of_service_create_at", True), ("disable_welcome_email", False),
)


def _sorted_maps(value: Any) -> Any:
    return dict(sorted(value.items())) if isinstance(value, dict) else value


def _omitted(value: Any) -> bool:
    """Go ``omitempty``: false, 0, "", nil, and empty maps/slices. (A pointer to "" is *not* empty.)"""
    return value is None or value is False or value == 0 or value == "" or value == {} or value == []


def user_view(user: Record, *, is_self: bool, as_admin: bool, show_email: bool, show_full_name: bool) -> Record:
    """The user object an API client receives.

    The user themself gets ``Sanitize(map{})``: password, MFA secret and auth data blanked.
    Anyone else gets ``SanitizeProfile``: also notify props, email verification and password
    timestamps cleared, the auth service hidden from non-admins, and email/full name shown
    only when the privacy settings allow it or the caller is a system admin.
    """
    shown = dict(user)
    shown.update(password="", auth_data="", mfa_secret="")  # auth_data becomes a pointer to ""
    if not is_self:
        shown.update(email_verified=False, allow_marketing=False, notify_props={}, last_password_update=0,
                     failed_attempts=0)
        if not (show_email or as_admin):
            shown["email"] = ""
        if not (show_full_name or as_admin):
            shown.update(first_name="", last_name="")
        if not as_admin:
            shown["auth_service"] = ""
    view: Record = {}
    for name, omitempty in _USER_FIELDS:
        value = shown.get(name)
        if omitempty and _omitted(value) and not (name == "auth_data" and value == ""):
            continue
        view[name] = _sorted_maps(value)
    return view


def session_view(session: Record, team_members: list[Record]) -> Record:
    """A session as listed by ``GET /users/{id}/sessions``: ``Sanitize()`` blanks only the token."""
    return {
        "id": session["id"], "token": "", "create_at": session["create_at"],
        "expires_at": session["expires_at"], "last_activity_at": session["last_activity_at"],
        "user_id": session["user_id"], "device_id": session["device_id"], "roles": session["roles"],
        "is_oauth": session["is_oauth"], "expired_notify": session["expired_notify"],
        "props": _sorted_maps(session["props"]), "team_members": team_members, "local": session["local"],
    }


def access_token_view(token: Record, *, with_secret: bool = False) -> Record:
    """A personal access token as ``model.UserAccessToken`` serialises it. Every read sanitizes it (the
    app layer blanks ``Token``, and ``token,omitempty`` then leaves the key out); only the answer to
    its creation carries the secret (``with_secret``)."""
    view: Record = {"id": token["id"]}
    if with_secret:
        view["token"] = token["token"]
    view.update(user_id=token["user_id"], description=token["description"], is_active=token["is_active"])
    return view


# GetDefaultChannelNotifyProps, keys sorted as Go writes a map.
_DEFAULT_CHANNEL_NOTIFY_PROPS = {
    "channel_auto_follow_threads": "off", "desktop": "default", "email": "default",
    "ignore_channel_mentions": "default", "mark_unread": "all", "push": "default",
}


def channel_member_view(channel_id: str, user_id: str, roles: str, joined_ms: int) -> Record:
    """A channel membership as ``model.ChannelMember`` serialises it: the scheme roles spelled out in
    ``roles`` (``channel_user``, ``channel_guest``, plus ``channel_admin``), no explicit roles, default
    notify props, nothing read yet, last updated when the user joined."""
    names = roles.split()
    return {
        "channel_id": channel_id, "user_id": user_id, "roles": roles, "last_viewed_at": 0, "msg_count": 0,
        "mention_count": 0, "mention_count_root": 0, "urgent_mention_count": 0, "msg_count_root": 0,
        "notify_props": dict(_DEFAULT_CHANNEL_NOTIFY_PROPS), "last_update_at": joined_ms,
        "scheme_guest": "channel_guest" in names, "scheme_user": "channel_user" in names,
        "scheme_admin": "channel_admin" in names, "explicit_roles": "",
    }


def command_view(command: Record) -> Record:
    """A slash command as ``model.Command`` serialises it (the stored record has its field order)."""
    return dict(command)


def role_view(role: Record) -> Record:
    """A role as ``model.Role`` serialises it."""
    keys = ("id", "name", "display_name", "description", "create_at", "update_at", "delete_at",
            "permissions", "scheme_managed", "built_in", "scheme_id")
    return {key: role[key] for key in keys}


def channel_view(channel: Record) -> Record:
    """A channel as ``model.Channel`` serialises it (the stored record already has its field order)."""
    return copied(channel)


def post_view(post: Record) -> Record:
    """A post as a client receives it: integrations stripped (``StripActionIntegrations``), props as a
    Go map, the transient fields ``PreparePostForClient`` adds, and ``has_reactions`` only when true."""
    shown = without_integrations(post)
    props = shown["props"]
    attachments = props.get("attachments")
    sorted_props = {key: attachments if key == "attachments" else go_any(props[key]) for key in sorted(props)}
    view: Record = {key: shown[key] for key in ("id", "create_at", "update_at", "edit_at", "delete_at",
                                                "is_pinned", "user_id", "channel_id", "root_id",
                                                "original_id", "message", "type")}
    view.update(props=sorted_props, hashtags=shown["hashtags"], pending_post_id=shown["pending_post_id"])
    if shown["has_reactions"]:
        view["has_reactions"] = True
    view.update(reply_count=0, last_reply_at=0, participants=None,
                metadata={"embeds": [{"type": "message_attachment"}]} if "attachments" in props else {})
    return view
