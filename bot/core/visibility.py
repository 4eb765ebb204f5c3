"""What a caller may *see* of other users, the way Mattermost decides it (pure, no I/O): an email lookup, another
user's account, the members of a channel. The bot resolves names with its own token, so it applies these rules
for the caller first; what the caller may not see reads as what does not exist.

Sources: MM ``server/channels/api4/user.go`` (``getUserByEmail``: emails shown, ``PrivacySettings.ShowEmailAddress``,
or ``manage_system``, else 403 before the lookup; ``getUser``, ``getUserByUsername``, ``getUserByEmail``: then
``UserCanSeeOtherUser``), ``server/channels/app/user.go`` (``UserCanSeeOtherUser``, ``GetViewUsersRestrictions``:
no restriction with ``view_members`` from the system roles; else the teams where the team roles grant it and every
channel the caller is in), ``server/channels/api4/channel.go`` (``getChannelMembers``:
``SessionHasPermissionToChannel(read_channel)``) and ``server/channels/app/authorization.go``
(``SessionHasPermissionToChannel``: the caller's channel roles, then for a team channel the team and system
roles, for a direct or group message the system roles only).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Collection

from bot.core.model import Channel
from bot.core.permissions import MANAGE_SYSTEM, Caller

VIEW_MEMBERS = "view_members"
READ_CHANNEL = "read_channel"


def may_look_up_by_email(caller: Caller, emails_shown: bool) -> bool:
    """Whether Mattermost would answer the caller an email lookup at all (``GetSanitizeOptions``' ``email``)."""
    return emails_shown or MANAGE_SYSTEM in caller.permissions


def sees_everyone(caller: Caller) -> bool:
    """No view restriction: ``view_members`` through the system roles (``system_user`` holds it by default)."""
    return VIEW_MEMBERS in caller.permissions


@dataclass(frozen=True)
class ViewRestrictions:
    """``ViewUsersRestrictions`` of a caller without ``view_members``: the teams where their team roles grant it,
    and the channels they belong to."""

    teams: frozenset[str]
    channels: frozenset[str]


def sees(restrictions: ViewRestrictions, target_teams: Collection[str], target_channels: Collection[str]) -> bool:
    """``UserCanSeeOtherUser`` for a restricted caller: the target is in one of the teams or channels."""
    return bool(restrictions.teams.intersection(target_teams) or restrictions.channels.intersection(target_channels))


def may_read_members(caller: Caller, channel: Channel, is_member: bool, team_grants_read: bool = False) -> bool:
    """Whether Mattermost would show the caller who is in ``channel`` (``read_channel`` on it, for every type of
    channel): its members may; so may those whose system roles grant ``read_channel`` (system admins, and user
    managers through the System Console's ancillary permissions), and for a team channel those whose team roles
    do (``team_grants_read``). A direct or group message has no team: only its members and the system roles."""
    if is_member or READ_CHANNEL in caller.permissions:
        return True
    return bool(channel.team_id) and team_grants_read
