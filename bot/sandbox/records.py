"""Copies of the stand-in's records, which are JSON-shaped: dicts, lists, strings, numbers, booleans, None.

The world hands out copies of everything (so no caller can change it behind its lock), and it does so on
every read: ``copy.deepcopy`` spends most of its time on bookkeeping these values never need (memo of shared
objects, reductors). :func:`copied` walks the shapes a record can have and copies exactly those; anything
else, which no record should hold, still goes to ``copy.deepcopy``.
"""
from __future__ import annotations

import copy
from typing import TypeVar

T = TypeVar("T")

_ATOMS = (str, int, float, bool, type(None), bytes)


def copied(value: T) -> T:
    """A deep copy of a JSON-shaped ``value`` (tuples and sets of such values too)."""
    if isinstance(value, _ATOMS):
        return value
    if isinstance(value, dict):
        return {key: copied(item) for key, item in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [copied(item) for item in value]  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(copied(item) for item in value)  # type: ignore[return-value]
    if isinstance(value, (set, frozenset)):
        return type(value)(copied(item) for item in value)  # type: ignore[return-value]
    return copy.deepcopy(value)
