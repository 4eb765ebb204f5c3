"""Every text the user sees, formatted as Mattermost Markdown (pure, no I/O).

Anything that came from outside the bot (device names, user-typed text) passes through ``_clean``
so it can neither break a table nor become a link; replies stay under Mattermost's post limit.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Mapping, Sequence

import humanize

from bot.core.audit import EVERYONE, AuditEvent, Notice
from bot.core.commands import Cancel, ChannelRef, DisableTokens, RevokeAll, RevokeMany, RevokeSession, UserRef
from bot.core.errors import (
    AmbiguousSession,
    BotError,
    BotLacksPermission,
    BotTokenRejected,
    ChannelNotFound,
    ExpiredButton,
    ForeignButton,
    ForgedButton,
    MattermostUnreachable,
    Refused,
    SessionAlreadyGone,
    TokenAlreadyGone,
    SessionNotFound,
    TargetDeactivated,
    TooManyMembers,
    UpstreamMalformed,
    UpstreamRejected,
    UserNotFound,
)
from bot.core.filters import Selection, SessionFilter
from bot.replies.markdown import code, inert
from bot.core.model import AccessToken, DeviceKind, Session, User, by_recent_activity, shown_ids
from bot.core.permissions import Refusal
from bot.replies.filters import describe_filter
from bot.replies.values import Attachment, Button, Reply
from bot.core.results import BulkPlan, Disabling, Progress, Revocation, Skip, StaleReport, TargetResult

#: Mattermost rejects posts over 16383 runes (§5); stay well below it.
MAX_MESSAGE_CHARS = 15000
#: How many sessions a reply lists before summarising the rest.
MAX_LISTED = 50
#: How many sessions get a card with a button (attachments are much taller than table rows).
MAX_CARDS = 20
#: Expiry further away than this is shown as "never" (token sessions last 100 years, §3.1).
NEVER_MS = 10 * 365 * 24 * 3600 * 1000

_MARKERS = {
    DeviceKind.WEB: "🌐 Web browser",
    DeviceKind.DESKTOP: "🖥️ Desktop app",
    DeviceKind.MOBILE: "📱 Mobile app",
    DeviceKind.ACCESS_TOKEN: "🔑 Personal access token",
    DeviceKind.BOT_TOKEN: "🤖 Bot token",
    DeviceKind.OAUTH: "🔗 OAuth app",
}

TOKEN_NOTE = (
    "🔑 Signing out does not disable personal access tokens: each token's next use opens a new session. "
    "To cut a token off, disable it with `/sessions disable-tokens` (or `revoke-all --tokens`), or in "
    "Profile → Security → Personal Access Tokens (System Console → Users for admins)."
)
#: The immediate reply to a command that outlasts the reply budget; its result follows as another message.
STILL_WORKING = (
    "⏳ Still working on it… The result will appear here shortly: there is no need to run the command again."
)
SELF_REVOKE_NOTE = "This includes the session you are typing in: you will have to sign in again here too."
SELF_MAYBE_NOTE = "If you are typing in one of these sessions, you will have to sign in again here too."


TOKEN_LEFT_ALONE_NOTE = (
    "🔑 Personal access tokens and bot tokens were not touched: they still work, and each one's next use opens "
    "a new session (this is also how the sessions bot itself keeps working). To cut a token off, disable it: "
    "`/sessions disable-tokens @user`."
)


# --- small pieces -------------------------------------------------------------------------------

def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def _ago(ms: int, now_ms: int) -> str:
    return humanize.naturaltime(_when(ms), when=_when(now_ms)) if ms else "never"


def _expires(session: Session, now_ms: int) -> str:
    if not session.expires_ms or session.expires_ms - now_ms > NEVER_MS:
        return "never"
    if session.is_expired(now_ms):
        return "expired " + _ago(session.expires_ms, now_ms)
    return "in " + humanize.naturaldelta(_when(session.expires_ms) - _when(now_ms), months=False)


#: A name shown as a plain ``@mention``: what Mattermost allows in a username.
_PLAIN_USERNAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: Mentions that notify a whole channel; Mattermost ends a mention's word at ``.``, ``-`` or ``:``.
_EVERYONE_MENTIONS = frozenset({"all", "channel", "here"})


def _at(username: str) -> str:
    """``@username``; a name that is no plain username, or would notify a whole channel (``@here``), as inline
    code instead, which can neither link, format, split a line nor notify anyone."""
    word = re.split(r"[.:-]", username, maxsplit=1)[0].rstrip("_").lower()
    if _PLAIN_USERNAME.fullmatch(username) and word not in _EVERYONE_MENTIONS:
        return f"@{username}"
    return code(f"@{username}", 64)


def _mention(user: User | None, *, capital: bool = False) -> str:
    return ("You" if capital else "you") if user is None else _at(user.username)


def _whose(user: User | None) -> str:
    return "Your" if user is None else f"{_at(user.username)}'s"


def _ref(ref: UserRef) -> str:
    return code(ref.text, 64)


def _command(verb: str, subject: User | None, *args: str, flag: str = "") -> str:
    words = ["/sessions", verb, *args] + ([f"@{subject.username}"] if subject else []) + ([flag] if flag else [])
    return code(" ".join(words), 200)


def describe(session: Session) -> str:
    """A short human name for a session, e.g. "Chrome on Mac OS" or "the mobile app on iOS"."""
    os_name = inert(session.os) or "an unknown system"
    match session.kind:
        case DeviceKind.WEB:
            browser = inert(session.browser.split("/")[0])
            return f"{browser if browser and browser != 'Unknown' else 'a web browser'} on {os_name}"
        case DeviceKind.DESKTOP:
            return f"the desktop app on {os_name}"
        case DeviceKind.MOBILE:
            return f"the mobile app on {inert(session.mobile_system) or 'a phone'}"
        case DeviceKind.ACCESS_TOKEN:
            return "a personal access token session"
        case DeviceKind.BOT_TOKEN:
            return "a bot token session"
        case DeviceKind.OAUTH:
            return f"the OAuth app {inert(session.platform) or '(unnamed)'}"


def _summary_line(session: Session, now_ms: int) -> str:
    return f"{describe(session)}, last active {_ago(session.last_activity_ms, now_ms)}"


def _fit(lines: list[str], tail: list[str]) -> str:
    """Join ``lines`` and ``tail``, dropping lines from the end of ``lines`` until it fits the post limit."""
    kept = list(lines)
    while kept and len("\n".join(kept + tail)) > MAX_MESSAGE_CHARS:
        kept.pop()
    return "\n".join(kept + tail)


def _more(hidden: int) -> list[str]:
    if hidden <= 0:
        return []
    return [f"…and {hidden} more, less recently active, not shown."]


# --- replies ------------------------------------------------------------------------------------

def _has(subject: User | None, *, capital: bool = False) -> str:
    return f"{_mention(subject, capital=capital)} {'have' if subject is None else 'has'}"


def _nothing_here(subject: User | None, suffix: str = ".") -> str:
    return f"{_has(subject, capital=True)} no active sessions{suffix}"


def _no_match(subject: User | None, selection: Selection, lead: str) -> str:
    """Nothing matches the filter: say so after ``lead``, and where to see every session."""
    text = f"{lead}: {_has(subject)} no {describe_filter(selection.filter)}."
    return text + (f" See every session with {_command('list', subject)}." if selection.total else "")


def _options(wanted: SessionFilter, *more: str) -> str:
    """The filter's options and any more flags, as typed after the user."""
    return " ".join(part for part in (wanted.options(), *more) if part)


def _signed_in(session: Session) -> str:
    return _when(session.created_ms).strftime("%Y-%m-%d") if session.created_ms else "–"


def _target(subject: User | None) -> UserRef | None:
    """How a button names the target: by id, so a click never depends on a name that may change."""
    return None if subject is None else UserRef("id", subject.id, f"@{subject.username}")


def _list_tail(subject: User | None, sessions: list[Session], hidden: int, buttons: bool, wanted: SessionFilter) -> list[str]:
    how = "with the buttons below, or type " if buttons else "with "
    everything = _command("revoke-all", subject, flag=wanted.options())
    tail = _more(hidden) + [
        "",
        f"Sign one out {how}{_command('revoke', subject, '<ID>')}; all of them with {everything}.",
    ]
    return tail + ([TOKEN_NOTE] if any(s.is_token for s in sessions) else [])


def _table(subject: User | None, sessions: list[Session], now_ms: int) -> list[str]:
    ids = shown_ids(sessions)
    rows = [
        "| {marker} | {platform} | {os} | {browser} | {signed} | {active} | {expires} | `{id}` |".format(
            marker=_MARKERS[s.kind],
            platform=inert(s.platform) or "–",
            os=inert(s.os) or "–",
            browser=inert(s.browser) or "–",
            signed=_signed_in(s),
            active=_ago(s.last_activity_ms, now_ms),
            expires=_expires(s, now_ms),
            id=ids[s.id],
        )
        for s in by_recent_activity(sessions)[:MAX_LISTED]
    ]
    return [
        "| Device | Platform | OS | Browser | Signed in (UTC) | Last active | Expires | ID |",
        "|:--|:--|:--|:--|:--|:--|:--|:--|",
        *rows,
    ]


def _card_title(session: Session) -> str:
    name = describe(session)
    return f"{_MARKERS[session.kind].split(' ')[0]} {name[:1].upper()}{name[1:]}"


def _card(session: Session, shown_id: str, now_ms: int, target: UserRef | None) -> Attachment:
    return Attachment(
        title=_card_title(session),
        text=" · ".join(part for part in (inert(session.platform), inert(session.os), inert(session.browser)) if part),
        fields=(
            ("Signed in (UTC)", _signed_in(session)),
            ("Last active", _ago(session.last_activity_ms, now_ms)),
            ("Expires", _expires(session, now_ms)),
            ("ID", f"`{shown_id}`"),
        ),
        buttons=(Button("Sign out", RevokeSession(session.id, target)),),
    )


def _cards(subject: User | None, sessions: list[Session], now_ms: int, signed_out: Session | None,
           wanted: SessionFilter) -> tuple[Attachment, ...]:
    target = _target(subject)
    ids = shown_ids(sessions)
    gone = (Attachment(title=_card_title(signed_out), text="✅ Signed out"),) if signed_out else ()
    cards = tuple(_card(s, ids[s.id], now_ms, target) for s in by_recent_activity(sessions)[:MAX_CARDS])
    label = "Sign out everywhere" if wanted.is_empty else "Sign out all of these"
    everywhere = (Attachment(buttons=(Button(label, RevokeAll(target, confirmed=False, filter=wanted), "danger"),)),)
    return gone + cards + (everywhere if sessions else ())


def session_list(
    subject: User | None,
    sessions: list[Session],
    now_ms: int,
    *,
    buttons: bool = False,
    banner: str = "",
    signed_out: Session | None = None,
) -> Reply:
    """The ``list`` reply, most recently active first: a table with IDs, or one card per session with buttons.

    ``banner`` leads the text and ``signed_out`` is shown as signed out (used after a revocation).
    """
    lead = [banner, ""] if banner else []
    if not sessions:
        no_cards = _cards(subject, [], now_ms, signed_out, SessionFilter()) if buttons else ()
        return Reply("\n".join(lead + [_nothing_here(subject)]), no_cards)
    return _listing(subject, sessions, now_ms, buttons, [*lead, f"#### {_whose(subject)} sessions ({len(sessions)})"],
                    SessionFilter(), signed_out)


def filtered_list(subject: User | None, selection: Selection, now_ms: int, *, buttons: bool = False) -> Reply:
    """The ``list`` reply with a filter: which filter, then only the sessions it selects (or that none match)."""
    if not selection.chosen:
        return Reply(_no_match(subject, selection, "No sessions match"))
    chosen = list(selection.chosen)
    header = [f"#### {_whose(subject)} sessions ({len(chosen)} of {selection.total})",
              f"Showing only {describe_filter(selection.filter)}."]
    return _listing(subject, chosen, now_ms, buttons, header, selection.filter)


def _listing(subject: User | None, sessions: list[Session], now_ms: int, buttons: bool, header: list[str],
             wanted: SessionFilter, signed_out: Session | None = None) -> Reply:
    """``header``, then ``sessions`` as a table, or as cards with buttons, and how to sign them out."""
    limit = MAX_CARDS if buttons else MAX_LISTED
    tail = _list_tail(subject, sessions, len(sessions) - limit, buttons, wanted)
    if buttons:
        return Reply(_fit(header, tail), _cards(subject, sessions, now_ms, signed_out, wanted))
    return Reply(_fit(header + _table(subject, sessions, now_ms), tail))


def revoked_one(subject: User | None, session: Session, remaining: list[Session], now_ms: int, *, buttons: bool = False) -> Reply:
    """Confirmation that one session was signed out; with buttons, followed by the sessions that remain."""
    who = "" if subject is None else f"{_at(subject.username)} "
    lines = [f"✅ Signed {who}out of {_summary_line(session, now_ms)}."]
    if session.is_token:
        lines.append(TOKEN_NOTE)
    if not buttons:
        return Reply("\n".join(lines))
    return session_list(subject, remaining, now_ms, buttons=True, banner="\n".join(lines), signed_out=session)


def _bullets(sessions: list[Session], now_ms: int) -> tuple[list[str], list[str]]:
    ordered = by_recent_activity(sessions)
    bullets = [f"- {_MARKERS[s.kind].split(' ')[0]} {_summary_line(s, now_ms)}" for s in ordered[:MAX_LISTED]]
    return bullets, _more(len(ordered) - MAX_LISTED)


def revoke_all_preview(subject: User | None, sessions: list[Session], now_ms: int, *, buttons: bool = False) -> Reply:
    """What ``revoke-all`` would do, and how to confirm it (typing ``--yes``, or a button)."""
    if not sessions:
        return Reply(_nothing_here(subject, ": nothing to sign out."))
    head = f"**This will sign {_mention(subject)} out of {_count(sessions)}:**"
    notes = [SELF_REVOKE_NOTE] if subject is None else []
    return _preview(subject, sessions, now_ms, head, notes, SessionFilter(), buttons)


def filtered_preview(subject: User | None, selection: Selection, now_ms: int, *, buttons: bool = False) -> Reply:
    """What a filtered ``revoke-all`` would do: exactly the sessions its filter selects now, and how to confirm."""
    if not selection.chosen:
        return Reply(_no_match(subject, selection, "Nothing to sign out"))
    chosen = list(selection.chosen)
    head = f"**This will sign {_mention(subject)} out of {_count(chosen)}** ({describe_filter(selection.filter)}):"
    notes = [f"{_others(selection.left_out)} signed in."] if selection.left_out else []
    notes += [SELF_MAYBE_NOTE] if subject is None else []
    return _preview(subject, chosen, now_ms, head, notes, selection.filter, buttons)


def _preview(subject: User | None, sessions: list[Session], now_ms: int, head: str, notes: list[str],
             wanted: SessionFilter, buttons: bool) -> Reply:
    """``head``, the sessions that would be signed out, ``notes``, and how to confirm (``--yes`` or a button)."""
    bullets, more = _bullets(sessions, now_ms)
    tail = more + [""] + notes
    if any(s.is_token for s in sessions):
        tail.append(TOKEN_NOTE)
    command = _command("revoke-all", subject, flag=_options(wanted, "--yes"))
    tail.append(f"Confirm below, or run {command}." if buttons else f"To go ahead, run {command}.")
    label = "Sign out everywhere" if wanted.is_empty else "Sign out these sessions"
    confirm = Button(label, RevokeAll(_target(subject), confirmed=True, filter=wanted), "danger")
    attachments = (Attachment(buttons=(confirm, Button("Cancel", Cancel()))),) if buttons else ()
    return Reply(_fit([head] + bullets, tail), attachments)


def _others(count: int) -> str:
    return "The other session stays" if count == 1 else f"The other {count} sessions stay"


def revoked_all(subject: User | None, sessions: list[Session], now_ms: int) -> Reply:
    """Confirmation that every session was signed out."""
    bullets, more = _bullets(sessions, now_ms)
    tail = more + ([TOKEN_NOTE] if any(s.is_token for s in sessions) else [])
    return Reply(_fit([f"✅ Signed {_mention(subject)} out of {_count(sessions)}:"] + bullets, tail))


def revoked_selection(subject: User | None, selection: Selection, revocation: Revocation, now_ms: int) -> Reply:
    """What a filtered ``revoke-all`` did, and nothing more: the sessions it signed out, those already gone,
    and, when it stopped at a failure, where, why, and which sessions it did not try."""
    revoked = list(revocation.done)
    bullets, more = _bullets(revoked, now_ms)
    if revoked:
        head = [f"✅ Signed {_mention(subject)} out of {_count(revoked)} ({describe_filter(selection.filter)}):", *bullets]
    else:
        head = [] if revocation.stopped_at else ["Nothing left to sign out."]
    tail = list(more)
    if revocation.gone:
        tail.append(f"Already signed out meanwhile: {_count(list(revocation.gone))}.")
    if any(s.is_token for s in revoked):
        tail.append(TOKEN_NOTE)
    if revocation.stopped_at is not None:
        tail += ([""] if head or tail else []) + _stopped(subject, *revocation.stopped_at, list(revocation.untried), now_ms)
    return Reply(_fit(head, tail))


def _stopped(subject: User | None, session: Session, error: BotError, untried: list[Session], now_ms: int) -> list[str]:
    lines = [f"⚠️ Stopped at {_summary_line(session, now_ms)}, which may still be signed in. {_mattermost_trouble(error)}"]
    if untried:
        bullets, more = _bullets(untried, now_ms)
        lines += [f"Not tried, so still signed in ({_count(untried)}):", *bullets, *more]
    lines.append(
        f"See what is still signed in with {_command('list', subject)}. Running the same command again "
        "signs out only what still matches."
    )
    return lines


CANCELLED = Reply("Cancelled: nothing was signed out.")


def _count(sessions: list[Session]) -> str:
    return f"{len(sessions)} session{'' if len(sessions) == 1 else 's'}"


# --- stale sessions across the team ---------------------------------------------------------------

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
        lines += _named_lines([
            f"- {_mention(entry.user)}: {len(entry.stale)} of {_sessions_of(entry.total)}, the oldest last used "
            f"{_ago(entry.stale[-1].last_activity_ms, now_ms)}" for entry in report.users])
    tail = []
    if report.not_allowed:
        tail.append(f"{_users(report.not_allowed)} not checked: their sessions need **manage_system**.")
    if report.more_members:
        tail.append(f"The team has more members than the {report.checked + report.not_allowed} read (the first "
                    "by username); name users or a channel to look further.")
    if report.users:
        names = [f"@{entry.user.username}" for entry in report.users[:MAX_SUGGESTED]]
        suggestion = " ".join(["/sessions revoke-all", *names, wanted.options()])
        more = f" (the first {MAX_SUGGESTED})" if len(report.users) > MAX_SUGGESTED else ""
        tail.append(f"To sign out just these sessions{more}: {code(suggestion, 800)}")
    return Reply(_fit(lines, [""] + tail if tail else []))


# --- bulk sign-outs ------------------------------------------------------------------------------

#: Users listed by name in a bulk preview or result; the rest are counted.
MAX_NAMED = 20


def _users(count: int) -> str:
    return f"{count} user{'' if count == 1 else 's'}"


def _sessions_of(count: int) -> str:
    return f"{count} session{'' if count == 1 else 's'}"


def _named_lines(lines: list[str]) -> list[str]:
    """At most :data:`MAX_NAMED` lines, then how many more there are."""
    return lines[:MAX_NAMED] + ([f"- …and {len(lines) - MAX_NAMED} more"] if len(lines) > MAX_NAMED else [])


def _skip_reason(error: BotError) -> str:
    """Why a target was left out of a bulk sign-out, in a few words."""
    match error:
        case Refused(reason=Refusal.NEEDS_EDIT_OTHER_USERS):
            return "needs edit_other_users"
        case Refused(reason=Refusal.TARGET_IS_SYSTEM_ADMIN):
            return "system admin: needs manage_system"
        case Refused(reason=Refusal.TARGET_IS_THIS_BOT):
            return "this bot's own account"
        case Refused(reason=Refusal.TARGET_IS_CALLER):
            return "that's you: use `/sessions revoke-all --yes`"
        case Refused(reason=Refusal.TARGET_IS_BOT):
            return "bot account: its tokens need manage_others_bots"
        case UserNotFound():
            return "no such user"
        case TargetDeactivated():
            return "deactivated: no sessions"
        case ChannelNotFound():
            return "no such channel that you can see in this team"
        case TooManyMembers(limit=limit):
            return f"more than {limit} members: name smaller channels or users"
    return _mattermost_trouble(error)


def _skipped_lines(skipped: Sequence[Skip]) -> list[str]:
    if not skipped:
        return []
    lines = [f"- {code(skip.name, 80)}: {_skip_reason(skip.error)}" for skip in skipped]
    return [f"**Skipped {len(skipped)}:**", *_named_lines(lines)]


def _bulk_command(command: RevokeMany) -> str:
    names = [ref.text for ref in command.users] + [ref.text for ref in command.channels]
    flags = _options(command.filter, *(["--tokens"] if command.tokens else []), "--yes")
    return code(" ".join(["/sessions revoke-all", *names, flags]), 400)


def _and_tokens(count: int) -> str:
    return f" and disable {_token_count(count)}" if count else ""


def bulk_preview(command: RevokeMany, plan: BulkPlan, tokens: Mapping[str, Sequence[AccessToken]] | None = None,
                 *, buttons: bool = False) -> Reply:
    """What a bulk ``revoke-all`` would do: how many users and sessions (and, with ``--tokens``, the active
    ``tokens`` by user id), who, who is skipped and why, and how to confirm. Confirmed with nothing to do, it
    says so."""
    only = "" if plan.filter.is_empty else f" ({describe_filter(plan.filter)})"
    if not plan.targets:
        lines = [f"Nothing to sign out{only}."] + _skipped_lines(plan.skipped)
        return Reply("\n".join(lines))
    tokens = tokens or {}
    disabling = sum(len(found) for found in tokens.values())
    head = (f"**This will sign {_users(len(plan.targets))} out of {_sessions_of(plan.sessions)}"
            f"{_and_tokens(disabling)}**{only}:")
    targets = [f"- {_mention(t.user)}: {_sessions_of(len(t.sessions))}"
               + (f", {_token_count(len(tokens[t.user.id]))}" if tokens.get(t.user.id) else "") for t in plan.targets]
    tail = [""] + _skipped_lines(plan.skipped)
    if plan.untouched:
        tail.append(f"{_users(plan.untouched)} with nothing {'the filter selects' if only else 'to sign out'} "
                    "will not be touched.")
    confirmation = RevokeMany(command.users, command.channels, True, command.filter, tokens=command.tokens)
    tail.append(f"Confirm below, or run {_bulk_command(command)}." if buttons else
                f"To go ahead, run {_bulk_command(command)}.")
    confirm = Button(f"Sign out {_users(len(plan.targets))}", confirmation, "danger")
    attachments = (Attachment(buttons=(confirm, Button("Cancel", Cancel()))),) if buttons else ()
    return Reply(_fit([head, *_named_lines(targets)], tail), attachments)


def bulk_progress(progress: Progress) -> str:
    """How far a long bulk sign-out has come."""
    failed = f", {progress.failed} failed so far" if progress.failed else ""
    return f"⏳ Signing out: {progress.done} of {_users(progress.total)} done{failed}…"


def bulk_done(plan: BulkPlan, results: Sequence[TargetResult], disabled: Mapping[str, Disabling] | None = None
              ) -> Reply:
    """What a bulk sign-out did, and nothing more: who was signed out of how many sessions, who was skipped,
    and whose sign-out failed (with why: those may still be signed in). ``disabled`` (by user id; None without
    ``--tokens``) says whose tokens were disabled, and whose could not all be."""
    done = [r for r in results if r.error is None]
    failed = [r for r in results if r.error is not None]
    only = "" if plan.filter.is_empty else f" ({describe_filter(plan.filter)})"
    sessions = sum(len(r.revoked) for r in done)
    tokens = sum(len(d.done) for d in (disabled or {}).values())
    lines = [f"✅ Signed {_users(len(done))} out of {_sessions_of(sessions)}{only}"
             + (f" and disabled {_token_count(tokens)}." if tokens else ".")] if done else []
    if failed:
        lines += [f"**⚠️ Failed for {_users(len(failed))}** (they may still be signed in; running the same "
                  "command again retries only what is left):"]
        lines += _named_lines([f"- {_mention(r.user)}: {_skip_reason(r.error)}"
                               + (f" (after {_sessions_of(len(r.revoked))})" if r.revoked else "")
                               for r in failed if r.error is not None])
    stuck = [(r.user, d) for r in done if (d := (disabled or {}).get(r.user.id)) and d.stopped_at is not None]
    if stuck:
        lines += [f"**⚠️ Tokens not all disabled for {_users(len(stuck))}** (signed out, but those tokens may still "
                  "work; running the same command again disables only what is still active):"]
        lines += _named_lines([f"- {_mention(user)}: {_skip_reason(d.stopped_at[1])}, "
                               f"{_token_count(1 + len(d.untried))} may still work"
                               for user, d in stuck if d.stopped_at is not None])
    gone = [s for r in results for s in r.gone]
    if gone:
        lines.append(f"Already signed out meanwhile, so not by this command: {_count(gone)}.")
    lines += _skipped_lines(plan.skipped)
    if disabled is None and any(s.is_token for r in done for s in r.revoked):
        lines.append(TOKEN_NOTE)
    return Reply("\n".join(lines))


# --- personal access tokens ----------------------------------------------------------------------

RE_ENABLE_NOTE = (
    "A disabled token can be enabled again: Profile → Security → Personal Access Tokens, or System Console → "
    "User Management → Users → Manage Tokens for admins."
)
LAST_USED_NOTE = (
    "\"Last used\" is the last activity of the session the token's use opened; \"unknown\" means it has none now "
    "(not used since it was made, enabled or signed out). Mattermost does not record when a token was made."
)


def _token_count(count: int, *, active: bool = False) -> str:
    """"1 personal access token", "2 active personal access tokens"."""
    return f"{count} {'active ' if active else ''}personal access token{'' if count == 1 else 's'}"


def _whose_tokens(subject: User | None, count: int, *, active: bool = True) -> str:
    """"your 2 active personal access tokens", "@alice's 1 personal access token"."""
    whose = "your" if subject is None else f"{_at(subject.username)}'s"
    return f"{whose} {_token_count(count, active=active)}"


def _token_line(token: AccessToken, last_used: str | None, state: bool) -> str:
    shown = ("✅ active, " if token.is_active else "⏸️ disabled, ") if state else ""
    used = "" if last_used is None else f"last used {last_used}, "
    return f"- 🔑 {code(token.description, 60)}: {shown}{used}ID `{token.id}`"


def _token_lines(tokens: Sequence[AccessToken], last_used: Mapping[str, str] | None = None, *,
                 state: bool = False) -> list[str]:
    """A line per token (the description, its state if ``state``, when last used if known, the ID), at most
    :data:`MAX_LISTED`. The description is the owner's text, shown as inline code."""
    lines = [_token_line(t, None if last_used is None else last_used[t.id], state) for t in tokens[:MAX_LISTED]]
    return lines + ([f"- …and {len(tokens) - MAX_LISTED} more"] if len(tokens) > MAX_LISTED else [])


def token_list(subject: User | None, tokens: Sequence[AccessToken], used: Mapping[str, int] | None,
               now_ms: int) -> Reply:
    """``tokens``: a user's personal access tokens, active ones first: description, active or disabled, when
    last used (``used`` by token id; None when the caller may not see the owner's sessions), and the ID.
    Never a token's value: the bot never has it."""
    if not tokens:
        return Reply(f"{_has(subject, capital=True)} no personal access tokens.")
    ordered = sorted(tokens, key=lambda t: not t.is_active)
    shown = None if used is None else {t.id: _ago(used[t.id], now_ms) if t.id in used else "unknown" for t in tokens}
    lines = [f"#### {_whose(subject)} personal access tokens ({len(tokens)})", *_token_lines(ordered, shown, state=True),
             ""]
    if used is None:
        lines.append(f"When they were last used is not shown: that comes from {_mention(subject)}'s sessions, "
                     "which you may not see.")
    else:
        lines.append(LAST_USED_NOTE)
    if subject is not None and subject.deactivated:
        lines.append(f"{_at(subject.username)} is deactivated: Mattermost refuses these tokens until the account is "
                     "reactivated.")
    live = sum(t.is_active for t in tokens)
    if live:
        lines.append(f"Disable the active ones with {_command('disable-tokens', subject)}; "
                     f"sign out everywhere and disable them with {_command('revoke-all', subject, flag='--tokens')}.")
    return Reply("\n".join(lines))


def disable_tokens_preview(subject: User | None, tokens: Sequence[AccessToken], *, buttons: bool = False) -> Reply:
    """What ``disable-tokens`` would do (the active tokens), and how to confirm (``--yes``, or a button)."""
    if not tokens:
        return Reply(f"{_has(subject, capital=True)} no active personal access tokens: nothing to disable.")
    head = f"**This will disable {_whose_tokens(subject, len(tokens))}:**"
    command = _command("disable-tokens", subject, flag="--yes")
    tail = ["", "Each one stops working at once, and its session ends. " + RE_ENABLE_NOTE,
            f"Confirm below, or run {command}." if buttons else f"To go ahead, run {command}."]
    confirm = Button(f"Disable {_token_count(len(tokens))}", DisableTokens(_target(subject), confirmed=True), "danger")
    attachments = (Attachment(buttons=(confirm, Button("Cancel", Cancel()))),) if buttons else ()
    return Reply(_fit([head, *_token_lines(tokens)], tail), attachments)


def _disabling_lines(subject: User | None, disabling: Disabling) -> list[str]:
    """What disabling tokens did: those disabled, those deleted meanwhile, and where it stopped, if it did."""
    lines: list[str] = []
    if disabling.done:
        lines += [f"🔑 Disabled {_whose_tokens(subject, len(disabling.done), active=False)}:",
                  *_token_lines(disabling.done)]
    if disabling.gone:
        lines.append(f"Already deleted meanwhile: {_token_count(len(disabling.gone))}.")
    if disabling.stopped_at is not None:
        token, error = disabling.stopped_at
        lines.append(f"⚠️ Stopped at {code(token.description, 60)}, which may still work. {_mattermost_trouble(error)}")
        if disabling.untried:
            lines += [f"Not tried, so still active ({_token_count(len(disabling.untried))}):",
                      *_token_lines(disabling.untried)]
        lines.append(f"See what still works with {_command('tokens', subject)}; running the same command again "
                     "disables only what is still active.")
    return lines


def tokens_disabled(subject: User | None, disabling: Disabling) -> Reply:
    """What ``disable-tokens`` did, and nothing more."""
    lines = _disabling_lines(subject, disabling)
    if not disabling.done and disabling.stopped_at is None:
        lines.insert(0, "Nothing left to disable.")
    return Reply(_fit(lines, ["", RE_ENABLE_NOTE] if disabling.done else []))


def _everything(subject: User | None, sessions: int, tokens: int) -> str:
    """"sign @alice out of 3 sessions and disable 2 active personal access tokens"."""
    if not sessions:
        return f"disable {_whose_tokens(subject, tokens)}"
    signing_out = f"sign {_mention(subject)} out of {_sessions_of(sessions)}"
    return signing_out + (f" and disable {_token_count(tokens, active=True)}" if tokens else "")


def everything_preview(subject: User | None, sessions: list[Session], tokens: Sequence[AccessToken], now_ms: int,
                       *, buttons: bool = False) -> Reply:
    """What ``revoke-all --tokens`` would do: every session and every active token, and how to confirm."""
    if not sessions and not tokens:
        return Reply(f"{_has(subject, capital=True)} no active sessions and no active personal access tokens: "
                     "nothing to sign out.")
    bullets, more = _bullets(sessions, now_ms)
    lines = [f"**This will {_everything(subject, len(sessions), len(tokens))}:**"]
    lines += (["Sessions:", *bullets, *more] if sessions else []) + (["Tokens:", *_token_lines(tokens)] if tokens else [])
    command = _command("revoke-all", subject, flag="--tokens --yes")
    tail = [""] + ([SELF_REVOKE_NOTE] if subject is None and sessions else []) + [
        "Each token stops working at once. " + RE_ENABLE_NOTE,
        f"Confirm below, or run {command}." if buttons else f"To go ahead, run {command}."]
    confirm = Button("Sign out and disable tokens", RevokeAll(_target(subject), confirmed=True, tokens=True), "danger")
    attachments = (Attachment(buttons=(confirm, Button("Cancel", Cancel()))),) if buttons else ()
    return Reply(_fit(lines, tail), attachments)


def everything_signed_out(subject: User | None, sessions: list[Session], disabling: Disabling, now_ms: int) -> Reply:
    """What ``revoke-all --tokens`` did: the sessions signed out, then the tokens disabled (or where it stopped)."""
    if sessions:
        bullets, more = _bullets(sessions, now_ms)
        head = [f"✅ Signed {_mention(subject)} out of {_count(sessions)}:", *bullets, *more]
    else:
        head = [f"✅ {_has(subject, capital=True)} no sessions left."]
    tail = _disabling_lines(subject, disabling)
    if not disabling.done and disabling.stopped_at is None:
        tail.append("No active personal access tokens were left to disable.")
    return Reply(_fit(head, [""] + tail + ([RE_ENABLE_NOTE] if disabling.done else [])))


# --- everyone ------------------------------------------------------------------------------------

def everyone_preview(code_text: str, window_s: int) -> Reply:
    """What ``revoke-all --everyone`` would do, and the code to type back to do it (never a button)."""
    return Reply("\n".join([
        "**⚠️ This signs every user out of every session**: web, desktop and mobile, on every account, yours "
        "included (you will have to sign in again here too). It also removes all OAuth access data, so OAuth "
        "apps must be authorized again. Nobody gets a direct message about it.",
        "🔑 Personal access tokens and bot tokens are not touched: they keep working, and each one's next use "
        "opens a new session. To cut a token off, disable it: `/sessions disable-tokens @user`.",
        "",
        f"To go ahead, type `/sessions revoke-all --everyone --confirm {code_text}`",
        f"The code works only for you, for the next {window_s // 60} minutes or so. No button can do this.",
    ]))


def everyone_signed_out() -> Reply:
    """What ``revoke-all --everyone`` did, and what it did not: tokens."""
    return Reply("\n".join([
        "✅ Signed every user out of every session, yours included: you will have to sign in again. OAuth apps "
        "lost their access and must be authorized again.",
        TOKEN_LEFT_ALONE_NOTE,
    ]))


# --- everything that ends a command early, in one place -----------------------------------------

_NOTHING_CHANGED = "Nothing was changed."
_CHECK_FIRST = "If you were signing something out, run `/sessions list` to see whether it went through before trying again."


def _refusal(error: Refused) -> str:
    target = _at(error.target.username) if error.target else (_ref(error.ref) if error.ref else "that user")
    match error.reason:
        case Refusal.NEEDS_EDIT_OTHER_USERS:
            return (
                f"🚫 You can only manage your own sessions: managing another user's sessions ({target}) needs "
                f"Mattermost's **edit_other_users** permission, which your account doesn't have. {_NOTHING_CHANGED}"
            )
        case Refusal.TARGET_IS_SYSTEM_ADMIN:
            return (
                f"🚫 {target} is a system admin. Managing a system admin's sessions needs Mattermost's "
                f"**manage_system** permission, which your account doesn't have. {_NOTHING_CHANGED}"
            )
        case Refusal.TARGET_IS_THIS_BOT:
            return f"🚫 {target} is this bot's own account, and the bot never signs itself out. {_NOTHING_CHANGED}"
        case Refusal.TARGET_IS_CALLER:
            return f"🚫 Sign yourself out with `/sessions revoke-all --yes`, not in a bulk sign-out. {_NOTHING_CHANGED}"
        case Refusal.NEEDS_READ_USER_ACCESS_TOKEN:
            return (
                "🚫 Listing personal access tokens needs Mattermost's **read_user_access_token** permission, even "
                f"for your own, and your account doesn't have it. {_NOTHING_CHANGED}"
            )
        case Refusal.NEEDS_REVOKE_USER_ACCESS_TOKEN:
            return (
                "🚫 Disabling personal access tokens (`disable-tokens`, `revoke-all --tokens`) needs Mattermost's "
                f"**revoke_user_access_token** permission, which your account doesn't have. {_NOTHING_CHANGED} "
                "Without `--tokens`, `revoke-all` signs out sessions only, and the tokens keep working."
            )
        case Refusal.TARGET_IS_BOT:
            return (
                f"🚫 {target} is a bot account. Managing a bot's personal access tokens needs Mattermost's "
                f"**manage_others_bots** permission, which your account doesn't have. {_NOTHING_CHANGED}"
            )
        case Refusal.NEEDS_MANAGE_SYSTEM:
            return (
                "🚫 Signing every user out needs Mattermost's **manage_system** permission (system admins), which "
                f"your account doesn't have. {_NOTHING_CHANGED}"
            )
        case Refusal.WRONG_CONFIRMATION_CODE:
            return (
                "🚫 That confirmation code is wrong or has expired, so nobody was signed out. Run "
                "`/sessions revoke-all --everyone` for a fresh code."
            )


def error_message(error: BotError) -> str:
    """The text shown to the user for any ``BotError``."""
    match error:
        case Refused():
            return _refusal(error)
        case UserNotFound(ref=ref):
            how = {"email": "with the email address", "id": "with the ID or username"}.get(ref.kind, "named")
            return f"I couldn't find a user {how} {_ref(ref)}. {_NOTHING_CHANGED}"
        case TargetDeactivated(target=target):
            return (
                f"{_at(target.username)} is deactivated. Deactivated accounts have no sessions: Mattermost signed "
                f"them out everywhere when the account was deactivated. {_NOTHING_CHANGED}"
            )
        case SessionNotFound(prefix=prefix, target=target):
            return (
                f"No session of {'yours' if target is None else _at(target.username)} has an ID starting with "
                f"{code(prefix)}. See the IDs with {_command('list', target)}. {_NOTHING_CHANGED}"
            )
        case AmbiguousSession(prefix=prefix, matches=matches):
            lines = [f"{code(prefix)} matches {len(matches)} sessions, so nothing was signed out:"]
            lines += [f"- `{s.id}`: {describe(s)}" for s in by_recent_activity(matches)[:MAX_LISTED]]
            lines.append("Type more characters of the ID to pick one.")
            return "\n".join(lines)
        case SessionAlreadyGone(session=session):
            return f"That session ({describe(session)}) was already signed out."
        case TokenAlreadyGone(token=token):
            return f"That personal access token ({inert(token.description) or 'no description'}) was already deleted."
        case BotTokenRejected() | BotLacksPermission():
            return f"⚠️ {_mattermost_trouble(error)} {_NOTHING_CHANGED}"
        case MattermostUnreachable() | UpstreamRejected() | UpstreamMalformed():
            return f"⚠️ {_mattermost_trouble(error)} {_CHECK_FIRST}"
        case ForgedButton():
            return f"🚫 This button was not made by the sessions bot, or was altered, so it does nothing. {_NOTHING_CHANGED}"
        case ExpiredButton(max_age_s=max_age_s):
            return (
                f"⌛ This button has expired: buttons work for {max_age_s // 60} minutes. "
                f"Run `/sessions` again for fresh ones. {_NOTHING_CHANGED}"
            )
        case ForeignButton():
            return f"🚫 This button was made for someone else, so it does nothing for you. {_NOTHING_CHANGED}"
        case ChannelNotFound() | TooManyMembers():
            return f"🚫 {_ref_channel(error.ref)}: {_skip_reason(error)}. {_NOTHING_CHANGED}"
    return f"⚠️ Something went wrong in the sessions bot. {_CHECK_FIRST}"


def _ref_channel(ref: ChannelRef) -> str:
    return inert(ref.text, 80)


def _mattermost_trouble(error: BotError) -> str:
    """What went wrong between the bot and Mattermost, without saying what it left changed or unchanged."""
    match error:
        case MattermostUnreachable(detail=detail):
            return f"The sessions bot couldn't reach Mattermost: {inert(detail, 200)}."
        case BotTokenRejected():
            return (
                "Mattermost rejected the sessions bot's access token (it may have been revoked, or the bot "
                "account deactivated). Please tell your Mattermost admin."
            )
        case BotLacksPermission(doing="revoke_everyone"):
            return ("Mattermost refused to let the sessions bot sign everyone out: the bot account lacks "
                    "manage_system. Please tell your Mattermost admin.")
        case BotLacksPermission(target=target, doing=doing):
            whose = "your" if target is None and doing else "this user's" if target is None else f"{_at(target.username)}'s"
            what, needs = {
                "read_tokens": ("read", "read_user_access_token, and manage_others_bots for bots"),
                "disable_tokens": ("disable", "revoke_user_access_token, and manage_others_bots for bots"),
            }.get(doing, ("", ""))
            if what:
                return (f"Mattermost refused to let the sessions bot {what} {whose} personal access tokens: the bot "
                        f"account lacks permission (it needs {needs}). Please tell your Mattermost admin.")
            return (
                f"Mattermost refused to let the sessions bot manage {whose} sessions: the bot account lacks "
                "permission (it needs edit_other_users, and manage_system for system admins). Please tell your "
                "Mattermost admin."
            )
        case UpstreamRejected(status=status, error_id=error_id):
            detail = f"HTTP {status}" + (f", {code(error_id, 80)}" if error_id else "")
            return f"Mattermost answered with an unexpected error ({detail})."
        case UpstreamMalformed(detail=detail):
            return f"Mattermost's answer was not what the sessions bot expected ({inert(detail, 200)})."
    return "Something went wrong in the sessions bot."


def slow_down(retry_after_s: int, limit: str) -> str:
    """What a user over the rate limit is told (nothing was signed out)."""
    unit = "second" if retry_after_s == 1 else "seconds"
    return (f"⏳ Slow down: you can sign sessions out at most {limit}. Nothing was signed out. "
            f"Try again in {retry_after_s} {unit}.")


def internal_error(reference: str) -> str:
    """The reply when the bot itself failed unexpectedly; ``reference`` finds the log line."""
    return f"⚠️ Something went wrong in the sessions bot (reference {code(reference)}). {_CHECK_FIRST}"


# --- accountability ------------------------------------------------------------------------------

def target_notice(notice: Notice, now_ms: int) -> str:
    """The direct message a user gets when someone else signed them out or disabled their tokens."""
    when = _when(notice.at_ms).strftime("%Y-%m-%d at %H:%M UTC")
    actor = _at(notice.actor_username)
    if not notice.sessions:
        lines = [f"🔐 {actor} disabled {_whose_tokens(None, len(notice.tokens), active=False)} on {when}:",
                 *_token_lines(notice.tokens), ""]
        lines.append("They no longer work. If you did not expect this, tell your Mattermost admin right away. "
                     + RE_ENABLE_NOTE)
        return "\n".join(lines)
    what = f"all {_count(list(notice.sessions))}" if notice.everywhere else _count(list(notice.sessions))
    bullets, more = _bullets(list(notice.sessions), now_ms)
    lines = [f"🔐 {actor} signed you out of {what} on {when}:", *bullets, *more, ""]
    if notice.tokens:
        lines += [f"{actor} also disabled {_whose_tokens(None, len(notice.tokens), active=False)}, so they no "
                  "longer work:", *_token_lines(notice.tokens), ""]
    lines.append(
        "You will need to sign in again on those devices. If you did not expect this, tell your Mattermost "
        "admin right away and change your password."
    )
    if notice.tokens:
        lines.append(RE_ENABLE_NOTE)
    elif any(s.is_token for s in notice.sessions):
        lines.append(TOKEN_NOTE)
    return "\n".join(lines)


def audit_line(event: AuditEvent) -> str:
    """The short human-readable line posted to the audit channel."""
    name = event.target_username
    if name == EVERYONE:
        target = "everyone"
    else:
        target = inert(name, 300) if name.startswith(("@", "~")) else _at(name) if name else "(nobody)"
    sessions = f", {len(event.session_ids)} session(s)" if event.session_ids else ""
    sessions += f", {len(event.token_ids)} token(s) disabled" if event.token_ids else ""
    reason = f" ({inert(event.reason, 80)})" if event.reason else ""
    only = "" if event.filter.is_empty else f" · only {describe_filter(event.filter)}"
    return (
        f"🔐 {_at(event.actor_username)} · {event.action} · {target} · "
        f"**{event.result}**{reason}{sessions}{only} · via {event.via}"
    )
