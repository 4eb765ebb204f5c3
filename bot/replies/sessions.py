"""Replies about one user's sessions (pure): the list (a table, or cards with buttons), a session signed out, the
preview and result of `revoke-all`, filtered or not.
"""
from __future__ import annotations

from bot.core.commands import Cancel, RevokeAll, RevokeSession, UserRef
from bot.core.errors import (
    BotError,
)
from bot.core.filters import Selection, SessionFilter
from bot.core.model import Session, User, by_recent_activity, shown_ids
from bot.core.results import Revocation
from bot.replies.errors import mattermost_trouble
from bot.replies.filters import describe_filter
from bot.replies.markdown import inert
from bot.replies.values import Attachment, Button, Reply
from bot.replies.words import (
    MARKERS,
    MAX_LISTED,
    TOKEN_NOTE,
    ago,
    at_name,
    button_target,
    command_code,
    describe,
    expiry,
    fit,
    mention,
    more_lines,
    n_sessions,
    options_text,
    possessive,
    session_bullets,
    signed_in,
    subject_has,
    summary_line,
)

#: How many sessions get a card with a button (attachments are much taller than table rows).
MAX_CARDS = 20


SELF_REVOKE_NOTE = "This includes the session you are typing in: you will have to sign in again here too."


SELF_MAYBE_NOTE = "If you are typing in one of these sessions, you will have to sign in again here too."


def _nothing_here(subject: User | None, suffix: str = ".") -> str:
    return f"{subject_has(subject, capital=True)} no active sessions{suffix}"


def _no_match(subject: User | None, selection: Selection, lead: str) -> str:
    """Nothing matches the filter: say so after ``lead``, and where to see every session."""
    text = f"{lead}: {subject_has(subject)} no {describe_filter(selection.filter)}."
    return text + (f" See every session with {command_code('list', subject)}." if selection.total else "")


def _list_tail(subject: User | None, sessions: list[Session], hidden: int, buttons: bool, wanted: SessionFilter) -> list[str]:
    how = "with the buttons below, or type " if buttons else "with "
    everything = command_code("revoke-all", subject, flag=wanted.options())
    tail = more_lines(hidden) + [
        "",
        f"Sign one out {how}{command_code('revoke', subject, '<ID>')}; all of them with {everything}.",
    ]
    return tail + ([TOKEN_NOTE] if any(s.is_token for s in sessions) else [])


def _table(subject: User | None, sessions: list[Session], now_ms: int) -> list[str]:
    ids = shown_ids(sessions)
    rows = [
        "| {marker} | {platform} | {os} | {browser} | {signed} | {active} | {expires} | `{id}` |".format(
            marker=MARKERS[s.kind],
            platform=inert(s.platform) or "–",
            os=inert(s.os) or "–",
            browser=inert(s.browser) or "–",
            signed=signed_in(s),
            active=ago(s.last_activity_ms, now_ms),
            expires=expiry(s, now_ms),
            id=ids[s.id],
        )
        for s in by_recent_activity(sessions)[:MAX_LISTED]
    ]
    return [
        "",  # a table must start a block: marked (web, desktop) folds one right under a line of text into it
        "| Device | Platform | OS | Browser | Signed in (UTC) | Last active | Expires | ID |",
        "|:--|:--|:--|:--|:--|:--|:--|:--|",
        *rows,
    ]


def _card_title(session: Session) -> str:
    name = describe(session)
    return f"{MARKERS[session.kind].split(' ')[0]} {name[:1].upper()}{name[1:]}"


def _card(session: Session, shown_id: str, now_ms: int, target: UserRef | None) -> Attachment:
    return Attachment(
        title=_card_title(session),
        text=" · ".join(part for part in (inert(session.platform), inert(session.os), inert(session.browser)) if part),
        fields=(
            ("Signed in (UTC)", signed_in(session)),
            ("Last active", ago(session.last_activity_ms, now_ms)),
            ("Expires", expiry(session, now_ms)),
            ("ID", f"`{shown_id}`"),
        ),
        buttons=(Button("Sign out", RevokeSession(session.id, target)),),
    )


def _cards(subject: User | None, sessions: list[Session], now_ms: int, signed_out: Session | None,
           wanted: SessionFilter) -> tuple[Attachment, ...]:
    target = button_target(subject)
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
    return _listing(subject, sessions, now_ms, buttons, [*lead, f"#### {possessive(subject)} sessions ({len(sessions)})"],
                    SessionFilter(), signed_out)


def filtered_list(subject: User | None, selection: Selection, now_ms: int, *, buttons: bool = False) -> Reply:
    """The ``list`` reply with a filter: which filter, then only the sessions it selects (or that none match)."""
    if not selection.chosen:
        return Reply(_no_match(subject, selection, "No sessions match"))
    chosen = list(selection.chosen)
    header = [f"#### {possessive(subject)} sessions ({len(chosen)} of {selection.total})",
              f"Showing only {describe_filter(selection.filter)}."]
    return _listing(subject, chosen, now_ms, buttons, header, selection.filter)


def _listing(subject: User | None, sessions: list[Session], now_ms: int, buttons: bool, header: list[str],
             wanted: SessionFilter, signed_out: Session | None = None) -> Reply:
    """``header``, then ``sessions`` as a table, or as cards with buttons, and how to sign them out."""
    limit = MAX_CARDS if buttons else MAX_LISTED
    tail = _list_tail(subject, sessions, len(sessions) - limit, buttons, wanted)
    if buttons:
        return Reply(fit(header, tail), _cards(subject, sessions, now_ms, signed_out, wanted))
    return Reply(fit(header + _table(subject, sessions, now_ms), tail))


def revoked_one(subject: User | None, session: Session, remaining: list[Session], now_ms: int, *, buttons: bool = False) -> Reply:
    """Confirmation that one session was signed out; with buttons, followed by the sessions that remain."""
    who = "" if subject is None else f"{at_name(subject.username)} "
    lines = [f"✅ Signed {who}out of {summary_line(session, now_ms)}."]
    if session.is_token:
        lines.append(TOKEN_NOTE)
    if not buttons:
        return Reply("\n".join(lines))
    return session_list(subject, remaining, now_ms, buttons=True, banner="\n".join(lines), signed_out=session)


def revoke_all_preview(subject: User | None, sessions: list[Session], now_ms: int, *, buttons: bool = False) -> Reply:
    """What ``revoke-all`` would do, and how to confirm it (typing ``--yes``, or a button)."""
    if not sessions:
        return Reply(_nothing_here(subject, ": nothing to sign out."))
    head = f"**This will sign {mention(subject)} out of {n_sessions(sessions)}:**"
    notes = [SELF_REVOKE_NOTE] if subject is None else []
    return _preview(subject, sessions, now_ms, head, notes, SessionFilter(), buttons)


def filtered_preview(subject: User | None, selection: Selection, now_ms: int, *, buttons: bool = False) -> Reply:
    """What a filtered ``revoke-all`` would do: exactly the sessions its filter selects now, and how to confirm."""
    if not selection.chosen:
        return Reply(_no_match(subject, selection, "Nothing to sign out"))
    chosen = list(selection.chosen)
    head = f"**This will sign {mention(subject)} out of {n_sessions(chosen)}** ({describe_filter(selection.filter)}):"
    notes = [f"{_others(selection.left_out)} signed in."] if selection.left_out else []
    notes += [SELF_MAYBE_NOTE] if subject is None else []
    return _preview(subject, chosen, now_ms, head, notes, selection.filter, buttons)


def _preview(subject: User | None, sessions: list[Session], now_ms: int, head: str, notes: list[str],
             wanted: SessionFilter, buttons: bool) -> Reply:
    """``head``, the sessions that would be signed out, ``notes``, and how to confirm (``--yes`` or a button)."""
    bullets, more = session_bullets(sessions, now_ms)
    tail = more + [""] + notes
    if any(s.is_token for s in sessions):
        tail.append(TOKEN_NOTE)
    command = command_code("revoke-all", subject, flag=options_text(wanted, "--yes"))
    tail.append(f"Confirm below, or run {command}." if buttons else f"To go ahead, run {command}.")
    label = "Sign out everywhere" if wanted.is_empty else "Sign out these sessions"
    confirm = Button(label, RevokeAll(button_target(subject), confirmed=True, filter=wanted), "danger")
    attachments = (Attachment(buttons=(confirm, Button("Cancel", Cancel()))),) if buttons else ()
    return Reply(fit([head] + bullets, tail), attachments)


def _others(count: int) -> str:
    return "The other session stays" if count == 1 else f"The other {count} sessions stay"


def revoked_all(subject: User | None, sessions: list[Session], now_ms: int) -> Reply:
    """Confirmation that every session was signed out."""
    bullets, more = session_bullets(sessions, now_ms)
    tail = more + ([TOKEN_NOTE] if any(s.is_token for s in sessions) else [])
    return Reply(fit([f"✅ Signed {mention(subject)} out of {n_sessions(sessions)}:"] + bullets, tail))


def revoked_selection(subject: User | None, selection: Selection, revocation: Revocation, now_ms: int) -> Reply:
    """What a filtered ``revoke-all`` did, and nothing more: the sessions it signed out, those already gone,
    and, when it stopped at a failure, where, why, and which sessions it did not try."""
    revoked = list(revocation.done)
    bullets, more = session_bullets(revoked, now_ms)
    if revoked:
        head = [f"✅ Signed {mention(subject)} out of {n_sessions(revoked)} ({describe_filter(selection.filter)}):", *bullets]
    else:
        head = [] if revocation.stopped_at else ["Nothing left to sign out."]
    tail = list(more)
    if revocation.gone:
        tail.append(f"Already signed out meanwhile: {n_sessions(list(revocation.gone))}.")
    if any(s.is_token for s in revoked):
        tail.append(TOKEN_NOTE)
    if revocation.stopped_at is not None:
        tail += ([""] if head or tail else []) + _stopped(subject, *revocation.stopped_at, list(revocation.untried), now_ms)
    return Reply(fit(head, tail))


def _stopped(subject: User | None, session: Session, error: BotError, untried: list[Session], now_ms: int) -> list[str]:
    lines = [f"⚠️ Stopped at {summary_line(session, now_ms)}, which may still be signed in. {mattermost_trouble(error)}"]
    if untried:
        bullets, more = session_bullets(untried, now_ms)
        lines += [f"Not tried, so still signed in ({n_sessions(untried)}):", *bullets, *more]
    lines.append(
        f"See what is still signed in with {command_code('list', subject)}. Running the same command again "
        "signs out only what still matches."
    )
    return lines


CANCELLED = Reply("Cancelled: nothing was signed out.")
