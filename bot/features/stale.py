"""``list --stale [30d]``: which members of the caller's team have sessions nobody has used for a while.

The cost is bounded: at most :data:`MAX_MEMBERS` members are read (pages of 200, by username) and
their session lists fetched :data:`bot.features.stepwise.CONCURRENCY` at a time. Only members the caller may see
are considered (``bot.features.visibility``: everyone, unless the caller's view of users is restricted). Members
whose sessions the caller may not list (Mattermost's own rule, :func:`bot.core.permissions.refusal_for`) are
counted, never read.
"""
from __future__ import annotations

from bot.core.audit import TEAM, AuditEvent, ended_by
from bot.core.commands import ListStale
from bot.core.errors import BotError, Refused
from bot.core.filters import Duration, SessionFilter
from bot.core.invocation import Invocation
from bot.core.model import User, by_recent_activity
from bot.core.outcomes import Failed, Outcome, StaleList
from bot.core.permissions import Action, Caller, Refusal, refusal_for
from bot.core.results import StaleReport, StaleUser
from bot.features.context import Context, Who, read_sessions
from bot.features.stepwise import fan_out, patiently

#: The most team members one ``list --stale`` reads.
MAX_MEMBERS = 1000


def find_stale(ctx: Context, caller: Caller, team_id: str, inactive: Duration, now_ms: int) -> StaleReport:
    """The caller's team members whose sessions include some inactive for longer than ``inactive``,
    most stale sessions first."""
    members = patiently(lambda: ctx.api.team_users(team_id, MAX_MEMBERS + 1), sleep=ctx.sleep)
    more = len(members) > MAX_MEMBERS
    members = ctx.access.viewer(caller).among([m for m in members[:MAX_MEMBERS] if not m.deactivated], team_id,
                                              MAX_MEMBERS)
    allowed = [m for m in members if refusal_for(caller, m, Action.LIST, None) is None]
    wanted = SessionFilter(inactive=inactive)

    def check(user: User) -> StaleUser:
        sessions = patiently(lambda: read_sessions(ctx, Who("", None, user)), sleep=ctx.sleep)
        stale = tuple(by_recent_activity(wanted.select(sessions, now_ms).chosen))
        return StaleUser(user, stale, len(sessions))

    found = [entry for entry in fan_out(allowed, check, name="stale") if entry.stale]
    found.sort(key=lambda entry: (-len(entry.stale), entry.user.username))
    return StaleReport(inactive, tuple(found), len(allowed), len(members) - len(allowed), more)


def list_stale(ctx: Context, invocation: Invocation, command: ListStale) -> Outcome:
    """``list --stale``: for callers who may act on others, the team members with long-unused sessions;
    audited, as every read of other users' sessions is."""
    now_ms = ctx.now_ms()
    try:
        caller = ctx.access.caller_of(invocation.caller_id)
        if not caller.may_act_on_others:
            raise Refused(Refusal.NEEDS_EDIT_OTHER_USERS, target=None)
        shown: StaleList | Failed = StaleList(find_stale(ctx, caller, invocation.team_id, command.inactive, now_ms))
        result, reason = "ok", ""
    except BotError as error:
        shown = Failed(error)
        result, reason = ended_by(error)
    audit = AuditEvent.of(invocation, action="list-stale", result=result, reason=reason, target_id="",
                          target_username=TEAM, session_ids=(), filter=SessionFilter(inactive=command.inactive))
    return Outcome(shown, now_ms, "list-stale", result, reason, audit)
