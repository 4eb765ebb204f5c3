"""Filters and durations in words (pure): "mobile app sessions inactive for more than 7 days"."""
from __future__ import annotations

from bot.core.filters import Duration, Platform, SessionFilter

_UNIT_NAMES = {"m": "minute", "h": "hour", "d": "day", "w": "week"}
_PLATFORM_LABELS = {Platform.WEB: "web browser", Platform.DESKTOP: "desktop app", Platform.MOBILE: "mobile app",
                    Platform.API: "API token"}


def describe_duration(duration: Duration) -> str:
    """The duration in words, e.g. "30 days" or "1 hour"."""
    return f"{duration.amount} {_UNIT_NAMES[duration.unit]}{'' if duration.amount == 1 else 's'}"


def describe_filter(wanted: SessionFilter) -> str:
    """The filter in words, as a plural noun phrase, e.g. "mobile app sessions inactive for more than 7 days"."""
    if wanted.is_empty:
        return "all sessions"
    noun = " or ".join(_PLATFORM_LABELS[p] for p in wanted.ordered_platforms())
    conditions = []
    if wanted.older_than is not None:
        conditions.append(f"signed in more than {describe_duration(wanted.older_than)} ago")
    if wanted.inactive is not None:
        conditions.append(f"inactive for more than {describe_duration(wanted.inactive)}")
    return " ".join(part for part in (noun, "sessions", " and ".join(conditions)) if part)
