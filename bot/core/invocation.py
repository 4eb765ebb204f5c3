"""Who asked for a command, from where, and how (Mattermost vouches for all of it)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Invocation:
    """Who asked, from where, and how (Mattermost vouches for all of it)."""

    caller_id: str
    caller_username: str = ""
    channel_id: str = ""
    team_id: str = ""
    via: Literal["slash", "button"] = "slash"
