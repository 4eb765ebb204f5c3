"""Test ids that are the same in every process (pytest-xdist collects the suite once per worker, and the
ids must agree)."""
from __future__ import annotations

import dataclasses
import enum
from typing import Any


def stable_repr(value: Any) -> str:
    """``repr(value)``, except that a set's items come sorted: a frozenset's order follows string hashing, which
    Python randomises per process."""
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(stable_repr(item) for item in value)) + "}"
    if isinstance(value, tuple):
        return "(" + ", ".join(stable_repr(item) for item in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(stable_repr(item) for item in value) + "]"
    if isinstance(value, enum.Enum):
        return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ", ".join(f"{field.name}={stable_repr(getattr(value, field.name))}"
                           for field in dataclasses.fields(value) if field.repr)
        return f"{type(value).__name__}({fields})"
    return repr(value)
