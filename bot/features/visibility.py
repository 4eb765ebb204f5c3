"""What one caller may see of other users, asked of Mattermost with the bot's token only as far as a command needs
it: the rules are ``bot.core.visibility``; this reads what they decide on (the privacy setting, the caller's and
the target's teams and channels), each at most once per command.

The common case costs nothing: a caller whose system roles grant ``view_members`` (``system_user`` does by
default) sees everyone, and one holding ``manage_system`` may look anyone up by email. Only a restricted caller's
lookups read teams and channels; only an email lookup by someone without ``manage_system`` reads the server's
privacy setting (cached by the client).
"""
from __future__ import annotations

from functools import cached_property

from bot.core.model import Channel, User
from bot.core.permissions import Caller
from bot.core.visibility import (
    READ_CHANNEL,
    VIEW_MEMBERS,
    ViewRestrictions,
    may_look_up_by_email,
    may_read_members,
    sees,
    sees_everyone,
)
from bot.features.stepwise import Sleep, patiently
from bot.mattermost.client import MattermostAPI


class Viewer:
    """The caller's view of others for the length of one command."""

    def __init__(self, api: MattermostAPI, caller: Caller, sleep: Sleep) -> None:
        self._api = api
        self.caller = caller
        self._sleep = sleep

    def may_look_up_by_email(self) -> bool:
        """Whether Mattermost would answer this caller an email lookup at all."""
        if may_look_up_by_email(self.caller, emails_shown=False):  # manage_system: the setting does not matter
            return True
        return patiently(self._api.shows_email_addresses, sleep=self._sleep)

    def sees(self, user: User) -> bool:
        """``UserCanSeeOtherUser(caller, user)``."""
        if user.id == self.caller.id or sees_everyone(self.caller):
            return True
        restrictions = self._restrictions
        if restrictions.teams and sees(restrictions, self._teams_of(user.id), ()):
            return True
        return bool(restrictions.channels) and sees(restrictions, (), self._channels_of(user.id))

    def among(self, users: list[User], team_id: str, limit: int) -> list[User]:
        """Those of ``users`` (members of ``team_id``) the caller may see, as ``GET /users?in_team=`` would list
        them for the caller (``GetViewUsersRestrictions`` applied): all of them when the caller sees everyone or
        their roles in that team grant ``view_members``; otherwise those sharing a channel with the caller (each
        channel's first ``limit`` members read)."""
        if sees_everyone(self.caller) or team_id in self._restrictions.teams:
            return users
        near: set[str] = {self.caller.id}
        for channel_id in sorted(self._my_channels):
            near.update(patiently(lambda: self._api.channel_member_ids(channel_id, limit), sleep=self._sleep))
        return [user for user in users if user.id in near]

    def may_read_members(self, channel: Channel) -> bool:
        """Whether Mattermost would show this caller who is in ``channel``."""
        if READ_CHANNEL in self.caller.permissions:
            return True
        is_member = channel.id in self._my_channels
        team_grants = bool(channel.team_id) and not is_member and READ_CHANNEL in self._team_permissions.get(
            channel.team_id, frozenset())
        return may_read_members(self.caller, channel, is_member, team_grants)

    @cached_property
    def _my_channels(self) -> frozenset[str]:
        return self._channels_of(self.caller.id)

    @cached_property
    def _team_permissions(self) -> dict[str, frozenset[str]]:
        """What the caller's roles in each of their teams grant."""
        memberships = patiently(lambda: self._api.team_memberships(self.caller.id), sleep=self._sleep)
        roles = {role for membership in memberships for role in membership.roles}
        granted = patiently(lambda: self._api.permissions_of_roles(roles), sleep=self._sleep) if roles else {}
        return {m.team_id: frozenset().union(*(granted.get(role, frozenset()) for role in m.roles))
                for m in memberships}

    @cached_property
    def _restrictions(self) -> ViewRestrictions:
        """``GetViewUsersRestrictions`` of a caller without ``view_members``."""
        teams = frozenset(team for team, granted in self._team_permissions.items() if VIEW_MEMBERS in granted)
        return ViewRestrictions(teams, self._my_channels)

    def _teams_of(self, user_id: str) -> list[str]:
        return [m.team_id for m in patiently(lambda: self._api.team_memberships(user_id), sleep=self._sleep)]

    def _channels_of(self, user_id: str) -> frozenset[str]:
        return patiently(lambda: self._api.channel_ids_of(user_id), sleep=self._sleep)
