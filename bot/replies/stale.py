"""The reply to `list --stale` (pure): who in the team has sessions unused for long, and the command that would end
exactly those.
"""
from __future__ import annotations

from bot.core.filters import SessionFilter
from bot.core.results import StaleReport
from bot.replies.filters import describe_filter
from bot.replies.markdown import code
from bot.replies.values import Reply
from bot.replies.words import (
    ago,
    fit,
    mention,
    named_lines,
    sessions_count,
    users_count,
)

#: Users named in the suggested ``revoke-all`` after a stale list.
MAX_SUGGESTED = 10


def stale_list(report: StaleReport, now_ms: int) -> Reply:
    """``list --stale``: who in the team has sessions unused for longer than asked, the most stale first,
    and a command that would sign exactly those sessions out."""
    wanted = SessionFilter(inactive=report.inactive)
    head = f"#### Stale sessions in this team ({describe_filter(wanted)})"
    if not report.users:
        lines = [head, f"None of the {report.checked} members checked has any."]
    else:
        lines = [head, f"{len(report.users)} of the {report.checked} members checked:"]
        lines += named_lines([
            f"- {mention(entry.user)}: {len(entry.stale)} of {sessions_count(entry.total)}, the oldest last used "
            f"{ago(entry.stale[-1].last_activity_ms, now_ms)}" for entry in report.users])
    tail = []
    if report.not_allowed:
        tail.append(f"{users_count(report.not_allowed)} not checked: their sessions need **manage_system**.")
    if report.more_members:
        tail.append(f"The team has more members than the {report.checked + report.not_allowed} read (the first "
                    "by username); name users or a channel to look further.")
    if report.users:
        names = [f"@{entry.user.username}" for entry in report.users[:MAX_SUGGESTED]]
        suggestion = " ".join(["/sessions revoke-all", *names, wanted.options()])
        more = f" (the first {MAX_SUGGESTED})" if len(report.users) > MAX_SUGGESTED else ""
        tail.append(f"To sign out just these sessions{more}: {code(suggestion, 800)}")
    return Reply(fit(lines, [""] + tail if tail else []))
