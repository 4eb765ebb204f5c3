"""Mattermost-style identifiers: ``NewId()``, ``IsValidId()``, ``IsValidTeamName()`` and
``IsValidChannelIdentifier()`` (MM ``server/public/model/utils.go``, ``team.go``, ``channel.go``)."""
from __future__ import annotations

import base64
import random
import re

ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769"
_STD_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_MATTERMOST = str.maketrans(_STD_BASE32, ALPHABET)
_TEAM_NAME = re.compile(r"[a-z0-9]+([a-z\-0-9]+|(__)?)[a-z0-9]+")  # validAlphaNum
_CHANNEL_NAME = re.compile(r"[a-z0-9]+([a-z\-_0-9]+|(__)?)[a-z0-9]+")  # validAlphaNumHyphenUnderscore
TEAM_NAME_MAX_LENGTH = 64


def new_id(rng: random.Random) -> str:
    """Return a 26-character id the way ``model.NewId()`` builds one.

    Mattermost encodes a random (version 4) UUID in base32 with the lowercase alphabet
    ``ybndrfg8ejkmcpqxot1uwisza345h769`` and no padding. The UUID bits come from ``rng``,
    so a seeded ``random.Random`` gives a reproducible sequence.
    """
    raw = bytearray(rng.getrandbits(128).to_bytes(16, "big"))
    raw[6] = (raw[6] & 0x0F) | 0x40  # UUID version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return base64.b32encode(bytes(raw)).decode("ascii").rstrip("=").translate(_TO_MATTERMOST)


def is_valid_id(value: str) -> bool:
    """Tell whether ``value`` passes ``model.IsValidId``.

    Go's ``len`` counts UTF-8 bytes, so the check is "26 bytes, every rune a Unicode letter
    or number": case is not checked and non-ASCII letters are accepted (within 26 bytes).
    """
    if len(value.encode("utf-8")) != 26:
        return False
    return all(ch.isalpha() or ch.isnumeric() for ch in value)


def is_valid_team_name(value: str) -> bool:
    """Tell whether ``value`` passes ``model.IsValidTeamName``: lowercase letters, digits and inner
    hyphens (or one inner ``__``), 2 to 64 characters."""
    return len(value) <= TEAM_NAME_MAX_LENGTH and _TEAM_NAME.fullmatch(value) is not None


def is_valid_channel_name(value: str) -> bool:
    """Tell whether ``value`` passes ``model.IsValidChannelIdentifier``: lowercase letters, digits,
    inner hyphens and underscores (a direct channel's ``<id>__<id>`` included)."""
    return _CHANNEL_NAME.fullmatch(value) is not None
