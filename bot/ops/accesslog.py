"""gunicorn's access log, as the front door (``bot.web.gate``) wants it: nothing at all for a request the bot
does not serve (a wrong path is answered 404 before anything is logged), and, for the button endpoint, the
path with its secret replaced (``/actions/<key>``), in every field that could show it (``%(U)s``, the request
line ``%(r)s``, any ``%({…}e)s`` of the environ).

``gunicorn.conf.py`` names :class:`AccessLog` as its ``logger_class``. The front door marks each request in
its WSGI environ (``bot.ops.logs.LOGGED_PATH`` / ``UNLOGGED``); this class only reads the marks.
"""
from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from bot.ops.logs import LOGGED_PATH, UNLOGGED


class AccessLog(Logger):
    """gunicorn's logger, writing no access line for unserved requests and no secret path for served ones."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        """gunicorn's access line, unless the front door marked the request as not to be logged."""
        if environ.get(UNLOGGED):
            return
        super().access(resp, req, environ, request_time)

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        """gunicorn's fields for the access line, with the request's real path (and raw URI, query included)
        replaced by the path the front door says to log."""
        atoms = super().atoms(resp, req, environ, request_time)
        logged = environ.get(LOGGED_PATH)
        if not logged:
            return atoms
        hidden = [text for text in (environ.get("RAW_URI"), environ.get("PATH_INFO")) if text]
        for name, value in atoms.items():
            if isinstance(value, str):
                for text in hidden:
                    value = value.replace(text, logged)
                atoms[name] = value
        return atoms
