"""Property-based tests (hypothesis): the parser is total, hostile outside text never breaks a reply, and a
signed button cannot be altered.

Outside text is everything the bot did not write itself: device names and user agents (session props), usernames,
token descriptions, typed text, error details. "Hostile" text below mixes arbitrary Unicode with the pieces that
would do harm in a Mattermost post: table pipes, Markdown links and images, raw HTML, backticks, ``@channel``-style
mentions, line breaks (``\\n``, ``\\r``, U+2028, NEL), zero-width and bidi controls, full-width look-alikes that
NFKC folds into ASCII, and very long runs.

What "safe" means for a reply is defined once, in :func:`assert_safe_text`; "the same shape" (no hostile line break
added or removed a line, a list item or a table row) in :func:`assert_same_shape`, by rendering a twin of the same
data with every hostile field replaced by ``x``.
"""
from __future__ import annotations

import dataclasses
import enum
import itertools
import re
import string
import unicodedata
from typing import Any, Callable, Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.core.audit import EVERYONE, AuditEvent, Notice
from bot.core.commands import (
    MAX_NAMED_CHANNELS,
    MAX_NAMED_USERS,
    Cancel,
    ChannelRef,
    Command,
    DisableTokens,
    Help,
    ListSessions,
    ListStale,
    ListTokens,
    Problem,
    RevokeAll,
    RevokeEveryone,
    RevokeMany,
    RevokeSession,
    UserRef,
)
from bot.core.errors import (
    AlreadyGone,
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
    RetiredButton,
    SessionAlreadyGone,
    SessionNotFound,
    StillSignedIn,
    TargetDeactivated,
    TokenAlreadyGone,
    TokenStillActive,
    TooManyMembers,
    UnknownClicker,
    UpstreamMalformed,
    UpstreamRejected,
    UserNotFound,
)
from bot.core.filters import MAX_DURATION_MS, UNITS, Duration, Platform, SessionFilter
from bot.core.model import AccessToken, Session, User
from bot.core.parse import parse
from bot.core.permissions import Refusal
from bot.core.results import (
    BulkPlan,
    Disabling,
    Progress,
    Revocation,
    Skip,
    StaleReport,
    StaleUser,
    Target,
    TargetResult,
)
from bot.replies.bulk import bulk_done, bulk_preview, bulk_progress
from bot.replies.errors import error_message, internal_error
from bot.replies.notices import audit_line, target_notice
from bot.replies.sessions import (
    filtered_list,
    filtered_preview,
    revoke_all_preview,
    revoked_all,
    revoked_one,
    revoked_selection,
    session_list,
)
from bot.replies.stale import stale_list
from bot.replies.tokens import (
    disable_tokens_preview,
    everything_preview,
    everything_signed_out,
    token_list,
    tokens_disabled,
)
from bot.replies.usage import problem_text, usage
from bot.replies.values import Attachment, Reply
from bot.replies.words import MAX_LISTED, MAX_MESSAGE_CHARS, MAX_NAMED
from bot.sandbox.mentions import text_runs
from bot.web.buttons import ButtonSigner, attachments_json
from tests.support.factories import DAY, NOW_MS

YEAR = 365 * DAY

# --- hostile text ---------------------------------------------------------------------------------

HOSTILE_PIECES = (
    "|", "\\|", "||", " | ", "[click](http://evil)", "[x]: http://evil", "[x][y]", '<a href="http://evil">x</a>',
    "<img src=x onerror=alert(1)>", "<script>", "&lt;b&gt;", "![img](x)", "`", "``", "```", "\\`", "@channel",
    "@all", "@here", "@HERE.", "@all-x", "@channel_", "@alice", "\n", "\r\n", "\r", "\u2028", "\u2029", "\x85",
    "\x00", "\x1b[31m", "\x7f", "\u200b", "\u200d", "\u2060", "\u202e", "\u2066", "\u061c", "\ufeff", "\u00ad",
    "**bold**", "_", "__", "*", "~~", "# ", "> ", "- ", "+ ", "1. ", "---", "===", "    ", "\t", " ", "\u3000",
    "www.evil.com", "WWW.EVIL.COM/x", "http://evil", "https://evil.example/x?a=1", "javascript:alert(1)",
    "mailto:a@evil.example", "a@evil.example", ":smile:", "~town-square", "#hashtag", "\\", "$$x$$",
    "\uff3bx\uff3d\uff08http://evil\uff09",  # full-width [x](...): NFKC folds it into ASCII
    "\uff20here", "\ufe6bchannel", "\uff5c", "\uff40",  # full-width @ | `
    "\uff57\uff57\uff57\uff0eevil\uff0ecom",  # full-width www.evil.com
    "\U0001d568\U0001d568\U0001d568.evil.com",  # mathematical double-struck www
    "\u0301\u0301\u0301", "\U0001f600", "🖥️", "Desktop App", "Unknown", "Chrome/120.0",
)

_pieces = st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=4))
#: Arbitrary Unicode (no lone surrogates), the dangerous pieces mixed with junk, and long runs of them.
hostile = st.one_of(
    st.text(max_size=40),
    st.lists(_pieces, max_size=12).map("".join),
    st.tuples(st.sampled_from(HOSTILE_PIECES + ("x", "é", "a b")), st.integers(50, 3000)).map(lambda t: t[0] * t[1]),
)
#: Names Mattermost allows, the words that are mentions of everyone, and anything at all.
usernames = st.one_of(
    st.from_regex(r"[a-z0-9][a-z0-9._-]{0,21}", fullmatch=True),
    st.sampled_from(["here", "all", "channel", "Here", "ALL", "all.", "channel-x", "here_", "here:x", "alice", ""]),
    hostile,
)
_ID_ALPHABET = string.ascii_lowercase + string.digits


def _as_id(number: int) -> str:
    """The 26-character lowercase-and-digit string whose base-36 value is ``number``."""
    digits = []
    for _ in range(26):
        number, digit = divmod(number, 36)
        digits.append(_ID_ALPHABET[digit])
    return "".join(reversed(digits))


#: Any 26 lowercase letters and digits: drawn as one number, not as 26 characters (which costs 26 draws each
#: time an id is needed, and a bulk case needs dozens).
ids = st.integers(0, 36**26 - 1).map(_as_id)
_times = st.one_of(st.just(0), st.integers(NOW_MS - 20 * YEAR, NOW_MS + 2 * YEAR))
_expiries = st.one_of(_times, st.integers(NOW_MS, NOW_MS + 101 * YEAR))
_prop_values = st.one_of(hostile, st.none(), st.integers(), st.sampled_from(["Desktop App/5.6", "Unknown", "true"]))


@st.composite
def sessions(draw: st.DrawFn, session_id: st.SearchStrategy[str] = ids) -> Session:
    """A session as Mattermost would list it, with hostile props and device id (the kind follows from them)."""
    props: dict[str, Any] = {key: draw(_prop_values) for key in ("platform", "os", "browser")}
    for key, values in (("type", ["UserAccessToken", "Session"]), ("is_bot", ["true", "false"]),
                        ("isMobile", ["true", "false"]), ("user_access_token_id", [])):
        if draw(st.booleans()):
            props[key] = draw(st.one_of(st.sampled_from(values), hostile) if values else hostile)
    device = draw(st.one_of(st.just(""), st.sampled_from(["apple_rn:", "android_rn-"]).map(lambda p: p + "x"), hostile))
    return Session.from_api({
        "id": draw(session_id), "user_id": "u" * 26, "create_at": draw(_times), "last_activity_at": draw(_times),
        "expires_at": draw(_expiries), "device_id": device, "is_oauth": draw(st.booleans()), "props": props,
        "token": "secret-token", "csrf": "csrf-secret",
    })


def _copies(t: tuple[list[Session], int]) -> list[Session]:
    found, count = t
    copies = (found[i % len(found)] for i in range(count))
    return [dataclasses.replace(one, id=f"{i:04d}" + one.id[4:]) for i, one in enumerate(copies)]


def session_lists(max_size: int = 6) -> st.SearchStrategy[list[Session]]:
    """A few sessions, or more than a reply lists (MAX_LISTED, MAX_CARDS): a few hostile ones over and over
    (drawing 50 distinct ones is slow), with distinct ids."""
    few = st.lists(sessions(), max_size=max_size, unique_by=lambda s: s.id)
    many = st.tuples(st.lists(sessions(), min_size=1, max_size=3),
                     st.integers(MAX_LISTED - 2, MAX_LISTED + 8)).map(_copies)
    return st.one_of(few, few, few, many)


#: A few hostile sessions for a case about many users, each of whom gets some of them (under ids of their own):
#: every kind of hostile session still turns up, without drawing dozens of distinct ones per example.
session_pools = st.lists(sessions(), min_size=1, max_size=4)


@st.composite
def sessions_from(draw: st.DrawFn, pool: list[Session], serial: Iterator[int], min_size: int = 0,
                  max_size: int = 3) -> tuple[Session, ...]:
    """Sessions of one user, taken from ``pool``, each under a new id from ``serial`` (one count per example, so
    ids are distinct across it and the same when hypothesis replays it)."""
    chosen = draw(st.lists(st.sampled_from(pool), min_size=min_size, max_size=max_size))
    return tuple(dataclasses.replace(one, id=f"{next(serial):06d}" + one.id[6:]) for one in chosen)


users = st.builds(User, id=ids, username=usernames, email=hostile, roles=st.just(frozenset({"system_user"})),
                  is_bot=st.booleans(), deactivated=st.booleans())
subjects = st.none() | users
tokens = st.builds(AccessToken, id=ids, user_id=ids, description=hostile, is_active=st.booleans())
token_lists = st.one_of(
    st.lists(tokens, max_size=6, unique_by=lambda t: t.id),
    st.tuples(st.lists(tokens, min_size=1, max_size=3), st.integers(MAX_LISTED - 1, MAX_LISTED + 4)).map(
        lambda t: [dataclasses.replace(t[0][i % len(t[0])], id=f"{i:04d}" + "t" * 22) for i in range(t[1])]),
)
user_refs = st.builds(UserRef, kind=st.sampled_from(["username", "email", "id"]), value=hostile, text=hostile)
channel_refs = st.builds(ChannelRef, value=hostile, text=hostile)
durations = st.sampled_from(sorted(UNITS)).flatmap(
    lambda unit: st.integers(1, MAX_DURATION_MS // UNITS[unit]).map(lambda amount: Duration(amount, unit)))
filters = st.builds(SessionFilter, st.frozensets(st.sampled_from(Platform)), st.none() | durations,
                    st.none() | durations)

#: Every BotError, each with hostile text in every field that carries text.
ERRORS: dict[type[BotError], st.SearchStrategy[BotError]] = {
    MattermostUnreachable: st.builds(MattermostUnreachable, hostile),
    BotTokenRejected: st.just(BotTokenRejected()),
    BotLacksPermission: st.builds(BotLacksPermission, subjects,
                                  st.sampled_from(["", "read_tokens", "disable_tokens", "revoke_everyone"])),
    UpstreamRejected: st.builds(UpstreamRejected, st.integers(100, 599), hostile, st.none() | st.floats(0, 1e9)),
    UpstreamMalformed: st.builds(UpstreamMalformed, hostile),
    UserNotFound: st.builds(UserNotFound, user_refs),
    ChannelNotFound: st.builds(ChannelNotFound, channel_refs),
    TooManyMembers: st.builds(TooManyMembers, channel_refs, st.integers(0, 10**6), st.integers(0, 10**6),
                              st.integers(0, 10**6)),
    TargetDeactivated: st.builds(TargetDeactivated, users),
    Refused: st.builds(Refused, st.sampled_from(Refusal), subjects, st.none() | user_refs),
    SessionNotFound: st.builds(SessionNotFound, hostile, subjects),
    AmbiguousSession: st.builds(AmbiguousSession, hostile, session_lists()),
    SessionAlreadyGone: st.builds(SessionAlreadyGone, sessions()),
    TokenAlreadyGone: st.builds(TokenAlreadyGone, tokens),
    StillSignedIn: st.builds(StillSignedIn, sessions()),
    TokenStillActive: st.builds(TokenStillActive, tokens),
    AlreadyGone: st.just(AlreadyGone()),
    ForgedButton: st.just(ForgedButton()),
    ExpiredButton: st.builds(ExpiredButton, st.integers(0, 10**7)),
    ForeignButton: st.just(ForeignButton()),
    RetiredButton: st.just(RetiredButton()),
    UnknownClicker: st.just(UnknownClicker()),
    BotError: st.just(BotError()),
}
errors = st.one_of(*ERRORS.values())
#: The same, quicker to draw where an error is one of many (a bulk skip, where a revocation stopped).
light_errors = st.one_of(*(strategy for cls, strategy in ERRORS.items() if cls is not AmbiguousSession),
                         st.builds(AmbiguousSession, hostile, st.lists(sessions(), max_size=2)))

# --- what a safe reply is -------------------------------------------------------------------------

#: Link, image and raw-HTML syntax, outside code spans: inline links and images (``](``, ``![``), reference links
#: and definitions, URLs with a scheme, GFM's ``www.`` autolinks (after a line start, space, ``*_~(``), e-mail
#: autolinks, and any HTML tag, comment or declaration.
LINKISH = re.compile(
    r"\]\s*[(\[]|!\[|^\s{0,3}\[[^\]]*\]:|://|(?:^|(?<=[\s*_~(]))www\.|[\w.+-]@[\w-]+\.\w|<[A-Za-z/!?]|mailto:",
    re.IGNORECASE,
)
#: A mention that notifies everyone, the way Mattermost finds one: ``@all``, ``@channel`` or ``@here`` not glued to a
#: word or another ``@`` before, followed by nothing that continues a username (Mattermost splits words at ``.-:``,
#: and trailing underscores are treated as punctuation to be safe).
EVERYONE_MENTION = re.compile(r"(?<![\w@])@(?:all|channel|here)_*(?!\w)", re.IGNORECASE)
#: Characters that hide text or break a line without being ``\n``: controls, format characters (zero-width,
#: bidi overrides), lone surrogates, and the Unicode line and paragraph separators.
HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
#: The longest line a reply may have: long enough for the longest command suggestion, short enough to prove that
#: outside text is cut.
MAX_LINE_CHARS = 2000


def split_code_spans(line: str) -> tuple[str, list[str], bool]:
    """``line`` as CommonMark reads it: the text outside code spans (each span replaced by a space), the spans'
    contents, and whether every backtick run was closed (an unclosed or backslash-escaped run is a stray backtick)."""
    runs = [(m.start(), m.end()) for m in re.finditer(r"`+", line)]
    outside, spans, balanced, pos, k = [], [], True, 0, 0
    while k < len(runs):
        start, end = runs[k]
        close = next((j for j in range(k + 1, len(runs)) if runs[j][1] - runs[j][0] == end - start), None)
        if close is None or line[start - 1 : start] == "\\":
            balanced, k = False, k + 1
            continue
        outside += [line[pos:start], " "]
        spans.append(line[end : runs[close][0]])
        pos, k = runs[close][1], close + 1
    outside.append(line[pos:])
    return "".join(outside), spans, balanced


def _pipes(line: str) -> int:
    """The ``|`` that split a GFM table row into cells (inside code spans too; ``\\|`` does not split)."""
    return len(re.findall(r"(?<!\\)\|", line))


def assert_safe_text(text: str, *, limit: int = MAX_MESSAGE_CHARS, single_line: bool = False) -> None:
    """``text`` is safe to post: a str under ``limit`` (the post limit by default) whose lines are each at most
    MAX_LINE_CHARS long, with no hidden or line-breaking characters but ``\\n``; every backtick is part of a code span
    on its own line; outside code spans there is no link, image or HTML syntax, no everyone-mention, and no ``|``
    except in table rows; and every row of a table has exactly as many cells as its header."""
    assert isinstance(text, str)
    assert len(text) <= limit, len(text)
    assert len(text) < 16383  # Mattermost's own limit, whatever MAX_MESSAGE_CHARS says
    hidden = sorted({f"U+{ord(c):04X}" for c in text if c != "\n" and unicodedata.category(c) in HIDDEN})
    assert not hidden, hidden
    lines = text.split("\n")
    assert not (single_line and len(lines) > 1), text
    header_pipes = None
    for line in lines:
        assert len(line) <= MAX_LINE_CHARS, line[:200]
        outside, _spans, balanced = split_code_spans(line)
        assert balanced, f"stray backtick in {line!r}"
        found = LINKISH.search(outside)
        assert found is None, f"link/HTML syntax {found.group()!r} in {line!r}"
        found = EVERYONE_MENTION.search(outside)
        assert found is None, f"mention {found.group()!r} in {line!r}"
        if line.startswith("|"):
            header_pipes = _pipes(line) if header_pipes is None else header_pipes
            assert _pipes(line) == header_pipes and line.rstrip().endswith("|"), f"broken table row {line!r}"
        else:
            header_pipes = None
            assert "|" not in outside, f"stray pipe in {line!r}"


def assert_safe_reply(reply: Reply) -> None:
    """The reply's text is safe, and so is every attachment title, text, field and button label (one line each)."""
    assert isinstance(reply, Reply)
    assert_safe_text(reply.text)
    for attachment in reply.attachments:
        assert isinstance(attachment, Attachment)
        for part in (attachment.title, attachment.text, *(p for field in attachment.fields for p in field),
                     *(b.label for b in attachment.buttons)):
            assert_safe_text(part, limit=1000, single_line=True)


def _kind(line: str) -> str:
    if not line:
        return "blank"
    for marker in ("|", "- ", "#", "**", ">", "* ", "+ "):
        if line.startswith(marker):
            return marker
    return "1." if re.match(r"\d+[.)] ", line) else "text"


def shape(text: str) -> list[str]:
    """Each line's block kind: blank, table row, list item, heading, bold lead, quote or paragraph text."""
    return [_kind(line) for line in text.split("\n")]


_HOSTILE_FIELDS = frozenset({"platform", "os", "browser", "mobile_system", "username", "email", "description",
                             "name", "detail", "error_id", "text", "value", "actor_username", "target_username",
                             "reason", "prefix"})


def detox(value: Any) -> Any:
    """``value`` with every outside text field (see _HOSTILE_FIELDS) replaced by ``x``: a benign twin."""
    if isinstance(value, (str, int, float, type(None), enum.Enum, frozenset, set)):
        return value
    if isinstance(value, BaseException) and not dataclasses.is_dataclass(value):
        return value
    if isinstance(value, tuple):
        return tuple(detox(v) for v in value)
    if isinstance(value, list):
        return [detox(v) for v in value]
    if isinstance(value, dict):
        return {k: detox(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        changes = {}
        for f in dataclasses.fields(value):
            current = getattr(value, f.name)
            changes[f.name] = "x" if f.name in _HOSTILE_FIELDS and isinstance(current, str) else detox(current)
        return dataclasses.replace(value, **changes)
    raise TypeError(f"cannot detox {value!r}")


def assert_same_shape(text: str, twin: str) -> None:
    """Hostile text added no line, list item, table row or heading: ``text`` has the shape of the benign twin's.
    (Unless either came near the post limit, where ``_fit`` may drop different numbers of lines.)"""
    if max(len(text), len(twin)) < MAX_MESSAGE_CHARS - MAX_LINE_CHARS:
        assert shape(text) == shape(twin), (text, twin)


SIGNER = ButtonSigner("p" * 40, clock=lambda: NOW_MS / 1000)


def check(render_fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Render with hostile data and with its benign twin: both safe, the same shape, the same buttons, and every
    button's command survives signing for the viewer."""
    reply = render_fn(*args, **kwargs)
    twin = render_fn(*detox(args), **detox(kwargs))
    if isinstance(reply, str):
        assert_safe_text(reply)
        assert_same_shape(reply, twin)
        return
    assert_safe_reply(reply)
    assert_same_shape(reply.text, twin.text)
    assert [len(a.buttons) for a in reply.attachments] == [len(a.buttons) for a in twin.attachments]
    for shown, attachment in zip(attachments_json(reply.attachments, "v" * 26, SIGNER, "http://bot/actions"),
                                 reply.attachments, strict=True):
        assert [action["name"] for action in shown["actions"]] == [b.label for b in attachment.buttons]
    for button in (b for a in reply.attachments for b in a.buttons):
        assert SIGNER.verify({"signed": SIGNER.sign("v" * 26, button.command)}, "v" * 26) == button.command


# --- 1. the parser is total -----------------------------------------------------------------------

GRAMMAR_WORDS = (
    "list", "ls", "revoke", "revoke-all", "all", "logout-everywhere", "tokens", "disable-tokens", "help", "-h",
    "--help", "--yes", "-y", "--tokens", "--everyone", "--confirm", "--stale", "--platform", "--older-than",
    "--inactive", "--platform=", "--inactive=", "--older-than=", "--stale=", "--confirm=", "me", "@me", "@",
    "~", "--", "-", "=", "mobile", "desktop", "web", "api", "mobile,desktop", ",", "30d", "90m", "12h", "2w",
    "0d", "-5d", "3651d", "9999999999999999999999d", "30x", "30D", "d", "@alice", "alice", "alice@example.com",
    "@al\u200bice", "~incident-42", "~Incident", "~in cident", "kkkkkkkkkkkkkkkkkkkkkkkkkk", "abc123", "abc12",
    "K" * 27, "\u212a" * 6, "LIST", "REVOKE-ALL", "--YES", "ABC123",
)
_word = st.one_of(st.sampled_from(GRAMMAR_WORDS), hostile, st.text(alphabet="@~-=,:.d0123456789abc", max_size=8))
_space = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", "\u3000", "\u2028", "\x1c", ""])
grammar_junk = st.lists(st.tuples(_word, _space), max_size=60).map(lambda ws: "".join(w + s for w, s in ws))
#: Up to ~100 KB: a short chunk repeated (hypothesis cannot draw 100 KB of choices directly).
huge = st.tuples(st.one_of(grammar_junk, st.text(min_size=1, max_size=30)).filter(bool),
                 st.integers(10_000, 100_000)).map(lambda t: (t[0] * (t[1] // len(t[0]) + 1))[: t[1]])
any_text = st.one_of(st.text(), st.text(st.characters(codec="utf-8")), grammar_junk,
                     st.sampled_from(["", " ", "help", "revoke-all --everyone --confirm"]), huge)

COMMAND_TYPES = (ListSessions, ListStale, RevokeSession, RevokeAll, RevokeMany, ListTokens, DisableTokens,
                 RevokeEveryone, Help)
#: The longest problem message: the longest fixed sentence plus one inline-code slice of the input.
MAX_PROBLEM_CHARS = 300
#: The most characters of the input a problem message repeats (``markdown.code``'s limit).
MAX_ECHO_CHARS = 40


def assert_bounded_problem(found: Problem) -> None:
    """A problem message is one short line, safe Markdown, whose only text from the input is inline code of at most
    MAX_ECHO_CHARS characters: outside code spans it is the parser's own (ASCII) words."""
    problem = problem_text(found)
    assert 0 < len(problem) <= MAX_PROBLEM_CHARS, problem
    assert_safe_text(problem, single_line=True)
    outside, spans, _ = split_code_spans(problem)
    assert outside.isascii(), problem
    assert all(len(span) <= MAX_ECHO_CHARS for span in spans), problem
    assert_safe_text(usage(found))


@settings(max_examples=500)  # cheap: explore more
@given(any_text)
@example("revoke \u202e" + "x" * 100_000)
@example("list " + "@a " * 30_000)
@example("revoke-all " + " ".join(f"@u{i}" for i in range(60)))
@example("revoke-all ~a ~b ~c ~d ~e ~f")
@example("list --inactive 99999999999999999999999999999d")
@example("revoke " + "`" * 50 + "[x](http://evil)")
@example("list @here --platform [x](http://evil)")
def test_parse_is_total_bounded_and_deterministic(text):
    command = parse(text)
    assert isinstance(command, COMMAND_TYPES)
    assert parse(text) == command and repr(parse(text)) == repr(command)
    if isinstance(command, Help) and command.problem is not None:
        assert_bounded_problem(command.problem)


def _cased(word: str, flips: list[bool]) -> str:
    return "".join(c.upper() if flip else c for c, flip in zip(word, flips + [False] * len(word)))


@st.composite
def cased(draw: st.DrawFn, word: str) -> str:
    """``word`` in any ASCII case (the parser reads verbs, flags, names and units case-insensitively where allowed):
    which letters are upper case is one number's bits, a single draw (shrinking to all lower case)."""
    bits = draw(st.integers(0, 2 ** len(word) - 1))
    return _cased(word, [bool(bits >> i & 1) for i in range(len(word))])


_username = st.from_regex(r"[a-z0-9][a-z0-9._:-]{0,20}", fullmatch=True).filter(lambda u: u != "me")
_email = st.from_regex(r"[a-z0-9._+]{1,10}@[a-z0-9.-]{1,12}", fullmatch=True)
_user_id = ids
_channel = st.from_regex(r"[a-z0-9_-]{1,20}", fullmatch=True)


@st.composite
def user_words(draw: st.DrawFn) -> tuple[str, UserRef]:
    """A typed user (``@alice``, ``alice``, an e-mail address or an id, in any case) and what it must parse to."""
    kind = draw(st.sampled_from(["@username", "username", "email", "id"]))
    if kind == "email":
        word = draw(cased(draw(_email)))
        return word, UserRef("email", word.lower(), word)
    if kind == "id":
        word = draw(cased(draw(_user_id)))
        return word, UserRef("id", word.lower(), word)
    name = draw(_username)
    word = ("@" if kind == "@username" else "") + draw(cased(name))
    return word, UserRef("username", name, word)


@st.composite
def filter_words(draw: st.DrawFn) -> tuple[list[str], SessionFilter]:
    """Filter options as typed (``--platform a,b`` or ``--platform=a,b``, repeatable; each duration at most once),
    each option and its value kept together, and the filter they make."""
    parts, platforms = [], set()
    for _ in range(draw(st.integers(0, 2))):
        chosen = draw(st.lists(st.sampled_from(Platform), min_size=1, max_size=4))
        platforms |= set(chosen)
        value = ",".join([draw(cased(p.value)) for p in chosen])
        parts.append(draw(cased("--platform")) + draw(st.sampled_from(["=", " "])) + value)
    found: dict[str, Duration | None] = {}
    for option in ("--older-than", "--inactive"):
        found[option] = duration = draw(st.none() | durations)
        if duration is not None:
            amount = "0" * draw(st.integers(0, 2)) + str(duration.amount)
            parts.append(draw(cased(option)) + draw(st.sampled_from(["=", " "])) + amount + duration.unit)
    return parts, SessionFilter(frozenset(platforms), found["--older-than"], found["--inactive"])


def _unique(refs: list[Any], key: Callable[[Any], Any]) -> tuple[Any, ...]:
    seen, kept = set(), []
    for ref in refs:
        if key(ref) not in seen:
            seen.add(key(ref))
            kept.append(ref)
    return tuple(kept)


@st.composite
def revoke_all_commands(draw: st.DrawFn) -> tuple[str, Command]:
    """``revoke-all`` with users, ~channels, filters, ``--yes`` and ``--tokens`` in any order, and its value."""
    verb = draw(st.sampled_from(["revoke-all", "logout-everywhere", "revoke all"]))
    bulk = draw(st.booleans())
    if bulk:
        typed = draw(st.lists(user_words(), max_size=MAX_NAMED_USERS))
        channels = draw(st.lists(_channel, max_size=MAX_NAMED_CHANNELS, unique=True))
        if len(_unique([ref for _, ref in typed], lambda r: (r.kind, r.value))) < 2 and not channels:
            channels = ["incident"]
    else:
        typed = draw(st.lists(st.one_of(user_words(), st.sampled_from(["me", "@me", "ME"]).map(lambda w: (w, None))),
                              max_size=1))
        channels = []
    filter_parts, wanted = draw(filter_words())
    yes = draw(st.lists(st.sampled_from(["--yes", "-y", "--YES", "-Y"]), max_size=2))
    tokens = wanted.is_empty and draw(st.booleans())
    channel_words = [draw(cased("~" + name)) for name in channels]
    parts = draw(st.permutations(  # (word, what it names: a UserRef, None for the caller, a ChannelRef, or an option)
        list(typed) + [(w, ChannelRef(w[1:].lower(), w)) for w in channel_words]
        + [(w, "option") for w in filter_parts + yes + (["--tokens"] if tokens else [])]))
    text = draw(cased(verb)) + "".join(draw(_space.filter(bool)) + word for word, _ in parts) + draw(_space)
    refs = [named for _, named in parts if named is None or isinstance(named, UserRef)]
    if bulk:
        users = _unique(refs, lambda r: (r.kind, r.value))
        chans = tuple(named for _, named in parts if isinstance(named, ChannelRef))
        return text, RevokeMany(users, chans, bool(yes), wanted, tokens=tokens)
    return text, RevokeAll(refs[0] if refs else None, bool(yes), wanted, tokens=tokens)


@st.composite
def other_commands(draw: st.DrawFn) -> tuple[str, Command]:
    """Every other verb, with what it takes, and its value."""
    who = draw(st.none() | user_words())
    user_part, target = ([who[0]], who[1]) if who else ([], None)
    which = draw(st.sampled_from(["list", "tokens", "disable-tokens", "revoke", "stale", "everyone", "help"]))
    if which == "list":
        filter_parts, wanted = draw(filter_words())
        verb, value = draw(st.sampled_from(["list", "ls"])), ListSessions(target, wanted)
        parts = user_part + filter_parts
    elif which == "tokens":
        verb, parts, value = "tokens", user_part, ListTokens(target)
    elif which == "disable-tokens":
        yes = draw(st.booleans())
        verb, parts, value = "disable-tokens", user_part + (["-y"] if yes else []), DisableTokens(target, yes)
    elif which == "revoke":
        session = draw(st.from_regex(r"[A-Za-z0-9]{6,26}", fullmatch=True))
        verb, parts, value = "revoke", [session] + user_part, RevokeSession(session.lower(), target)
        return draw(cased(verb)) + " " + " ".join(parts), value
    elif which == "stale":
        duration = draw(st.none() | durations)
        extra = [] if duration is None else [str(duration)]
        verb, parts, value = "list", ["--stale"] + extra, ListStale(duration or Duration(30, "d"))
        return "list " + " ".join(parts), value
    elif which == "everyone":
        typed = draw(st.none() | st.from_regex(r"[A-Za-z0-9]{1,32}", fullmatch=True))
        confirm = [] if typed is None else [draw(st.sampled_from(["--confirm ", "--CONFIRM="])) + typed]
        parts = draw(st.permutations(["--everyone"] + confirm))
        return "revoke-all " + " ".join(parts), RevokeEveryone(None if typed is None else typed.upper())
    else:
        return draw(st.sampled_from(["help", "-h", "--help", "HELP"])) + draw(_space), Help()
    parts = draw(st.permutations(parts))
    return draw(cased(verb)) + "".join(" " + part for part in parts), value


@settings(max_examples=300)
@given(st.one_of(revoke_all_commands(), other_commands()))
@example(("revoke-all @u1 ~c --inactive 7d --yes",
          RevokeMany((UserRef("username", "u1", "@u1"),), (ChannelRef("c", "~c"),), True,
                     SessionFilter(inactive=Duration(7, "d")))))
@example(("REVOKE all @Bob bob --Platform=MOBILE,api --platform web -Y",
          RevokeAll(UserRef("username", "bob", "@Bob"), True,
                    SessionFilter(frozenset({Platform.MOBILE, Platform.API, Platform.WEB})))))
def test_valid_commands_round_trip(case):
    text, expected = case
    assert parse(text) == expected


# --- 2. rendering never breaks --------------------------------------------------------------------

#: A user agent that inert() once let through as a link: Mattermost links ``www.`` without a scheme.
WWW_BROWSER = Session.from_api({"id": "w" * 26, "props": {"browser": "WWW.evil.com/x", "os": "(www.evil.com)"}})


@given(subjects, session_lists(), st.booleans(), st.none() | sessions())
@example(None, [WWW_BROWSER], False, None)
@example(None, [WWW_BROWSER], True, WWW_BROWSER)
@example(User("a" * 26, "here", "", frozenset(), False, False), [], True, None)
@example(User("a" * 26, "x`\n| [click](http://evil) @all", "", frozenset(), False, False), [], False, None)
def test_session_list_is_safe(subject, found, buttons, signed_out):
    check(session_list, subject, found, NOW_MS, buttons=buttons, signed_out=signed_out)


@given(subjects, session_lists(), filters, st.booleans())
def test_filtered_list_and_preview_are_safe(subject, found, wanted, buttons):
    selection = wanted.select(found, NOW_MS)
    check(filtered_list, subject, selection, NOW_MS, buttons=buttons)
    check(filtered_preview, subject, selection, NOW_MS, buttons=buttons)


@given(subjects, session_lists(), st.booleans())
def test_revoke_previews_and_results_are_safe(subject, found, buttons):
    check(revoke_all_preview, subject, found, NOW_MS, buttons=buttons)
    check(revoked_all, subject, found, NOW_MS)
    if found:
        check(revoked_one, subject, found[0], found[1:], NOW_MS, buttons=buttons)


@st.composite
def revocations(draw: st.DrawFn) -> tuple[list[Session], Revocation]:
    pool = draw(session_lists())
    a, b = sorted(draw(st.lists(st.integers(0, len(pool)), min_size=2, max_size=2)))
    rest = pool[b:]
    stopped = (rest[0], draw(light_errors)) if rest and draw(st.booleans()) else None
    return pool, Revocation(tuple(pool[:a]), tuple(pool[a:b]), stopped, tuple(rest[1:]) if stopped else ())


@given(subjects, revocations(), filters)
def test_revoked_selection_is_safe(subject, revocation, wanted):
    pool, done = revocation
    check(revoked_selection, subject, wanted.select(pool, NOW_MS), done, NOW_MS)


@st.composite
def bulk_cases(draw: st.DrawFn):
    """A bulk command, its plan (targets, skips), active tokens by user, results and disablings: all hostile."""
    people = draw(st.lists(users, max_size=MAX_NAMED + 4, unique_by=lambda u: u.id))
    pool, serial = draw(session_pools), itertools.count()
    targets = tuple(Target(u, draw(sessions_from(pool, serial, max_size=3)), draw(st.booleans())) for u in people)
    skipped = tuple(draw(st.lists(st.builds(Skip, hostile, light_errors), max_size=MAX_NAMED + 3)))
    wanted = draw(filters)
    command = RevokeMany(tuple(draw(st.lists(user_refs, max_size=5))), tuple(draw(st.lists(channel_refs, max_size=3))),
                         draw(st.booleans()), wanted, tokens=wanted.is_empty and draw(st.booleans()))
    plan = BulkPlan(targets, skipped, wanted, draw(st.integers(0, 10**6)))
    held = {u.id: tuple(draw(st.lists(tokens, max_size=3))) for u in people if draw(st.booleans())}
    results = []
    for target in targets:
        cut = draw(st.integers(0, len(target.sessions)))
        results.append(TargetResult(target.user, target.sessions[:cut], draw(st.none() | light_errors)))
    disabled = None
    if draw(st.booleans()):
        disabled = {}
        for user_id, found in held.items():
            cut = draw(st.integers(0, len(found)))
            stopped = (found[cut], draw(light_errors)) if cut < len(found) and draw(st.booleans()) else None
            disabled[user_id] = Disabling(found[:cut], (), stopped, found[cut + 1:] if stopped else ())
    return command, plan, held, results, disabled


@given(bulk_cases(), st.booleans())
def test_bulk_preview_and_done_are_safe(case, buttons):
    command, plan, held, results, disabled = case
    check(bulk_preview, command, plan, held, buttons=buttons)
    check(bulk_done, plan, results, disabled)
    progress = bulk_progress(Progress(len(results), len(results), len(results) // 2))
    assert_safe_text(progress, single_line=True)


@st.composite
def stale_reports(draw: st.DrawFn) -> StaleReport:
    people = draw(st.lists(users, max_size=MAX_NAMED + 5, unique_by=lambda u: u.id))
    pool, serial = draw(session_pools), itertools.count()
    entries = []
    for person in people:
        stale = draw(sessions_from(pool, serial, min_size=1, max_size=3))
        entries.append(StaleUser(person, stale, len(stale) + draw(st.integers(0, 5))))
    return StaleReport(draw(durations), tuple(entries), len(entries) + draw(st.integers(0, 10**4)),
                       draw(st.integers(0, 10**4)), draw(st.booleans()))


@given(stale_reports())
def test_stale_list_is_safe(report):
    check(stale_list, report, NOW_MS)


@st.composite
def disablings(draw: st.DrawFn, found: list[AccessToken]) -> Disabling:
    a, b = sorted(draw(st.lists(st.integers(0, len(found)), min_size=2, max_size=2)))
    rest = found[b:]
    stopped = (rest[0], draw(light_errors)) if rest and draw(st.booleans()) else None
    return Disabling(tuple(found[:a]), tuple(found[a:b]), stopped, tuple(rest[1:]) if stopped else ())


@given(subjects, token_lists, session_lists(), st.booleans(), st.data())
def test_token_replies_are_safe(subject, found, signed_in, buttons, data):
    used = data.draw(st.none() | st.fixed_dictionaries({}, optional={t.id: _times for t in found}))
    check(token_list, subject, found, used, NOW_MS)
    check(disable_tokens_preview, subject, [t for t in found if t.is_active], buttons=buttons)
    disabling = data.draw(disablings(found))
    check(tokens_disabled, subject, disabling)
    check(everything_preview, subject, signed_in, [t for t in found if t.is_active], NOW_MS, buttons=buttons)
    check(everything_signed_out, subject, signed_in, disabling, NOW_MS)


@given(errors)
@example(SessionNotFound("a`\n[x](http://evil)", None))
@example(MattermostUnreachable("x\n| [click](http://evil) @channel " + "y" * 20_000))
def test_every_error_message_is_safe(error):
    assert_safe_text(error_message(error))
    assert_same_shape(error_message(error), error_message(detox(error)))


def test_the_error_strategy_covers_every_bot_error():
    def subclasses(cls: type) -> set[type]:
        return {cls}.union(*(subclasses(sub) for sub in cls.__subclasses__()))

    assert subclasses(BotError) <= set(ERRORS)


@given(st.from_regex(r"[a-z0-9][a-z0-9._-]{0,21}", fullmatch=True))
@example("here")
@example("all_")
@example("channel.x")
def test_a_real_username_is_still_a_mention_unless_it_would_notify_everyone(name):
    deactivated = error_message(TargetDeactivated(User("a" * 26, name, "", frozenset(), False, True)))
    everyone = re.split(r"[.:-]", name, maxsplit=1)[0].rstrip("_") in ("all", "channel", "here")
    assert deactivated.startswith(f"`@{name}` is" if everyone else f"@{name} is")


@given(hostile)
def test_internal_error_is_safe(reference):
    assert_safe_text(internal_error(reference), single_line=True)


notices = st.builds(Notice, ids, usernames, session_lists().map(tuple), st.booleans(), st.integers(0, NOW_MS + YEAR),
                    token_lists.map(tuple))


@given(notices)
@example(Notice("t" * 26, "here", (), True, NOW_MS, ()))
def test_target_notice_is_safe(notice):
    check(target_notice, notice, NOW_MS)


audit_events = st.builds(
    AuditEvent,
    action=st.sampled_from(["list", "revoke", "revoke-all", "revoke-many", "tokens", "disable-tokens", "button"]),
    result=st.sampled_from(["ok", "preview", "refused", "failed"]),
    reason=hostile,
    actor_id=ids,
    actor_username=usernames,
    target_id=st.just("") | ids,
    target_username=st.one_of(usernames, hostile.map(lambda h: "@" + h), hostile.map(lambda h: "~" + h),
                              st.sampled_from([EVERYONE, "(team)", ""])),
    session_ids=st.lists(ids, max_size=5).map(tuple),
    channel_id=ids,
    team_id=ids,
    via=st.sampled_from(["slash", "button"]),
    filter=filters,
    token_ids=st.lists(ids, max_size=3).map(tuple),
)


@given(audit_events)
@example(AuditEvent("list", "refused", "user_not_found", "a" * 26, "alice", "", "here", (), "", "", "slash"))
@example(AuditEvent("list", "ok", "", "a" * 26, "channel", "", "all.", (), "", "", "slash"))
def test_audit_line_is_safe(event):
    assert_safe_text(audit_line(event), limit=1000, single_line=True)


@given(audit_events)
@example(AuditEvent("list", "refused", "user_not_found", "a" * 26, "bob", "", "here", (), "", "", "slash"))
@example(AuditEvent("list", "refused", "", "a" * 26, "x`@all`", "", "@a`` @here ``", (), "", "", "slash"))
def test_no_name_in_an_audit_line_is_ever_read_for_mentions(event):
    """Mattermost reads only a post's Markdown text for mentions, never its code spans (the stand-in's copy of
    the rule, ``bot.sandbox.mentions``): no ``@`` is left in what it reads, and whatever the names, it reads the
    same words, so no name (typed or real) can notify its owner, a channel, or anyone with that keyword."""
    read = text_runs(audit_line(event))
    assert "@" not in "".join(read)
    named = event.target_username not in (EVERYONE, "(team)", "")
    blank = dataclasses.replace(event, actor_username="x", target_username="x" if named else event.target_username)
    assert read == text_runs(audit_line(blank))


# --- 3. signed button contexts --------------------------------------------------------------------

_ref_text = st.one_of(hostile, st.text(max_size=20))
button_targets = st.none() | st.builds(UserRef, st.just("id"), _ref_text, _ref_text)


@st.composite
def button_commands(draw: st.DrawFn) -> Command:
    """Every command a button can carry, with any text in it (revoke-all's ``tokens`` never with a filter)."""
    which = draw(st.sampled_from(["revoke", "revoke-all", "revoke-many", "disable-tokens", "cancel", "typed"]))
    if which == "revoke":
        return RevokeSession(draw(_ref_text), draw(button_targets))
    if which in ("revoke-all", "revoke-many"):
        wanted = draw(filters)
        with_tokens = wanted.is_empty and draw(st.booleans())
        if which == "revoke-all":
            return RevokeAll(draw(button_targets), draw(st.booleans()), wanted, tokens=with_tokens)
        refs = st.builds(UserRef, st.sampled_from(["username", "email", "id"]), _ref_text, _ref_text)
        return RevokeMany(tuple(draw(st.lists(refs, max_size=5))),
                          tuple(draw(st.lists(st.builds(ChannelRef, _ref_text, _ref_text), max_size=3))),
                          draw(st.booleans()), wanted, tokens=with_tokens)
    if which == "disable-tokens":
        return DisableTokens(draw(button_targets), draw(st.booleans()))
    if which == "typed":  # what the parser makes, as a button would carry it (targets by id, see bot.replies.words.button_target)
        command = draw(revoke_all_commands())[1]
        if isinstance(command, RevokeAll) and command.target is not None:
            command = dataclasses.replace(command, target=UserRef("id", command.target.value, command.target.text))
        return command
    return Cancel()


viewers = st.one_of(ids, st.text(max_size=30))


@given(button_commands(), viewers)
def test_a_signed_button_verifies_to_its_command_for_its_viewer_only(command, viewer):
    signed = SIGNER.sign(viewer, command)
    assert SIGNER.verify({"signed": signed}, viewer) == command
    with pytest.raises(ForeignButton):
        SIGNER.verify({"signed": signed}, viewer + "x")


URLSAFE = string.ascii_letters + string.digits + "-_"
_mutation_chars = st.one_of(st.sampled_from(URLSAFE + ".=+/ \n"), st.characters(),
                            st.sampled_from(["\ud800", "\udfff", "é", "\x00", "\u200b"]))
mutations = st.one_of(
    st.tuples(st.sampled_from(["replace", "insert"]), st.integers(-120, 120), _mutation_chars),
    st.tuples(st.just("xor"), st.integers(-120, 120), st.integers(1, 63)),  # another URL-safe base64 digit
    st.tuples(st.sampled_from(["delete", "truncate", "swap", "duplicate"]), st.integers(-120, 120), st.just("")),
    st.tuples(st.just("append"), st.just(0), st.text(min_size=1, max_size=5)),
)


def mutate(signed: str, mutation: tuple[str, int, Any]) -> str:
    """``signed`` changed once: a character replaced, inserted, deleted, bit-flipped within the URL-safe base64
    alphabet, two swapped, a slice duplicated, the end cut or added to (positions from the end when negative)."""
    kind, position, arg = mutation
    i = position % (len(signed) + (1 if kind == "insert" else 0))
    if kind == "replace":
        return signed[:i] + arg + signed[i + 1:]
    if kind == "insert":
        return signed[:i] + arg + signed[i:]
    if kind == "xor":
        c = signed[i]
        return signed[:i] + (URLSAFE[URLSAFE.index(c) ^ arg] if c in URLSAFE else c + "A") + signed[i + 1:]
    if kind == "delete":
        return signed[:i] + signed[i + 1:]
    if kind == "truncate":
        return signed[:i]
    if kind == "swap":
        j = (i + 1) % len(signed)
        chars = list(signed)
        chars[i], chars[j] = chars[j], chars[i]
        return "".join(chars)
    if kind == "duplicate":
        return signed[:i] + signed[i:] + signed[i:]
    return signed + arg


@settings(max_examples=500)
@given(button_commands(), viewers, mutations)
@example(Cancel(), "v", ("xor", -1, 1))  # the signature's last digit carries 2 unused bits: base64 ignores them
@example(Cancel(), "v", ("insert", -3, "é"))  # non-ASCII was dropped from the signature before decoding
@example(Cancel(), "v", ("insert", 5, "\ud800"))  # a lone surrogate raised UnicodeEncodeError, not ForgedButton
@example(Cancel(), "v", ("replace", -2, "/"))  # not URL-safe base64: decoders skip it
def test_any_change_to_a_signed_button_is_forged(command, viewer, mutation):
    signed = SIGNER.sign(viewer, command)
    altered = mutate(signed, mutation)
    if altered == signed:
        return
    try:
        SIGNER.verify({"signed": altered}, viewer)
    except ForgedButton:
        return
    raise AssertionError(f"accepted (or failed otherwise on) an altered button: {altered!r}")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_known = st.sampled_from(["revoke", "revoke-all", "revoke-many", "disable-tokens", "cancel"])
payload_runs = st.one_of(
    json_values,
    st.fixed_dictionaries({"do": _known}, optional={
        "session": json_values, "target": json_values, "yes": json_values, "users": json_values,
        "channels": json_values, "filter": json_values | st.fixed_dictionaries({}, optional={
            "platform": json_values, "older_than": json_values, "inactive": json_values}),
        "tokens": json_values}),
)


@settings(max_examples=300)
@given(st.one_of(json_values, st.fixed_dictionaries({"signed": json_values})))
def test_any_click_context_is_forged_or_a_command(context):
    try:
        SIGNER.verify(context, "v")
    except ForgedButton:
        pass


@settings(max_examples=300)
@given(st.one_of(json_values, st.fixed_dictionaries({"for": st.just("v"), "run": payload_runs})))
@example({"for": "v", "run": {"do": "revoke-all", "yes": True, "filter": {"inactive": [float("inf"), "d"]}}})
@example(["not", "a", "mapping"])
def test_a_genuinely_signed_but_malformed_payload_is_forged_never_a_crash(payload):
    """Even a payload signed with the bot's secret (an old or buggy button) is a command or ForgedButton."""
    signed = SIGNER._serializer.dumps(payload)  # signed exactly as the bot signs, clock included
    try:
        command = SIGNER.verify({"signed": signed}, "v")
    except (ForgedButton, ForeignButton):
        return
    assert isinstance(command, (RevokeSession, RevokeAll, RevokeMany, DisableTokens, Cancel))

