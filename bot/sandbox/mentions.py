"""Whom a stored post notifies by mentioning them, decided as the server decides it when it sends the post's
notifications (the parser is pure; :class:`Mentions`, mixed into ``World``, keeps the verdict of every post).

Sources, MM ``server/channels/app``:

- ``notification.go``: ``SendNotifications`` → ``getExplicitMentionsAndKeywords``: in a direct message the other
  member is always mentioned, in a group message every member; elsewhere the keywords of the channel's members
  (``getMentionKeywordsInChannel``) are looked for in the post by ``getExplicitMentions``, which reads the message
  and each attachment's pretext, text and field values (``getMentionsEnabledFields``); ``@channel``/``@all``/
  ``@here`` count only when ``allowChannelMentions`` (the poster holds ``use_channel_mentions`` in the channel and it
  has fewer than ``TeamSettings.MaxNotificationsPerChannel``, default 1000, members); the poster never mentions
  themself unless the post is from a webhook.
- ``mention_keywords.go`` ``MentionKeywords.AddUser``: ``@username`` (lower case), every comma-separated
  ``mention_keys`` entry (trimmed, lower case: ``User.GetMentionKeys``; the webapp's "non case-sensitive
  username" box stores the bare username there), the first name, case-sensitive, when ``first_name`` is
  ``"true"``, and ``@channel``/``@all``/``@here`` when the member's ``channel`` prop is ``"true"``.
- ``mention_parser_standard.go`` ``StandardMentionParser.ProcessText`` and ``checkForMention``: how a run of text
  is cut into words and each word (and the word without trailing ``.-:_``, and its parts between ``.-:``) is
  matched against the keywords.
- ``server/public/shared/markdown``: ``inspect.go`` ``Inspect`` — ``getExplicitMentions`` hands the parser only
  ``*markdown.Text`` nodes, so the text of a code span (a ``*markdown.CodeSpan``) is never read; ``inlines.go``
  ``parseBackticks`` — a code span opened by N backticks ends at the next run of exactly N backticks, and an
  opening run that never closes is plain text; ``parseEscapeCharacter`` — ``\\@`` is the text ``@``.

The stand-in reads everything that is not a code span as text, where the server also skips fenced and indented
code blocks, link destinations and autolinks: it may find mentions the server would not, so a post it finds
mentioning nobody mentions nobody on the server either (the nodes it does not split at begin and end with
characters that cannot be part of a word, except autolinks).
``@here`` notifies only members who are online; the stand-in has no statuses and counts every member.
Group mentions (a licensed feature) are not modelled.
"""
from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .records import copied

Record = dict[str, Any]

#: ``TeamSettings.MaxNotificationsPerChannel`` default.
MAX_NOTIFICATIONS_PER_CHANNEL = 1000
USE_CHANNEL_MENTIONS = "use_channel_mentions"
CHANNEL_WIDE = ("@here", "@channel", "@all")
_ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")  # isEscapableByte: ASCII punctuation


@dataclass(frozen=True)
class Verdict:
    """What the server makes of a post's mentions: whom it notifies (``user_ids``), and which of ``@here``,
    ``@channel``, ``@all`` it found as words (``channel_wide``, whether or not they were allowed to notify)."""

    user_ids: frozenset[str]
    channel_wide: frozenset[str]

    @property
    def notifies_anyone(self) -> bool:
        return bool(self.user_ids)


def text_runs(markdown: str) -> list[str]:
    """The runs of text the mention parser reads: everything but code spans, which end a run, escapes undone."""
    runs, run, i = [], [], 0
    while i < len(markdown):
        char = markdown[i]
        if char == "\\" and i + 1 < len(markdown) and markdown[i + 1] in _ESCAPABLE:
            run.append(markdown[i + 1])
            i += 2
        elif char == "`":
            end = _code_span_end(markdown, i)
            if end is None:  # an opening run that never closes is text
                count = _run_length(markdown, i)
                run.append("`" * count)
                i += count
            else:
                runs.append("".join(run))
                run = []
                i = end
        else:
            run.append(char)
            i += 1
    runs.append("".join(run))
    return [r for r in runs if r]


def _run_length(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] == "`":
        end += 1
    return end - start


def _code_span_end(text: str, start: int) -> int | None:
    """``parseBackticks``: where the code span opened at ``start`` ends (after its closing run), or None."""
    count = _run_length(text, start)
    opening = "`" * count
    search = start + count
    while search < len(text):
        found = text.find(opening, search)
        if found == -1:
            return None
        if found + count < len(text) and text[found + count] == "`":
            search = found + count
            while search < len(text) and text[search] == "`":
                search += 1
            continue
        return found + count
    return None


def _is_word_char(char: str) -> bool:
    return char in ":.-_@" or char.isalpha() or unicodedata.category(char).startswith("N")


def _words(text: str) -> list[str]:
    """``strings.FieldsFunc`` with ``ProcessText``'s rule: a word is letters, numbers and ``:.-_@``."""
    words, word = [], []
    for char in text:
        if _is_word_char(char):
            word.append(char)
        elif word:
            words.append("".join(word))
            word = []
    if word:
        words.append("".join(word))
    return words


class _Parser:
    """``StandardMentionParser``: the keywords (word → user ids) found in the runs of text it is given."""

    def __init__(self, keywords: Mapping[str, frozenset[str]]) -> None:
        self.keywords = keywords
        self.mentioned: set[str] = set()
        self.channel_wide: set[str] = set()

    def check(self, word: str) -> bool:
        """``checkForMention``."""
        if word.lower() in CHANNEL_WIDE:
            self.channel_wide.add(word.lower())
        for key in (word.lower(), word):
            if key in self.keywords:
                self.mentioned.update(self.keywords[key])
                return True
        return False

    def process(self, text: str) -> None:
        """``ProcessText``."""
        for word in _words(text):
            if word[0] == ":" and word[-1] == ":":
                continue  # taken for an emoji
            word = word.lstrip(":.-_")
            if self.check(word):
                continue
            trimmed, found = word, False
            while trimmed and trimmed[-1] in ".-:_":
                trimmed = trimmed[:-1]
                if self.check(trimmed):
                    found = True
                    break
            if found:
                continue
            if not (word.startswith("@") and word not in CHANNEL_WIDE) and any(c in word for c in ".-:"):
                for part in (p for p in _split_any(word, ".-:") if p):
                    self.check(part)
            if len(word) != len(word.encode()):  # isKeywordMultibyte
                for key in (k for k in self.keywords if len(k) != len(k.encode()) and k in word):
                    self.mentioned.update(self.keywords[key])


def _split_any(word: str, separators: str) -> list[str]:
    parts, part = [], []
    for char in word:
        if char in separators:
            parts.append("".join(part))
            part = []
        else:
            part.append(char)
    parts.append("".join(part))
    return parts


def keywords_of(members: Iterable[Record], *, channel_mentions: bool) -> dict[str, frozenset[str]]:
    """``MentionKeywords.AddUser`` for each member (user records with ``notify_props``)."""
    found: dict[str, set[str]] = {}
    for user in members:
        props = user.get("notify_props") or {}
        keys = ["@" + user["username"].lower()]
        keys += [key.strip().lower() for key in str(props.get("mention_keys", "")).split(",") if key.strip()]
        if props.get("first_name") == "true" and user.get("first_name"):
            keys.append(user["first_name"])
        if channel_mentions and props.get("channel") == "true":
            keys += list(CHANNEL_WIDE)
        for key in keys:
            found.setdefault(key, set()).add(user["id"])
    return {key: frozenset(ids) for key, ids in found.items()}


def mention_fields(post: Record) -> list[str]:
    """``getMentionsEnabledFields``: the message, then each attachment's pretext, text and string field values."""
    fields = [post.get("message") or ""]
    for attachment in (post.get("props") or {}).get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        fields += [attachment[k] for k in ("pretext", "text") if isinstance(attachment.get(k), str) and attachment[k]]
        fields += [f["value"] for f in attachment.get("fields") or []
                   if isinstance(f, dict) and isinstance(f.get("value"), str) and f["value"]]
    return fields


def explicit_mentions(post: Record, keywords: Mapping[str, frozenset[str]]) -> Verdict:
    """``getExplicitMentions``: the members whose keywords the post's text (never its code spans) contains."""
    parser = _Parser(keywords)
    for field in mention_fields(post):
        for run in text_runs(field):
            parser.process(run)
    return Verdict(frozenset(parser.mentioned), frozenset(parser.channel_wide))


class Mentions:
    """The mention verdict of every stored post (mixed into ``World``; :meth:`_judge_mentions` is called by
    ``create_post``)."""

    _lock: threading.RLock
    _users: dict[str, Record]
    _channels: dict[str, Record]
    _channel_members: dict[str, dict[str, str]]

    def _init_mentions(self) -> None:
        self._verdicts: dict[str, Verdict] = {}

    def has_channel_permission(self, session: Record, channel_id: str, permission: str) -> bool:  # pragma: no cover
        raise NotImplementedError  # provided by Messaging

    def set_notify_props(self, username: str, **props: str) -> None:
        """Change a user's notification settings (``mention_keys``, ``first_name``, ``channel``, ...), as the
        webapp's Settings → Notifications does."""
        with self._lock:
            user = next(u for u in self._users.values() if u["username"] == username)
            user["notify_props"].update(props)

    def mentions_in(self, post_id: str) -> Verdict:
        """Whom the stored post notified by mentioning them when it was created (``KeyError``: no such post)."""
        with self._lock:
            return self._verdicts[post_id]

    def _judge_mentions(self, post: Record) -> None:
        """``getExplicitMentionsAndKeywords`` for a post just stored, with the channel as it is now."""
        channel = self._channels[post["channel_id"]]
        member_ids = list(self._channel_members[post["channel_id"]])
        poster = post["user_id"]
        if channel["type"] in ("D", "G"):  # every member (the poster is taken out below, as the server does)
            verdict = Verdict(frozenset(member_ids), frozenset())
        else:
            session = {"user_id": poster, "roles": self._users[poster]["roles"]}
            allowed = (self.has_channel_permission(session, channel["id"], USE_CHANNEL_MENTIONS)
                       and len(member_ids) < MAX_NOTIFICATIONS_PER_CHANNEL)
            members = [copied(self._users[m]) for m in member_ids]
            verdict = explicit_mentions(post, keywords_of(members, channel_mentions=allowed))
        if (post.get("props") or {}).get("from_webhook") != "true":
            verdict = Verdict(verdict.user_ids - {poster}, verdict.channel_wide)
        self._verdicts[post["id"]] = verdict
