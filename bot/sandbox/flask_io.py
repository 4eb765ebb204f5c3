"""Reading request bodies and parameters and writing JSON answers the way the Mattermost server's handlers do.

Sources: MM ``server/public/model/utils.go`` (``MapFromJSON``), ``server/channels/web/params.go`` @022fa192
(``ParamsFromRequest``: ``page``, ``per_page``, ``getPerPageFromQuery``) and ``web/context.go``
(``RequireUserId``).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from flask import Response, g, request

from .ids import is_valid_id
from .wire import (
    JSON_CONTENT_TYPE,
    check_json_types,
    go_json,
    invalid_body_param,
    invalid_url_param,
)


def json_response(value: Any, status: int = 200, *, newline: bool = False) -> Response:
    """A JSON answer; ``newline`` adds the ``\\n`` of ``json.NewEncoder(w).Encode``."""
    return Response(go_json(value, newline=newline), status=status, content_type=JSON_CONTENT_TYPE)


def decode_body() -> Any:
    """The first JSON value of the request body, as ``json.NewDecoder(r.Body).Decode`` reads it
    (anything after that value is ignored); ``ValueError`` for an empty or malformed body."""
    text = request.get_data().decode("utf-8", errors="replace").lstrip()
    value, _end = json.JSONDecoder().raw_decode(text)  # raises ValueError, including for ""
    return value


def struct_body(fields: Iterable[tuple[str, type]], name: str) -> dict[str, Any]:
    """``json.NewDecoder(r.Body).Decode(&value)`` into a Go struct: the body's first JSON value, which must
    be an object whose listed ``fields`` have their Go types (``null`` is the empty struct); anything else
    is 400 invalid ``name`` (``c.SetInvalidParamWithErr``)."""
    try:
        value = decode_body()
        body = {} if value is None else value
        if not isinstance(body, dict):
            raise ValueError(f"{name} is not an object")
        check_json_types(body, fields, name)
    except ValueError:
        raise invalid_body_param(name) from None
    return body


def require_user_id(raw: str) -> str:
    """``c.RequireUserId()``: ``me`` means the caller; anything else must be a valid id."""
    user_id = g.session["user_id"] if raw == "me" else raw
    if not is_valid_id(user_id):
        raise invalid_url_param("user_id")
    return user_id


def body_map() -> dict[str, str]:
    """``model.MapFromJSON``: the string values of a JSON object body; anything else is ``{}``."""
    try:
        doc = json.loads(request.get_data() or b"null")
    except ValueError:
        return {}
    return {k: v for k, v in doc.items() if isinstance(v, str)} if isinstance(doc, dict) else {}


PAGE_DEFAULT = 0
PER_PAGE_DEFAULT = 60
PER_PAGE_MAXIMUM = 200
_GO_INT = re.compile(r"[+-]?[0-9]+")
_INT64_MAX = 2**63 - 1


def _go_atoi(text: str) -> int | None:
    """``strconv.Atoi`` on a 64-bit server: an optional sign and ASCII digits, within int64; else ``None``."""
    if not _GO_INT.fullmatch(text):
        return None
    value = int(text)
    return value if -_INT64_MAX - 1 <= value <= _INT64_MAX else None


def page_params() -> tuple[int, int]:
    """``c.Params.Page`` and ``c.Params.PerPage``: a missing, malformed or negative ``page`` is 0; a
    missing or malformed ``per_page`` falls back to ``pageSize`` (an old mobile-app spelling), a negative
    one is 60, and anything above 200 is cut to 200. Never an error."""
    page = _go_atoi(request.args.get("page", ""))
    per_page = _go_atoi(request.args.get("per_page", ""))
    if per_page is None:
        per_page = _go_atoi(request.args.get("pageSize", ""))
    return (PAGE_DEFAULT if page is None or page < 0 else page,
            PER_PAGE_DEFAULT if per_page is None or per_page < 0 else min(per_page, PER_PAGE_MAXIMUM))
