"""How long each field of a request from Mattermost can be, from the server's own limits, and the one check
both edges use: a request with a longer field did not come from Mattermost, and is refused with a 4xx and
one short log line that names the field, never its value.

Lengths are counted in characters (a Go ``len`` counts bytes; every capped field but ``text`` is ASCII in
Mattermost, and ``text``'s limit is in runes, which is what Python counts).

Sources: MM ``server/public/model/utils.go`` (``IsValidId``: ids are 26 characters),
``server/public/model/user.go`` (``UserNameMaxLength = 64``), ``server/public/model/channel.go``
(``ChannelNameMaxLength = 64``; a direct message's name is ``<id>__<id>``, 54), ``server/public/model/team.go``
(``TeamNameMaxLength = 64``: ``team_domain`` is the team's name), ``server/public/model/command.go``
(a command's token is a 26-character id, its trigger at most 128 bytes), ``server/public/model/post.go``
(``PostMessageMaxRunesV2 = 16383``, the longest post; the server sets no limit of its own on a command's
text, ``executeCommand`` in ``server/channels/api4/command.go``, so this is a judgement: no ``/sessions``
command comes near it), ``server/public/model/integration_action.go`` (``GenerateTriggerId``: base64 of
``<26>:<26>:<13 digits>:`` and a base64 ECDSA P-256 signature, about 220 characters).
"""
from __future__ import annotations

import logging
from typing import Iterable, Mapping

log = logging.getLogger(__name__)

ID = 26
NAME = 64
TRIGGER_ID = 512  # about 220 with the server's P-256 key: room for a larger key, never for a 30 KB "name"

#: The fields of a slash command's form (``tryExecuteCustomCommand``, MATTERMOST.md §1.2) and their caps. The
#: tokens Mattermost makes are 26 characters; a configured one may be a little longer.
SLASH_FIELDS: Mapping[str, int] = {
    "token": 64, "team_id": ID, "team_domain": NAME, "channel_id": ID, "channel_name": NAME, "user_id": ID,
    "user_name": NAME, "command": 1 + 128, "text": 16383, "trigger_id": TRIGGER_ID, "response_url": 2048,
    "root_id": ID, "user_mentions": NAME, "user_mentions_ids": ID, "channel_mentions": NAME,
    "channel_mentions_ids": ID,
}

#: The longest signed context the bot ever makes: 50 users named by 254-character addresses and 5
#: 64-character channels, with every filter, sign to about 11,100 characters (tests/web/test_limits.py).
SIGNED = 16 * 1024

#: The fields of a click (``PostActionIntegrationRequest``, MATTERMOST.md §2.2) and their caps.
CLICK_FIELDS: Mapping[str, int] = {
    "user_id": ID, "user_name": NAME, "channel_id": ID, "channel_name": NAME, "team_id": ID,
    "team_domain": NAME, "post_id": ID, "trigger_id": TRIGGER_ID, "type": 16, "data_source": 16,
    "selected_option": 1024,
}

#: A whole click: its context plus every other field at its longest, with room for JSON's quoting.
CLICK_BYTES = SIGNED + 4 * 1024


def too_long(fields: Mapping[str, object], caps: Mapping[str, int], *, repeated: bool = False) -> str | None:
    """The first field of ``caps`` that ``fields`` holds as something other than text no longer than its cap
    (``repeated``: a list of such texts, as a form's fields are read); None when all are fine. A missing field
    is fine; fields not in ``caps`` are not looked at."""
    for name, cap in caps.items():
        value = fields.get(name)
        values: Iterable[object] = () if value is None else value if repeated and isinstance(value, list) else (value,)
        if any(not isinstance(item, str) or len(item) > cap for item in values):
            return name
    return None


def refuse(edge: str, field: str, cap: int) -> None:
    """The one log line for a request refused for an over-long field: which field, never what it held."""
    log.warning("refused a %s request: %s is over %d characters (or not text), more than Mattermost ever sends",
                edge, field, cap)
