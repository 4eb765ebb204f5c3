"""The front door: which requests reach the bot at all, decided before Flask runs, before anything is logged
and before a byte of the body is read.

**The action path holds a secret.** Mattermost posts a click, unsigned, to the URL stored in the button
(../shared/MATTERMOST.md §2.2), and never shows that URL to a client: every post, post list and search result
it sends a client goes through ``StripActionIntegrations`` (MM ``server/public/model/post.go``,
``post_list.go``, ``post_search_results.go``), and an ephemeral post's action reaches the client only inside
its cookie, encrypted with the server's own key (``PostActionCookie``). So the bot serves clicks at
``<actions_path>/<key>`` (``/actions/<key>``), :func:`action_key` being the first 32 hex digits (128 bits) of
HMAC-SHA256(``BOT_SECRET``, ``"sessions-bot/action-path/v1"``): only Mattermost, which stored the buttons,
knows it, and rotating ``BOT_SECRET`` rotates the path. The key is never logged: the access log and the
metrics name the path ``/actions/<key>`` (``bot.ops.accesslog``, the route's rule), and no output of
``sessions-bot`` shows it.

**What each request meets** (:class:`FrontDoor`, in front of the Flask app):

- the action path (compared in constant time): served; the access log writes ``/actions/<key>``;
- a path the app serves (the command, the probes, ``/metrics``): served as always;
- a *retired button address* — a ``POST`` of JSON to ``/actions`` itself (every button made before the path
  had a secret) or to ``/actions/<32 hex digits>`` (buttons made under an earlier ``BOT_SECRET``): the fixed
  answer ``200 {"ephemeral_text": <this button is out of date; run /sessions again>}``, with the body
  unread, nothing logged and nobody called;
- anything else: ``404``, with no access log line, no audit line and the body unread.

**Why old buttons get a 200.** Mattermost shows the clicker nothing when an integration answers anything but
200: ``DoActionRequest`` turns any other status into ``api.post.do_action.action_integration.app_error``
(400, the status only in the detailed error) and ``DoPostActionWithCookie`` returns that before it reads the
body, so no word of the bot's reaches anyone (MM ``server/channels/app/integration_action.go`` @0029e8da);
the webapp's ``doPostActionWithCookie`` logs the error as not displayable (``logError(error)``,
``displayable = false``) and ``MessageAttachment.handleAction`` ignores the result
(``webapp/channels/src/packages/mattermost-redux/src/actions/posts.ts`` and ``.../actions/errors.ts``,
``webapp/channels/src/components/post_view/message_attachments/message_attachment/message_attachment.tsx``):
the button just does nothing. A 404 would fail closed but silently. The fixed 200 fails closed *and* says
why; it holds nothing from the request and does nothing, so answering it to anyone who asks reveals no more
than that a sessions bot lives here. Every path that is not a button address, current or retired, is a 404.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any, Callable, Iterable

from bot.core.errors import RetiredButton
from bot.ops import metrics
from bot.ops.logs import LOGGED_PATH, UNLOGGED
from bot.replies.errors import error_message

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_LABEL = b"sessions-bot/action-path/v1"
KEY_DIGITS = 32
_KEY = re.compile(r"[0-9a-f]{%d}" % KEY_DIGITS)
#: How the action path's key is written wherever the path is logged or counted.
SHOWN_KEY = "<key>"


def action_key(secret: str) -> str:
    """The secret part of the action path: HMAC-SHA256(``secret``, a fixed label), its first 32 hex digits."""
    return hmac.new(secret.encode("utf-8"), _LABEL, hashlib.sha256).hexdigest()[:KEY_DIGITS]


def action_route(actions_path: str, key: str) -> str:
    """The path clicks are served at: the manifest's ``actions_path``, then the key."""
    return f"{actions_path.rstrip('/')}/{key}"


class FrontDoor:
    """WSGI middleware: the action path and the app's own paths go on to ``app``; a retired button address
    gets the fixed "out of date" answer; anything else a 404. Neither of those two is logged or read."""

    def __init__(self, app: WSGIApp, *, served: Iterable[str], actions_path: str, key: str) -> None:
        self._app = app
        self._served = frozenset(served)
        self._prefix = actions_path.rstrip("/")
        self._action = action_route(actions_path, key).encode("latin-1")
        self._logged = action_route(actions_path, SHOWN_KEY)
        self._out_of_date = json.dumps({"ephemeral_text": error_message(RetiredButton())}).encode("utf-8")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if hmac.compare_digest(path.encode("latin-1", "replace"), self._action):
            environ[LOGGED_PATH] = self._logged
            return self._app(environ, start_response)
        if path in self._served:
            return self._app(environ, start_response)
        environ[UNLOGGED] = True
        if self._retired(path, environ):
            metrics.record_refusal("retired_button")
            return _answer(start_response, "200 OK", "application/json", self._out_of_date)
        metrics.record_refusal("unknown_path")
        return _answer(start_response, "404 Not Found", "text/plain; charset=utf-8", b"404 Not Found\n")

    def _retired(self, path: str, environ: dict[str, Any]) -> bool:
        """A click Mattermost sends to an address the bot's buttons once had (``POST``, JSON)."""
        if environ.get("REQUEST_METHOD") != "POST":
            return False
        if environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower() != "application/json":
            return False
        if path == self._prefix:
            return True
        head, _, key = path.rpartition("/")
        return head == self._prefix and _KEY.fullmatch(key) is not None


def _answer(start_response: Callable[..., Any], status: str, content_type: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
