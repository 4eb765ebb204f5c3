"""Who a bulk sign-out reaches, and what of theirs it would end: the named users and every member of the
named channels, each checked against the caller's rights, with the sessions the filter selects (and, with
``--tokens``, their active tokens).

Reading a target's sessions or tokens waits out Mattermost's rate limit (429), as signing out does; any other
failure to read them is that target's alone: a preview lists them as left out with the reason, and carried out
they count as failed, with nothing of theirs touched, while everyone else proceeds.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from bot.core.commands import ChannelRef, RevokeMany
from bot.core.errors import BotError, ChannelNotFound, TooManyMembers
from bot.core.model import AccessToken, Channel, User, is_id
from bot.core.permissions import MANAGE_SYSTEM, Caller
from bot.core.results import BulkPlan, Skip, Target, TargetResult
from bot.features.context import Context, Who, read_sessions
from bot.features.stepwise import fan_out, patiently
from bot.features.tokens import active, read_tokens
from bot.mattermost.statuses import Call, meaning

T = TypeVar("T")

#: The most members read from the channels of one command (a bigger crowd is refused, not truncated).
MAX_CHANNEL_MEMBERS = 2000

#: Each target's active personal access tokens, by user id (``--tokens`` only).
TokensByUser = dict[str, tuple[AccessToken, ...]]


def plan(ctx: Context, caller: Caller, command: RevokeMany, team_id: str,
         now_ms: int) -> tuple[BulkPlan, TokensByUser]:
    """Everyone named, each checked against the caller's rights, with the sessions to end (and, with
    ``--tokens``, the tokens to disable)."""
    skipped: list[Skip] = []
    named: dict[str, User] = {}
    for ref in command.users:
        try:
            user = ctx.access.resolve(ref)
        except BotError as error:
            skipped.append(Skip(ref.text, error))
            continue
        named.setdefault(user.id, user)
    for channel_ref in command.channels:
        try:
            members = _members(ctx, caller, channel_ref, team_id)
        except (ChannelNotFound, TooManyMembers) as error:
            skipped.append(Skip(channel_ref.text, error))
            continue
        for user in members:
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


def _members(ctx: Context, caller: Caller, ref: ChannelRef, team_id: str) -> list[User]:
    """The users in the channel ``ref`` names; ``ChannelNotFound`` when the caller may not see it."""
    channel = _channel(ctx, ref, team_id)
    member_ids = patiently(lambda: ctx.api.channel_member_ids(channel.id, MAX_CHANNEL_MEMBERS + 1), sleep=ctx.sleep)
    if channel.private and caller.id not in member_ids and MANAGE_SYSTEM not in caller.permissions:
        raise ChannelNotFound(ref)
    if len(member_ids) > MAX_CHANNEL_MEMBERS:
        raise TooManyMembers(ref, MAX_CHANNEL_MEMBERS)
    return patiently(lambda: ctx.api.users_by_ids(member_ids), sleep=ctx.sleep)


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
