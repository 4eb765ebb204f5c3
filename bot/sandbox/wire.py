"""How the stand-in puts bytes on the wire: Go-style JSON and Mattermost's ``AppError``.

Sources: MM ``server/public/model/utils.go`` (``AppError``, ``NewAppError``, ``ToJSON``),
``server/channels/web/context.go`` (the ``Set*Error`` helpers) and ``server/i18n/en.json``
(the English messages).
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

JSON_CONTENT_TYPE = "application/json"

# English messages of the error ids the stand-in can answer with (MM server/i18n/en.json; the
# ids are checked against the server source, some of the newer messages are quoted from memory).
MESSAGES: dict[str, str] = {
    "api.context.404.app_error": "Sorry, we could not find the page.",
    "api.command.duplicate_trigger.app_error": "This trigger word is already in use. Please choose another word.",
    "api.command.execute_command.create_post_failed.app_error": (
        "Command '{Trigger}' failed to post response. Please contact your System Administrator."),
    "api.command.execute_command.not_found.app_error": (
        "Command with a trigger of '{Trigger}' not found. To send a message beginning with \"/\", "
        "try adding an empty space at the beginning of the message."),
    "api.command.team_mismatch.app_error": "Unable to update commands across teams.",
    "app.channel.get.existing.app_error": "Unable to find the existing channel.",
    "app.channel.get_by_name.missing.app_error": "Unable to find the existing channel.",
    "app.channel.get_channels.not_found.app_error": "No channels were found.",
    "app.command_webhook.get.missing": "Unable to find the webhook.",
    "app.command_webhook.try_use.invalid": "Invalid webhook.",
    "app.team.get_by_name.missing.app_error": "Unable to find the existing team.",
    "store.sql_command.save.get.app_error": "Unable to get the command.",
    "api.channel.create_direct_channel.invalid_user.app_error": "Invalid user ID for direct channel creation.",
    "api.context.invalid_body_param.app_error": "Invalid or missing {Name} in request body.",
    "api.context.invalid_param.app_error": "Invalid {Name} parameter.",
    "api.context.invalid_url_param.app_error": "Invalid or missing {Name} parameter in request URL.",
    "api.context.permissions.app_error": "You do not have the appropriate permissions.",
    "api.context.request_body_too_large.app_error": "Unable to process request. Request body too large.",
    "api.context.server_busy.app_error": "Server is busy, non-critical services are temporarily unavailable.",
    "api.context.session_expired.app_error": "Invalid or expired session, please login again.",
    "api.context.token_provided.app_error": "Session is not OAuth but token was provided in the query string.",
    "api.payload.parse.error": "Error parsing the payload.",
    "api.post.create_post.channel_root_id.app_error": "Invalid ChannelId for RootId parameter.",
    "api.post.create_post.root_id.app_error": "Invalid RootId parameter.",
    "api.post.do_action.action_id.app_error": "Unable to find action.",
    "api.post.do_action.action_integration.app_error": "Action integration error.",
    "api.user.get_user_by_email.permissions.app_error": "Unable to get user by email.",
    "app.post.get.app_error": "Unable to get the post.",
    "app.role.get.app_error": "Unable to get role.",
    "app.role.get_by_name.app_error": "Unable to get role.",
    "app.session.get.app_error": "We encountered an error finding the session.",
    "app.user.get_by_username.app_error": (
        "Unable to find an existing account matching your username for this team. "
        "This team may require an invite from the team owner to join."
    ),
    "app.user.missing_account.const": "Unable to find the user.",
    "app.user_access_token.disabled": (
        "User access tokens are disabled on this server. Please contact your system administrator for details."),
    "app.user_access_token.get_by_user.app_error": "Unable to get user access tokens by user.",
    "model.user_access_token.is_valid.description.app_error": "Invalid description, must be 255 or less characters.",
    "model.post.is_valid.message_length.app_error": (
        "Post Message property is longer than the maximum permitted length."),
    "model.post.is_valid.type.app_error": "Invalid type.",
    "web.command_webhook.parse.app_error": "Unable to parse incoming data.",
}


def go_json(value: Any, *, newline: bool = False) -> bytes:
    """Serialise ``value`` the way Go's ``encoding/json`` does.

    Compact separators, keys in the given order (Go keeps struct field order), non-ASCII
    left as UTF-8, and ``<``, ``>``, ``&``, U+2028, U+2029 escaped as Go's HTML-safe
    encoder does. ``newline`` adds the ``\\n`` that ``json.NewEncoder(w).Encode`` writes.
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return (text + ("\n" if newline else "")).encode("utf-8")


_FLOAT64_EXACT = 2**53
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})


def go_parse_bool(text: str) -> bool:
    """``strconv.ParseBool`` with its error ignored, as handlers read flags: only Go's spellings of
    true count, anything else (including a typo) is false."""
    return text in _GO_TRUE


def check_json_types(doc: dict[str, Any], expected: Iterable[tuple[str, type]], what: str) -> None:
    """Go's ``json.Unmarshal`` into a struct: a present, non-``null`` field of another JSON type
    than its Go field is an error (``ValueError`` here)."""
    for key, kind in expected:
        value = doc.get(key)
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            raise ValueError(f"{what}.{key} has the wrong type")


def go_any(value: Any) -> Any:
    """A JSON value as Go hands it on after decoding it into ``any`` (``map[string]any``) and encoding
    it again: object keys sorted at every depth, every number a float64, so ``1.0`` is written ``1``
    and an integer beyond 2**53 loses its low digits. (Exponent notation of tiny and huge floats,
    ``1e-07`` against Go's ``1e-7``, is not imitated.)"""
    if isinstance(value, dict):
        return {key: go_any(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [go_any(item) for item in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _FLOAT64_EXACT:
        return int(float(value))
    return value


@dataclass(frozen=True)
class AppError(Exception):
    """A Mattermost ``*model.AppError`` on its way to the client.

    ``detailed_error`` is wiped by the server unless developer mode is on, so it defaults
    to ``""``; ``params`` fill the ``{{.Name}}``-style placeholders of the message.
    """

    id: str
    status_code: int
    params: tuple[tuple[str, str], ...] = ()
    detailed_error: str = ""

    @property
    def message(self) -> str:
        """The English message for ``id`` (the id itself when untranslated, like Mattermost)."""
        template = MESSAGES.get(self.id)
        return template.format(**dict(self.params)) if template else self.id

    def body(self, request_id: str) -> dict[str, Any]:
        """The JSON object sent to the client, in Go field order; no ``request_id`` when empty."""
        doc: dict[str, Any] = {"id": self.id, "message": self.message, "detailed_error": self.detailed_error}
        if request_id:
            doc["request_id"] = request_id
        doc["status_code"] = self.status_code
        return doc


def invalid_url_param(name: str) -> AppError:
    """``c.SetInvalidURLParam(name)``: 400 ``api.context.invalid_url_param.app_error``."""
    return AppError("api.context.invalid_url_param.app_error", 400, (("Name", name),))


def invalid_body_param(name: str) -> AppError:
    """``c.SetInvalidParam(name)``: 400 ``api.context.invalid_body_param.app_error``."""
    return AppError("api.context.invalid_body_param.app_error", 400, (("Name", name),))


def permission_error() -> AppError:
    """``c.SetPermissionError(...)``: 403 ``api.context.permissions.app_error`` (details wiped)."""
    return AppError("api.context.permissions.app_error", 403)


def session_expired() -> AppError:
    """401 ``api.context.session_expired.app_error``: no, unknown, expired or revoked token."""
    return AppError("api.context.session_expired.app_error", 401)


def not_found_route(path: str) -> AppError:
    """``web.Handle404`` for an API path: its detailed error is *not* wiped and it has no request id."""
    return AppError(
        "api.context.404.app_error", 404,
        detailed_error=(f"There doesn't appear to be an api call for the url='{path}'.  "
                        "Typo? are you missing a team_id or user_id as part of the url?"),
    )
