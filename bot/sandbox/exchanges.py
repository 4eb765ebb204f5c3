"""What the Mattermost stand-in records of every HTTP exchange, for contract checks."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Exchange:
    """One request the stand-in received and the response it sent back.

    ``path`` is the URL path without the query string (e.g. ``/api/v4/users/abc/sessions``);
    ``query`` is the raw query string (may be empty). Header names keep the case they
    arrived or were sent with; look them up case-insensitively.
    """

    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    notes: tuple[str, ...] = field(default=())
