"""Reading request bodies and writing JSON answers the way the Mattermost server's handlers do."""
from __future__ import annotations

import json
from typing import Any

from flask import Response, request

from .wire import JSON_CONTENT_TYPE, go_json


def json_response(value: Any, status: int = 200, *, newline: bool = False) -> Response:
    """A JSON answer; ``newline`` adds the ``\\n`` of ``json.NewEncoder(w).Encode``."""
    return Response(go_json(value, newline=newline), status=status, content_type=JSON_CONTENT_TYPE)


def decode_body() -> Any:
    """The first JSON value of the request body, as ``json.NewDecoder(r.Body).Decode`` reads it
    (anything after that value is ignored); ``ValueError`` for an empty or malformed body."""
    text = request.get_data().decode("utf-8", errors="replace").lstrip()
    value, _end = json.JSONDecoder().raw_decode(text)  # raises ValueError, including for ""
    return value
