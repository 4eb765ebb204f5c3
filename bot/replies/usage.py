"""How to use ``/sessions``: the help text, and what was not understood in a typed command (pure)."""
from __future__ import annotations

from typing import Callable

from bot.core.commands import (
    MAX_NAMED_CHANNELS,
    MAX_NAMED_USERS,
    MIN_SESSION_PREFIX,
    Problem,
    ProblemKind,
)
from bot.core.filters import Platform
from bot.replies.markdown import code

USAGE = """**/sessions** shows where you are signed in to Mattermost and signs you out.
- `/sessions` or `/sessions list`: your sessions
- `/sessions revoke <ID>`: sign out of one session (the ID from the list; its first 6 characters are enough)
- `/sessions revoke-all`: sign out everywhere (you will be asked to confirm with `--yes`)
- `/sessions tokens`: your personal access tokens (needs **read_user_access_token**)
- `/sessions disable-tokens`: disable them (confirm with `--yes`; needs **revoke_user_access_token**)
- `/sessions revoke-all --tokens`: sign out everywhere and disable your tokens, which signing out leaves working
- `/sessions help`: this text

`list` and `revoke-all` take filters; a session must match every filter given:
- `--platform mobile`, `desktop`, `web` or `api` (personal access and bot tokens); several: `--platform mobile,desktop`
- `--older-than 30d`: signed in more than 30 days ago
- `--inactive 7d`: no activity for more than 7 days

A duration is a whole number and m (minutes), h (hours), d (days) or w (weeks): `90m`, `12h`, `30d`, `2w`. \
`/sessions revoke-all --inactive 30d` signs out only the sessions idle for more than 30 days.

With Mattermost's **edit_other_users** permission you can name another user after the command, \
as @username, username, email address or user ID: `/sessions list @alice`, \
`/sessions revoke <ID> @alice`, `/sessions revoke-all @alice`. \
A system admin's sessions need **manage_system**. \
Filters work for another user too: `/sessions revoke-all @alice --platform mobile`, \
and so do `tokens @alice` and `disable-tokens @alice` (a bot's tokens need **manage_others_bots**). \
Name several users and ~channels to sign them all out: `/sessions revoke-all @bob ~incident --tokens`; \
`/sessions list --stale 30d` finds who in the team has sessions idle that long. \
With **manage_system**, `/sessions revoke-all --everyone` signs out every user; type back the code it shows."""

_PLATFORM_NAMES = ", ".join(p.value for p in list(Platform)[:-1]) + f" or {list(Platform)[-1].value}"
_UNITS = "m (minutes), h (hours), d (days) or w (weeks)"

_PROBLEMS: dict[ProblemKind, Callable[[Problem], str]] = {
    ProblemKind.UNKNOWN_COMMAND: lambda p: f"I don't know the command {code(p.token)}.",
    ProblemKind.UNKNOWN_OPTION: lambda p: f"I don't know the option {code(p.token)}.",
    ProblemKind.NOT_A_USER: lambda p: f"{code(p.token)} is not a username, email address or user id.",
    ProblemKind.ONE_USER_AT_MOST: lambda p: f"Name one user at most: {code(p.token)} is one too many.",
    ProblemKind.TOO_MANY_USERS: lambda p: f"Name at most {MAX_NAMED_USERS} users in one command (or use a ~channel).",
    ProblemKind.ME_IN_BULK: lambda p: "`me` cannot be part of a bulk sign-out: sign yourself out with `revoke-all --yes`.",
    ProblemKind.NOT_A_CHANNEL: lambda p: f"{code(p.token)} is not a channel: write `~` and the channel's name as in its URL.",
    ProblemKind.TOO_MANY_CHANNELS: lambda p: f"Name at most {MAX_NAMED_CHANNELS} channels in one command.",
    ProblemKind.REVOKE_NEEDS_ID: lambda p: "`revoke` needs a session id: copy one from `/sessions list`.",
    ProblemKind.NOT_A_SESSION_ID: lambda p: f"{code(p.token)} is not a session id: copy one from `/sessions list`.",
    ProblemKind.SESSION_ID_TOO_SHORT: lambda p: (
        f"{code(p.token)} is too short: session ids need at least {MIN_SESSION_PREFIX} characters. Copy the id from "
        "`/sessions list`."),
    ProblemKind.PLATFORM_NEEDS_VALUE: lambda p: f"`{p.option}` needs a platform: {_PLATFORM_NAMES}.",
    ProblemKind.NOT_A_PLATFORM: lambda p: (
        f"{code(p.token)} is not a platform: use {_PLATFORM_NAMES} (several separated by commas)."),
    ProblemKind.NEEDS_DURATION: lambda p: f"`{p.option}` needs a duration, such as `30d`.",
    ProblemKind.NOT_A_DURATION: lambda p: (
        f"{code(p.token)} is not a duration: write a whole number and a unit, {_UNITS}, e.g. `30d`."),
    ProblemKind.DURATION_NOT_POSITIVE: lambda p: f"`{p.option}` needs a duration above zero, not {code(p.token)}.",
    ProblemKind.DURATION_TOO_LONG: lambda p: (
        f"{code(p.token)} is too long for `{p.option}`: the longest is 10 years (`3650d`)."),
    ProblemKind.GIVEN_TWICE: lambda p: f"`{p.option}` can only be given once.",
    ProblemKind.YES_ONLY_FOR_REVOKING: lambda p: "`--yes` only applies to `revoke-all` and `disable-tokens`.",
    ProblemKind.FILTER_ONLY_FOR_LISTS: lambda p: f"`{p.option}` only applies to `list` and `revoke-all`.",
    ProblemKind.ONLY_FOR_REVOKE_ALL: lambda p: f"`{p.option}` only applies to `revoke-all`.",
    ProblemKind.CONFIRM_ONLY_FOR_EVERYONE: lambda p: "`--confirm` only applies to `revoke-all --everyone`.",
    ProblemKind.STALE_ONLY_FOR_LIST: lambda p: "`--stale` only applies to `list`.",
    ProblemKind.STALE_TAKES_A_DURATION: lambda p: (
        f"`{p.option}` looks at your whole team: it takes a duration (e.g. `30d`), nothing else."),
    ProblemKind.TOKENS_WITH_A_FILTER: lambda p: (
        "`--tokens` disables every token, so it cannot be combined with a filter: run the filtered `revoke-all` and "
        "`disable-tokens` separately."),
    ProblemKind.CONFIRM_NEEDS_CODE: lambda p: (
        "`--confirm` needs the code that `/sessions revoke-all --everyone` showed you."),
    ProblemKind.NOT_A_CODE: lambda p: (
        f"{code(p.token)} is not a confirmation code: copy the one `/sessions revoke-all --everyone` showed you."),
    ProblemKind.EVERYONE_NOT_WITH_YES: lambda p: (
        "`--everyone` is never confirmed with `--yes`: run `/sessions revoke-all --everyone` and type the code it "
        "shows with `--confirm`."),
    ProblemKind.NOT_WITH_EVERYONE: lambda p: (
        f"{code(p.token)} cannot go with `--everyone`, which signs out every user: write "
        "`/sessions revoke-all --everyone` alone."),
}


def problem_text(problem: Problem) -> str:
    """What was not understood, in one sentence that quotes the word typed (as inline code)."""
    return _PROBLEMS[problem.kind](problem)


def usage(problem: Problem | None = None) -> str:
    """The help text, led by what was not understood when there is a problem."""
    return USAGE if problem is None else f"{problem_text(problem)}\n\n{USAGE}"
