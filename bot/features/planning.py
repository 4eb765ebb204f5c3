"""Who a bulk sign-out reaches, and what of theirs it would end: the named users and every member of the
named channels, each checked against the caller's rights, with the sessions the filter selects (and, with
``--tokens``, their active tokens). Names resolve only as far as Mattermost would answer the caller, and a
channel's members only when Mattermost would show them to the caller (``bot.features.visibility``); the channels'
members are counted (``GET /channels/{id}/stats``) before any is read, :data:`MAX_CHANNEL_MEMBERS` at most for all
of them together.

Reading a target's sessions or tokens waits out Mattermost's rate limit (429), as signing out does; any other
failure to read them is that target's alone: a preview lists them as left out with the reason, and carried out
they count as failed, with nothing of theirs touched, while everyone else proceeds.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from bot.core.commands import ChannelRef, RevokeMany
from bot.core.errors import BotError, ChannelNotFound, TooManyMembers
from bot.core.model import AccessToken, Channel, User, is_id
from bot.core.permissions import Caller
from bot.core.results import BulkPlan, Skip, Target, TargetResult
from bot.features.context import Context, Who, read_sessions
from bot.features.stepwise import fan_out, patiently
from bot.features.tokens import active, read_tokens
from bot.features.visibility import Viewer
from bot.mattermost.statuses import Call, meaning

T = TypeVar("T")

#: The most members read from all the channels of one command together (a channel that would bring the total
#: over it is left out, with the reason, before its members are read; never truncated).
MAX_CHANNEL_MEMBERS = 2000

#: Each target's active personal access tokens, by user id (``--tokens`` only).
TokensByUser = dict[str, tuple[AccessToken, ...]]


def plan(ctx: Context, caller: Caller, command: RevokeMany, team_id: str,
         now_ms: int) -> tuple[BulkPlan, TokensByUser]:
    """Everyone named, each checked against the caller's rights, with the sessions to end (and, with
    ``--tokens``, the tokens to disable)."""
    skipped: list[Skip] = []
    named: dict[str, User] = {}
    viewer = ctx.access.viewer(caller)
    for ref in command.users:
        try:
            user = ctx.access.resolve(ref, viewer)
        except BotError as error:
            skipped.append(Skip(ref.text, error))
            continue
        named.setdefault(user.id, user)
    counted = 0  # members of the channels taken so far: the limit is for all of them together
    for channel_ref in command.channels:
        try:
            channel, members = _counted(ctx, viewer, channel_ref, team_id, counted)
        except (ChannelNotFound, TooManyMembers) as error:
            skipped.append(Skip(channel_ref.text, error))
            continue
        counted += members
        for user in _members(ctx, channel):
            named.setdefault(user.id, user)
    allowed = []
    bot_user_id = ctx.api.bot_user_id
    for user in named.values():
        reason = ctx.access.left_out(caller, user, bot_user_id, command.tokens)
        if reason is None:
            allowed.append(user)
        else:
            skipped.append(Skip("@" + user.username, reason))
    wanted = command.filter
    sessions, unread = _each(ctx, allowed, lambda who: read_sessions(ctx, who))
    targets = [Target(user, tuple(sessions[user.id] if wanted.is_empty else wanted.select(sessions[user.id], now_ms).chosen),
                      everything=wanted.is_empty) for user in allowed if user.id in sessions]
    tokens: TokensByUser = {}
    if command.tokens:  # a user whose tokens cannot be read is not signed out either: never half done
        tokens, unreadable_tokens = _each(ctx, [t.user for t in targets], lambda who: active(read_tokens(ctx, who)))
        unread.update(unreadable_tokens)
        targets = [target for target in targets if target.user.id not in unreadable_tokens]
    chosen = tuple(target for target in targets if target.sessions or tokens.get(target.user.id))
    unreadable = [user for user in allowed if user.id in unread]
    if not command.confirmed:  # a preview lists them with the others left out; carried out, they failed
        skipped += [Skip("@" + user.username, unread[user.id]) for user in unreadable]
    failed = () if not command.confirmed else tuple(TargetResult(user, (), unread[user.id]) for user in unreadable)
    return (BulkPlan(chosen, tuple(skipped), wanted, len(targets) - len(chosen), failed),
            {target.user.id: tokens[target.user.id] for target in chosen if tokens.get(target.user.id)})


def _each(ctx: Context, users: list[User], read: Callable[[Who], T]) -> tuple[dict[str, T], dict[str, BotError]]:
    """``read`` for each user (several at a time, a 429 waited out): what it gave, and why Mattermost would not
    give it, by user id (that user's trouble, not the others')."""
    def one(user: User) -> T | BotError:
        try:
            return patiently(lambda: read(Who("", None, user)), sleep=ctx.sleep)
        except BotError as error:
            return error

    found = fan_out(users, one, name="plan")
    return ({user.id: value for user, value in zip(users, found) if not isinstance(value, BotError)},  # type: ignore[misc]
            {user.id: value for user, value in zip(users, found) if isinstance(value, BotError)})


def _counted(ctx: Context, viewer: Viewer, ref: ChannelRef, team_id: str, before: int) -> tuple[Channel, int]:
    """The channel ``ref`` names and how many members it has, counted before any is read:
    ``ChannelNotFound`` when the caller may not see who is in it (a private channel, a direct or group message
    they are not in, as Mattermost's ``getChannelMembers`` would refuse them), ``TooManyMembers`` when with the
    ``before`` members of the channels named earlier it would be more than :data:`MAX_CHANNEL_MEMBERS`."""
    channel = _channel(ctx, ref, team_id)
    if not viewer.may_read_members(channel):
        raise ChannelNotFound(ref)
    members = patiently(lambda: ctx.api.channel_member_count(channel.id), sleep=ctx.sleep)
    if before + members > MAX_CHANNEL_MEMBERS:
        raise TooManyMembers(ref, MAX_CHANNEL_MEMBERS, members, before)
    return channel, members


def _members(ctx: Context, channel: Channel) -> list[User]:
    """The users in the channel (at most :data:`MAX_CHANNEL_MEMBERS`, its count having been checked)."""
    member_ids = patiently(lambda: ctx.api.channel_member_ids(channel.id, MAX_CHANNEL_MEMBERS), sleep=ctx.sleep)
    return patiently(lambda: ctx.api.users_by_ids(member_ids), sleep=ctx.sleep) if member_ids else []


def _channel(ctx: Context, ref: ChannelRef, team_id: str) -> Channel:
    """The channel ``~name`` names in the team, or (for a 26-character name) the channel with that id."""
    lookups: list[Callable[[], Channel]] = []
    if team_id:
        lookups.append(lambda: ctx.api.channel_by_name(team_id, ref.value))
    if is_id(ref.value):
        lookups.append(lambda: ctx.api.channel(ref.value))
    for lookup in lookups:
        try:
            with meaning(Call.FIND_CHANNEL, ref=ref):
                channel = lookup()
        except ChannelNotFound:
            continue
        if channel.team_id in (team_id, ""):
            return channel
    raise ChannelNotFound(ref)
