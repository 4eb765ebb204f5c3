"""Mattermost's session permission checks, re-implemented.

Source: MM ``server/channels/app/authorization.go`` @01357633519556b55889abf42b480b5d4ee76151
(``SessionHasPermissionTo``, ``SessionHasPermissionToUser``, ``SessionHasPermissionToTeam``,
``SessionHasPermissionToChannel``, ``RolesGrantPermission``) and @b1683404 (``SessionHasPermissionToUserOrBot``,
``SessionHasPermissionToManageBot``). The functions are pure: they read the calling session's ``roles``
string (not the user's current roles), the caller's team and channel membership roles, the role
records, and user and bot lookups.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .roles import EDIT_OTHER_USERS, MANAGE_BOTS, MANAGE_OTHERS_BOTS, MANAGE_SYSTEM

Record = Mapping[str, Any]


def roles_grant_permission(role_names: Iterable[str], permission: str, roles: Mapping[str, Record]) -> bool:
    """``RolesGrantPermission``: true when a named, non-deleted role lists ``permission``.

    Unknown role names are ignored; a role with ``delete_at != 0`` grants nothing.
    """
    for name in role_names:
        role = roles.get(name)
        if role is not None and role["delete_at"] == 0 and permission in role["permissions"]:
            return True
    return False


def session_has_permission_to(session: Record, permission: str, roles: Mapping[str, Record]) -> bool:
    """``SessionHasPermissionTo``: local-mode sessions always pass; otherwise the session's roles decide."""
    if session.get("local"):
        return True
    return roles_grant_permission(session["roles"].split(), permission, roles)


def session_has_permission_to_user(
    session: Record,
    target_user_id: str,
    roles: Mapping[str, Record],
    get_user: Callable[[str], Record | None],
) -> bool:
    """``SessionHasPermissionToUser``: may this session act on ``target_user_id``'s account?

    In order: empty target → no; local session or ``manage_system`` → yes; the caller
    themself → yes; no ``edit_other_users`` → no; unknown target → no; target holding the
    ``system_admin`` role → no; otherwise yes.
    """
    if target_user_id == "":
        return False
    if session.get("local") or session_has_permission_to(session, MANAGE_SYSTEM, roles):
        return True
    if session["user_id"] == target_user_id:
        return True
    if not session_has_permission_to(session, EDIT_OTHER_USERS, roles):
        return False
    target = get_user(target_user_id)
    if target is None:
        return False
    return "system_admin" not in target["roles"].split(" ")


def session_has_permission_to_user_or_bot(
    session: Record,
    target_user_id: str,
    roles: Mapping[str, Record],
    get_user: Callable[[str], Record | None],
    get_bot_owner: Callable[[str], str | None],
) -> bool:
    """``SessionHasPermissionToUserOrBot``: may this session act on the account, when it may be a bot's?

    A local session → yes. A bot target (``get_bot_owner`` gives its owner's id; ``None``: not a bot,
    deactivated bots count) is decided by ``SessionHasPermissionToManageBot`` alone: its owner needs
    ``manage_bots``, anyone else ``manage_others_bots`` (failing that, the server's "bot not found"
    carries another ``Where`` than the store's, so it does **not** fall back to the user rule —
    ``edit_other_users``, even ``manage_system`` without ``manage_others_bots``, is not enough).
    Anyone else → :func:`session_has_permission_to_user`.
    """
    if session.get("local"):
        return True
    owner_id = get_bot_owner(target_user_id)
    if owner_id is None:
        return session_has_permission_to_user(session, target_user_id, roles, get_user)
    needed = MANAGE_BOTS if owner_id == session["user_id"] else MANAGE_OTHERS_BOTS
    return session_has_permission_to(session, needed, roles)


def session_has_permission_to_team(session: Record, team_roles: str | None, permission: str,
                                   roles: Mapping[str, Record]) -> bool:
    """``SessionHasPermissionToTeam``: the caller's roles in the team (``None``: not a member), then
    the session's system roles. The caller checks that the team id is not empty."""
    if session.get("local"):
        return True
    if team_roles is not None and roles_grant_permission(team_roles.split(), permission, roles):
        return True
    return session_has_permission_to(session, permission, roles)


def session_has_permission_to_channel(session: Record, channel: Record | None, channel_roles: str | None,
                                      team_roles: str | None, permission: str,
                                      roles: Mapping[str, Record]) -> bool:
    """``SessionHasPermissionToChannel``: the caller's channel roles (``None``: not a member), then,
    for a team channel, ``SessionHasPermissionToTeam``, and for a direct or group channel the
    system roles. An unknown channel (``None``) grants nothing."""
    if channel is None:
        return False
    if channel_roles is not None and roles_grant_permission(channel_roles.split(), permission, roles):
        return True
    if channel["team_id"]:
        return session_has_permission_to_team(session, team_roles, permission, roles)
    return session_has_permission_to(session, permission, roles)
