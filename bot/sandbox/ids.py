"""Mattermost-style identifiers: ``NewId()`` and ``IsValidId()`` (MM ``server/public/model/utils.go``)."""
from __future__ import annotations

import base64
import random

ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769"
_STD_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_MATTERMOST = str.maketrans(_STD_BASE32, ALPHABET)


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
