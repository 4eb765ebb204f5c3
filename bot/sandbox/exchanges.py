"""What the Mattermost stand-in records of every HTTP exchange, for contract checks."""
from __future__ import annotations

from dataclasses import dataclass, field

#: A response header a handler sets (and the server strips) when Mattermost itself answers outside its API
#: description there; its value becomes one of the exchange's ``notes``, so the contract check passes it by.
DEPARTURE_HEADER = "X-Sandbox-Departure"


@dataclass(frozen=True)
class Exchange:
    """One request the stand-in received and the response it sent back.

    ``path`` is the URL path without the query string (e.g. ``/api/v4/users/abc/sessions``);
    ``query`` is the raw query string (may be empty). Header names keep the case they
    arrived or were sent with; look them up case-insensitively. ``notes`` say why the exchange is not one the API
    description covers (a fault injected, a dropped connection, a departure of the server's own).
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
