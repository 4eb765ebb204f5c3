"""Buttons: sign what a button does for the user it is shown to, check it on click, and write Mattermost JSON.

Mattermost does not sign button callbacks, and any user can post a message whose button sends the
bot any context (../shared/MATTERMOST.md §2.3). So a button's context is one opaque string: the
command it runs and the user it was shown to, signed with ``BOT_SECRET`` and timestamped
(itsdangerous). A click is honoured only when the signature holds, the button is younger than its
lifetime and the clicker is the user it was made for; the command then runs from scratch, with
today's permissions. Nothing is stored, so any replica can serve any click.

A button also carries the team of the command that made it (``team``, signed with the rest): Mattermost
sends ``team_id ""`` for a click in a direct or group message (``DoPostActionWithCookie`` sets the
request's ``TeamId`` from the post's channel, and "Direct and group channels won't have teams"; MM
``server/channels/app/integration_action.go`` @0029e8da), while the command typed there came with the
team the user was in (``executeCommand``, ``server/channels/api4/command.go`` @01e8aa55). A ``~channel``
is looked up again in that team when the click comes. A context signed before buttons carried a team
reads as one without it (the click's own team: nothing is looked up anywhere else); a ``team`` that is not
a Mattermost id (or empty) is not one the bot signed.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Literal

from itsdangerous import (
    BadData,
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeTimedSerializer,
)
from itsdangerous.encoding import base64_decode, base64_encode

from bot.core.commands import (
    Cancel,
    ChannelRef,
    Command,
    DisableTokens,
    RevokeAll,
    RevokeMany,
    RevokeSession,
    UserRef,
)
from bot.core.errors import ExpiredButton, ForeignButton, ForgedButton
from bot.core.filters import Duration, Platform, SessionFilter
from bot.core.model import is_id
from bot.replies.values import Attachment

#: How long a button works after it was shown.
BUTTON_LIFETIME_S = 15 * 60
_SALT = "sessions-bot/button/v1"
#: What ``sign`` writes: URL-safe base64 payload (``.``-led when compressed), timestamp and signature.
_SIGNED = re.compile(r"\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def _target_json(target: UserRef | None) -> list[str] | None:
    return None if target is None else [target.value, target.text]


def _filter_json(wanted: SessionFilter) -> dict[str, Any]:
    """The filter as JSON: platform names, and each duration as [amount, unit]; only what is set."""
    data: dict[str, Any] = {}
    if wanted.platforms:
        data["platform"] = sorted(p.value for p in wanted.platforms)
    for key, duration in (("older_than", wanted.older_than), ("inactive", wanted.inactive)):
        if duration is not None:
            data[key] = [duration.amount, duration.unit]
    return data


def _filter_from(data: dict[str, Any]) -> SessionFilter:
    """The filter ``_filter_json`` wrote; ValueError (or TypeError) when it is not one."""
    def duration(key: str) -> Duration | None:
        raw = data.get(key)
        return None if raw is None else Duration(int(raw[0]), str(raw[1]))

    platforms = frozenset(Platform(str(name)) for name in data.get("platform", []))
    return SessionFilter(platforms, duration("older_than"), duration("inactive"))


def _extras(wanted: SessionFilter, tokens: bool) -> dict[str, Any]:
    """What a revoke-all button carries beyond its targets, only when set (so older buttons read the same)."""
    return ({} if wanted.is_empty else {"filter": _filter_json(wanted)}) | ({"tokens": True} if tokens else {})


def _encode(command: Command) -> dict[str, Any]:
    """The JSON a button carries for ``command``; ``revoke-all --everyone`` has none: only a typed code runs it."""
    match command:
        case RevokeSession(session=session, target=target):
            return {"do": "revoke", "session": session, "target": _target_json(target)}
        case RevokeAll(target=target, confirmed=confirmed, filter=wanted, tokens=tokens):
            return {"do": "revoke-all", "yes": confirmed, "target": _target_json(target), **_extras(wanted, tokens)}
        case RevokeMany(users=users, channels=channels, confirmed=confirmed, filter=wanted, tokens=tokens):
            return {"do": "revoke-many", "yes": confirmed, "users": [[u.kind, u.value, u.text] for u in users],
                    "channels": [[c.value, c.text] for c in channels], **_extras(wanted, tokens)}
        case DisableTokens(target=target, confirmed=confirmed):
            return {"do": "disable-tokens", "yes": confirmed, "target": _target_json(target)}
        case Cancel():
            return {"do": "cancel"}
    raise ValueError(f"no button runs {command!r}")


def _decode(data: dict[str, Any]) -> Command:
    raw = data.get("target")
    target = None if raw is None else UserRef("id", str(raw[0]), str(raw[1]))
    match data.get("do"):
        case "revoke":
            return RevokeSession(session=str(data["session"]), target=target)
        case "revoke-all":  # buttons made before filters (or tokens) existed carry no "filter" ("tokens")
            return RevokeAll(target=target, confirmed=bool(data["yes"]), filter=_filter_from(data.get("filter", {})),
                             tokens=_tokens_from(data))
        case "revoke-many":
            users = tuple(UserRef(_user_kind(kind), str(value), str(text)) for kind, value, text in data["users"])
            channels = tuple(ChannelRef(str(value), str(text)) for value, text in data["channels"])
            return RevokeMany(users, channels, bool(data["yes"]), _filter_from(data.get("filter", {})),
                              tokens=_tokens_from(data))
        case "disable-tokens":
            return DisableTokens(target=target, confirmed=bool(data["yes"]))
        case "cancel":
            return Cancel()
    raise ValueError("unknown button")


def _tokens_from(data: dict[str, Any]) -> bool:
    """A button's ``tokens`` flag: absent is False; anything but a JSON boolean is not one of the bot's."""
    tokens = data.get("tokens", False)
    if not isinstance(tokens, bool):
        raise ValueError("tokens is not a boolean")
    if tokens and data.get("filter"):
        raise ValueError("--tokens never goes with a filter")
    return tokens


def _canonical(signed: str) -> bool:
    """True when ``signed`` is exactly as ``sign`` writes it. itsdangerous alone also accepts altered copies: it
    skips characters that are not URL-safe base64 in the signature and ignores the spare bits of its last digit."""
    if not _SIGNED.fullmatch(signed):
        return False
    signature = signed.rpartition(".")[2]
    try:
        return base64_encode(base64_decode(signature)) == signature.encode("ascii")
    except BadData:
        return False


def _user_kind(kind: object) -> Literal["username", "email", "id"]:
    if kind not in ("username", "email", "id"):
        raise ValueError("unknown kind of user reference")
    return kind  # type: ignore[return-value]


@dataclass(frozen=True)
class SignedClick:
    """What a verified click may run: the command, and the team of the command that made the button
    (None for a button signed before buttons carried one)."""

    command: Command
    team_id: str | None


class ButtonSigner:
    """Signs a button's command for one viewer (and the team it was made in); verifies a click's context for
    the clicker."""

    def __init__(self, secret: str, *, max_age_s: int = BUTTON_LIFETIME_S, clock: Callable[[], float] = time.time) -> None:
        signer = type("ClockedSigner", (TimestampSigner,), {"get_timestamp": lambda _self: int(clock())})
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT, signer=signer)
        self.max_age_s = max_age_s

    def sign(self, viewer_id: str, command: Command, team_id: str = "") -> str:
        """An opaque context value: ``command`` for ``viewer_id``, made in ``team_id`` (when known), timestamped now."""
        payload: dict[str, Any] = {"for": viewer_id, "run": _encode(command)}
        if team_id:
            payload["team"] = team_id
        return str(self._serializer.dumps(payload))

    def verify(self, context: object, clicker_id: str) -> Command:
        """The command a click may run; raises ForgedButton, ExpiredButton or ForeignButton."""
        return self.verified(context, clicker_id).command

    def verified(self, context: object, clicker_id: str) -> SignedClick:
        """The command a click may run and the team it was made in; raises ForgedButton, ExpiredButton or
        ForeignButton."""
        signed = context.get("signed") if isinstance(context, dict) else None
        # What the bot signs is URL-safe ASCII, in one form only; JSON can carry anything, "\ud800" included.
        if not isinstance(signed, str) or not signed.isascii() or not _canonical(signed):
            raise ForgedButton()
        try:
            payload = self._serializer.loads(signed, max_age=self.max_age_s)
        except SignatureExpired:
            raise ExpiredButton(self.max_age_s) from None
        except BadSignature:
            raise ForgedButton() from None
        if not isinstance(payload, dict):
            raise ForgedButton()
        if payload.get("for") != clicker_id:
            raise ForeignButton()
        team_id = payload.get("team")
        if team_id is not None and not is_id(team_id):
            raise ForgedButton()
        try:
            return SignedClick(_decode(payload["run"]), team_id)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError):
            raise ForgedButton() from None


def attachments_json(attachments: tuple[Attachment, ...], viewer_id: str, signer: ButtonSigner, action_url: str,
                     team_id: str = "") -> list[dict[str, Any]]:
    """Mattermost's attachment JSON, each button carrying its command signed for ``viewer_id`` in ``team_id``."""
    return [
        {
            "title": a.title,
            "text": a.text,
            "fields": [{"title": title, "value": value, "short": True} for title, value in a.fields],
            "actions": [
                {
                    "type": "button",
                    "name": b.label,
                    "style": b.style,
                    "integration": {"url": action_url, "context": {"signed": signer.sign(viewer_id, b.command, team_id)}},
                }
                for b in a.buttons
            ],
        }
        for a in attachments
    ]
