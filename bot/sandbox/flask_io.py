"""Reading request bodies and writing JSON answers the way the Mattermost server's handlers do."""
from __future__ import annotations

import json
from typing import Any

from flask import Response, g, request

from .ids import is_valid_id
from .wire import JSON_CONTENT_TYPE, go_json, invalid_url_param


def json_response(value: Any, status: int = 200, *, newline: bool = False) -> Response:
    """A JSON answer; ``newline`` adds the ``\\n`` of ``json.NewEncoder(w).Encode``."""
    return Response(go_json(value, newline=newline), status=status, content_type=JSON_CONTENT_TYPE)


def decode_body() -> Any:
    """The first JSON value of the request body, as ``json.NewDecoder(r.Body).Decode`` reads it
    (anything after that value is ignored); ``ValueError`` for an empty or malformed body."""
    text = request.get_data().decode("utf-8", errors="replace").lstrip()
    value, _end = json.JSONDecoder().raw_decode(text)  # raises ValueError, including for ""
    return value


def require_user_id(raw: str) -> str:
    """``c.RequireUserId()``: ``me`` means the caller; anything else must be a valid id."""
    user_id = g.session["user_id"] if raw == "me" else raw
    if not is_valid_id(user_id):
        raise invalid_url_param("user_id")
    return user_id
