"""HTTP fuzz of the bot's own endpoints: raw requests from ``requests`` to the real app served on loopback.

One bot (buttons, an audit channel and ``METRICS_TOKEN`` on) and one Mattermost stand-in serve the whole
module. Hypothesis draws methods, paths, content types (form, JSON, multipart, text, none, odd charsets),
missing, duplicated and oversized form fields, bodies around the 64 KiB limit (with a length or chunked),
invalid UTF-8, invalid and deeply nested JSON, JSON of the wrong types, forged and replayed button
contexts, and odd headers (``Authorization`` variants, big headers, request ids, ``Host``).

What must hold for every request:

- the answer is a 4xx (a bare ``"<code> <name>\\n"``, never a detail) or a 200 of the route's own shape
  (the slash route: JSON with ``response_type`` ``ephemeral``; the button route, ``/actions/<key>`` with the
  key derived from ``BOT_SECRET``: ``ephemeral_text`` or ``{}``),
  never a 5xx, a redirect, or the "something went wrong" message that means the bot hit a bug;
- where the request is well-formed enough to say, the exact status (405, 415, 413, 401, 400 or 200);
- nothing is ever revoked or disabled in the stand-in;
- a request carrying no valid credential (the slash route: no valid command token; the button route: no
  context the bot signed for the clicker) causes no call to the stand-in at all. ``/readyz`` is the one
  designed exception: it asks ``GET /api/v4/users/me``, at most once per cache period;
- another host named in a form (``response_url``) never hears from the bot.

``test_every_registered_route_is_fuzzed`` (last) checks the app's own route table against :data:`ROUTES`,
so a route added without a fuzz oracle fails the suite; it also reads what the fuzz tests before it sent, which
holds because a module runs in one process, in order (``--dist loadscope``, in ``pyproject.toml``). ``HYPOTHESIS_PROFILE=deep`` runs 2,000 examples
per test; ``--hypothesis-show-statistics`` prints the counts and what kinds of request were drawn.
"""
from __future__ import annotations

import base64
import http.client
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from flask import Flask, Response, request
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from itsdangerous import URLSafeTimedSerializer
from urllib3 import encode_multipart_formdata
from werkzeug.http import HTTP_STATUS_CODES

from bot.core.commands import (
    Cancel,
    DisableTokens,
    RevokeAll,
    RevokeMany,
    RevokeSession,
    UserRef,
    is_revoking,
)
from bot.core.errors import ExpiredButton, ForeignButton, ForgedButton
from bot.core.parse import parse
from bot.ops.manifest import load_manifest
from bot.ops.metrics import METRICS_PATH
from bot.replies.errors import error_message
from bot.sandbox import SandboxServer, World
from bot.sandbox.background import BackgroundServer
from bot.web import limits
from bot.web.app import MAX_REQUEST_BYTES, create_app
from bot.web.buttons import ButtonSigner
from bot.web.gate import action_key, action_route
from bot.web.readiness import READY_CACHE_SECONDS
from tests.support.contract import (
    ContractUnavailable,
    assert_exchanges_match_contract,
    load_contract,
)
from tests.support.settings import BOT_SECRET, COMMAND_TOKEN, bot_settings

MANIFEST = load_manifest()
SLASH = MANIFEST.url_path
#: Where the bot serves clicks (the secret path), and the rule it registers for it (what the metrics name).
ACTIONS = action_route(MANIFEST.actions_path, action_key(BOT_SECRET))
ACTIONS_RULE = action_route(MANIFEST.actions_path, "<key>")
METRICS_TOKEN = "metrics-token-for-the-fuzz-0123456789"

#: Every route the app serves and the methods it answers (HEAD comes with GET). The route-table test
#: below fails when the app registers anything else, so every route has an oracle here.
ROUTES: dict[str, frozenset[str]] = {
    SLASH: frozenset({"POST"}),
    ACTIONS: frozenset({"POST"}),
    "/healthz": frozenset({"GET", "HEAD"}),
    "/readyz": frozenset({"GET", "HEAD"}),
    METRICS_PATH: frozenset({"GET", "HEAD"}),
}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "BREW")
UNKNOWN_PATHS = (
    "/", "/slash", "/slash/sessions/", "/slash//sessions", "/slash/./sessions/", "/SLASH/SESSIONS", "/actions/",
    "/actions/x", "/healthz/", "/metrics/", "/static/app.js", "/api/v4/users/me", "/hooks/commands/x",
    "/%00", "/%2e%2e/etc/passwd", "/slash/sessions%00", "/" + "a" * 2000, ACTIONS + "/", ACTIONS.upper(),
    ACTIONS[:-1], ACTIONS + "0", "/actions/<key>",
)
#: Every (rule, method) the fuzz actually sent, for the route-table test.
COVERED: set[tuple[str, str]] = set()
SENT = {"requests": 0}

FORM = "application/x-www-form-urlencoded"
BUG = "Something went wrong in the sessions bot"
FORGED_TEXT = error_message(ForgedButton())
EXPIRED_TEXT = error_message(ExpiredButton(15 * 60))
FOREIGN_TEXT = error_message(ForeignButton())
ID = re.compile(r"[A-Za-z0-9]{26}")

# The seeded world is deterministic: its ids are known before any fixture runs.
_SEEDED = World.seeded()
USERNAMES = ("alice", "bob", "sysadmin", "usermanager", "sysmanager", "guest", "deactivated", "sessionsbot")
USER_IDS = {name: _SEEDED.user_by_username(name)["id"] for name in USERNAMES}
TEAM_IDS = tuple(team["id"] for team in _SEEDED.teams())
CHANNEL_IDS = (_SEEDED.channel_by_name("town-square")["id"], _SEEDED.channel_by_name("off-topic")["id"])
#: Junk session prefixes that name no session (checked against the world in the fixture).
NO_SUCH_SESSION = "zzzzzzqq"
EXAMPLES = max(settings.default.max_examples, 400)


# --- the stack: stand-in, bot, and a host that must never be called ------------------------------

@dataclass
class Stack:
    world: World
    app: Flask
    bot_url: str
    elsewhere_url: str
    elsewhere_hits: list[str]
    session_ids: frozenset[str]
    active_token_ids: frozenset[str]
    readyz_calls: list[float] = field(default_factory=list)


def _live_state(world: World) -> tuple[frozenset[str], frozenset[str]]:
    users = world.users()
    sessions = frozenset(s["id"] for u in users for s in world.sessions_of(u["id"]))
    tokens = frozenset(t["id"] for u in users for t in world.access_tokens_of(u["id"]) if t["is_active"])
    return sessions, tokens


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    world = World.seeded()
    assert {name: world.user_by_username(name)["id"] for name in USERNAMES} == USER_IDS
    audit = world.add_channel("security-audit", members=["sessionsbot", "sysadmin"])
    hits: list[str] = []
    other = Flask("elsewhere")

    @other.route("/", defaults={"anything": ""}, methods=list(METHODS))
    @other.route("/<path:anything>", methods=list(METHODS))
    def record(anything: str) -> Response:
        hits.append(f"{request.method} {request.path}")
        return Response(b"ok", content_type="text/plain")

    apps: list[Flask] = []

    def build(url: str) -> Flask:
        apps.append(create_app(bot_settings(mattermost.url, world.bot_token, bot_public_url=url,
                                            audit_channel_id=audit["id"], metrics_token=METRICS_TOKEN,
                                            reply_budget_s=10.0)))  # never deferred: no late traffic
        return apps[0]

    with SandboxServer(world) as mattermost, BackgroundServer(other) as elsewhere:
        bot = BackgroundServer.knowing_its_url(build)
        bot.start()
        try:
            sessions, tokens = _live_state(world)
            assert not any(s.startswith(NO_SUCH_SESSION[:6]) for s in sessions)
            yield Stack(world, apps[0], bot.url, elsewhere.url, hits, sessions, tokens)
        finally:
            bot.stop()
    try:
        load_contract()
    except ContractUnavailable:
        return
    assert_exchanges_match_contract(e for e in world.exchanges if not e.notes)


# --- one raw request ------------------------------------------------------------------------------

@dataclass
class Raw:
    """One HTTP request as sent; ``form`` is the decoded form when the body is a well-formed urlencoded one
    (the oracle then knows the exact status), ``credential`` whether it carries one the bot should accept."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunked: bool = False
    form: list[tuple[str, str]] | None = None
    credential: bool = False


def before_routing(raw: Raw) -> int | None:
    """The status every route gives before its own checks: 413 for a chunked body that reaches the limit (the
    bot's own check, before anything else), then 400 for a Host that is not a valid name (Werkzeug's
    ``BadHost``: a label over 63 characters), which replaces routing."""
    if raw.chunked and len(raw.body) >= MAX_REQUEST_BYTES:
        return 413
    host = raw.headers.get("Host", "").rsplit(":", 1)[0] if not raw.headers.get("Host", "").startswith("[") else ""
    if any(len(label) > 63 for label in host.split(".")):
        return 400
    return None


def send(stack: Stack, raw: Raw) -> requests.Response:
    data: Any = raw.body or None
    if raw.chunked:
        data = iter([raw.body[i:i + 8192] for i in range(0, len(raw.body), 8192)] or [b""])
    rule = urlsplit(raw.path).path
    COVERED.add((rule if rule in ROUTES else "(unknown)", raw.method))
    SENT["requests"] += 1
    return requests.request(raw.method, stack.bot_url + raw.path, data=data, headers=raw.headers, timeout=15,
                            allow_redirects=False)


def status_text(code: int) -> str:
    return f"{code} {HTTP_STATUS_CODES[code]}\n"


def check_common(raw: Raw, response: requests.Response) -> None:
    """Whatever the route: a 200 or a bare 4xx, nothing else."""
    code = response.status_code
    if currently_in_test_context():
        event(f"{urlsplit(raw.path).path if urlsplit(raw.path).path in ROUTES else '(unknown)'} → {code}")
    assert code == 200 or 400 <= code < 500, (code, response.text[:300])
    assert BUG not in response.text, response.text[:300]
    if code != 200 and raw.method != "HEAD":
        assert response.headers["Content-Type"].startswith("text/plain"), response.headers
        assert response.text == status_text(code)


def check_world(stack: Stack, raw: Raw, exchanges_before: int) -> None:
    """Nothing revoked or disabled; no call to Mattermost without a credential; never a call elsewhere."""
    sessions, tokens = _live_state(stack.world)
    assert stack.session_ids <= sessions, f"revoked: {stack.session_ids - sessions}"
    assert stack.active_token_ids <= tokens, f"disabled: {stack.active_token_ids - tokens}"
    assert stack.elsewhere_hits == []
    calls = stack.world.exchanges[exchanges_before:]
    if urlsplit(raw.path).path == "/readyz" and raw.method in ("GET", "HEAD"):
        assert all((e.method, e.path) == ("GET", "/api/v4/users/me") for e in calls), calls
        if calls:
            now = time.monotonic()
            assert not stack.readyz_calls or now - stack.readyz_calls[-1] >= READY_CACHE_SECONDS - 0.5
            stack.readyz_calls.append(now)
    elif not raw.credential:
        assert calls == [], [(e.method, e.path) for e in calls]


def run(stack: Stack, raw: Raw) -> requests.Response:
    before = len(stack.world.exchanges)
    response = send(stack, raw)
    check_common(raw, response)
    check_world(stack, raw, before)
    return response


# --- strategies: shared pieces --------------------------------------------------------------------

def text(max_size: int = 40) -> st.SearchStrategy[str]:
    return st.text(st.characters(blacklist_categories=("Cs",)), max_size=max_size)


ascii_word = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)
#: Header values requests will send as they are: latin-1, no control characters, no leading space.
header_value = st.text([chr(c) for c in (*range(0x20, 0x7F), *range(0xA0, 0x100))], max_size=60).map(str.strip)
random_id = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=26, max_size=26)


@dataclass(frozen=True)
class Auth:
    """An ``Authorization`` header and what it presents: ``None`` no token, else whether the token is valid."""

    value: str | None
    presents: bool | None


AUTH_FIXED = (
    Auth(None, None), Auth(None, None), Auth(None, None),
    Auth(f"Token {COMMAND_TOKEN}", True), Auth(f"token {COMMAND_TOKEN}", True), Auth(f"TOKEN   {COMMAND_TOKEN}  ", True),
    Auth(f"Bearer {COMMAND_TOKEN}", None), Auth(f"Basic {base64.b64encode(COMMAND_TOKEN.encode()).decode()}", None),
    Auth("Token", None), Auth("Token ", None), Auth(f"Token {COMMAND_TOKEN[:-1]}", False),
    Auth(f"Token {COMMAND_TOKEN}x", False), Auth(f"Token {COMMAND_TOKEN.upper()}", False),
    Auth(f"Token {COMMAND_TOKEN}, Token forged", False), Auth(f"Token forged {COMMAND_TOKEN}", False),
    Auth(f"Bearer {METRICS_TOKEN}", None), Auth(f"Token {METRICS_TOKEN}", False),
)
auths = st.one_of(
    st.sampled_from(AUTH_FIXED),
    ascii_word.filter(lambda w: COMMAND_TOKEN not in w).map(lambda w: Auth(f"Token {w}", False)),
    st.tuples(ascii_word.filter(lambda w: w.lower() != "token"), header_value)
      .map(lambda p: Auth(f"{p[0]} {p[1]}".strip(), None)),
)


@st.composite
def extra_headers(draw: st.DrawFn) -> dict[str, str]:
    """Odd but sendable headers: request ids, Host, Accept, big and many headers (within the server's limits)."""
    headers: dict[str, str] = {}
    if draw(st.booleans()):
        headers["X-Request-Id"] = draw(st.one_of(st.sampled_from(["abcdefgh", "x" * 64, "x" * 65, "../../etc",
                                                                   "id with spaces", ""]), header_value))
    if draw(st.integers(0, 9)) == 0:
        headers["Host"] = draw(st.sampled_from(["evil.example", "evil.example:1", "[::1]", "a" * 63, "a" * 64,
                                                "a." * 100 + "example"]))
    if draw(st.booleans()):
        headers["Accept"] = draw(st.one_of(st.sampled_from(["application/json", "*/*", "text/html",
                                                            "application/openmetrics-text; version=1.0.0",
                                                            ";;;,,,q=x"]), header_value))
    size = draw(st.sampled_from([0, 0, 0, 100, 8_000, 30_000]))
    if size:
        headers["X-Padding"] = "p" * size
    for index in range(draw(st.integers(0, 3)) * draw(st.sampled_from([1, 1, 10]))):
        headers[f"X-Extra-{index}"] = draw(header_value)
    return headers


def harmless(command_text: str) -> bool:
    """Typed text that cannot sign anyone out, whoever types it: not a revoking command (a ``revoke`` only
    of a prefix that names no session)."""
    command = parse(command_text)
    if isinstance(command, RevokeSession):
        return command.session.lower().startswith(NO_SUCH_SESSION[:6])
    return not is_revoking(command)


SAFE_COMMANDS = (
    "", "list", "ls", "help", "--help", "tokens", "tokens @alice", "list @alice", "list @sysadmin", "list alice@example.com",
    "list --stale", "list --stale 1d", "revoke-all", "revoke-all @alice", "revoke-all @alice @bob ~town-square",
    "revoke-all --everyone", "disable-tokens", "disable-tokens @alice", "revoke-all @alice --tokens",
    f"revoke {NO_SUCH_SESSION}", f"revoke {NO_SUCH_SESSION} @alice", "list --platform mobile,desktop --inactive 7d",
    "list @" + USER_IDS["alice"], "revoke-all ~" + CHANNEL_IDS[0], "list @nobody", "list " + "x" * 3000,
)
command_texts = st.one_of(st.sampled_from(SAFE_COMMANDS), text(60),
                          st.tuples(st.sampled_from(SAFE_COMMANDS), text(20)).map(" ".join)).filter(harmless)


# --- the slash route ------------------------------------------------------------------------------

def _values(name: str) -> st.SearchStrategy[str]:
    junk = text(30)
    match name:
        case "token":
            return st.one_of(st.just(COMMAND_TOKEN), st.just(COMMAND_TOKEN), st.just(COMMAND_TOKEN),
                             st.sampled_from(["", " ", COMMAND_TOKEN + " ", COMMAND_TOKEN[:-1], COMMAND_TOKEN.upper(),
                                              METRICS_TOKEN, BOT_SECRET]), junk.filter(lambda t: t != COMMAND_TOKEN))
        case "user_id":
            return st.one_of(st.sampled_from(list(USER_IDS.values())), st.sampled_from(list(USER_IDS.values())),
                             random_id, st.sampled_from(["", "../../users/me", USER_IDS["alice"] + "\n",
                                                         USER_IDS["alice"].upper(), "me", "a" * 27]), junk)
        case "text":
            return command_texts
        case "team_id":
            return st.one_of(st.sampled_from(TEAM_IDS), random_id, junk)
        case "channel_id":
            return st.one_of(st.sampled_from(CHANNEL_IDS), random_id, junk)
        case "response_url":
            hook = "q9x3bk1p7mz5rdw8tfyc4hnuae"
            return st.one_of(st.sampled_from([
                "", f"http://localhost:8065/hooks/commands/{hook}", "{elsewhere}/hooks/commands/" + hook,
                "{elsewhere}/anything", "{elsewhere}/hooks/commands/" + hook + "?x=1#y", "not a url", "http://[::1",
                "{elsewhere}@evil.example/hooks/commands/" + hook, "file:///etc/passwd",
            ]), junk)
        case "user_name":
            return st.one_of(st.sampled_from(USERNAMES), junk)
    return junk


SLASH_FIELDS = ("token", "user_id", "text", "team_id", "channel_id", "response_url", "user_name", "command",
                "channel_name", "team_domain", "trigger_id")
#: How often each field is present: mostly once, sometimes missing or doubled.
COUNTS = st.sampled_from([1, 1, 1, 1, 1, 1, 0, 2])
ENCODINGS = ("form",) * 16 + ("form-charset", "form-invalid-utf8", "multipart", "json", "text", "none", "form-chunked")
SIZES = (None,) * 20 + (MAX_REQUEST_BYTES - 1, MAX_REQUEST_BYTES, MAX_REQUEST_BYTES + 1, 70_000, 150_000)


def _padded(pairs: list[tuple[str, str]], size: int | None) -> list[tuple[str, str]]:
    """The pairs, plus a final ``pad`` field making the urlencoded body exactly ``size`` bytes (when it can)."""
    if size is None:
        return pairs
    bare = len(urlencode(pairs + [("pad", "")]).encode())
    return pairs + [("pad", "x" * max(0, size - bare))]


@st.composite
def slash_requests(draw: st.DrawFn) -> Raw:
    pairs: list[tuple[str, str]] = []
    for name in SLASH_FIELDS:
        pairs += [(name, draw(_values(name))) for _ in range(draw(COUNTS))]
    pairs += draw(st.lists(st.tuples(text(10), text(20)), max_size=2))
    pairs = list(draw(st.permutations(pairs)))
    pairs = _padded(pairs, draw(st.sampled_from(SIZES)))
    auth = draw(auths)
    encoding = draw(st.sampled_from(ENCODINGS))
    method = draw(st.sampled_from(("POST",) * 40 + METHODS))
    headers = draw(extra_headers())
    if auth.value is not None:
        headers["Authorization"] = auth.value
    raw = Raw(method, SLASH, headers)
    form_body = urlencode(pairs).encode()
    match encoding:
        case "form" | "form-chunked":
            raw.body, raw.form, raw.chunked = form_body, pairs, encoding == "form-chunked"
            headers["Content-Type"] = FORM
        case "form-charset":
            raw.body, raw.form = form_body, pairs
            headers["Content-Type"] = draw(st.sampled_from([
                f"{FORM}; charset=utf-8", f"{FORM}; charset=ISO-8859-1", f"{FORM}; charset=utf-16", f"{FORM};charset=",
                f"{FORM}; charset=\"bogus\"; boundary=x", FORM.upper(), f"{FORM} ;;"]))
        case "form-invalid-utf8":
            cut = draw(st.integers(0, len(form_body)))
            raw.body = form_body[:cut] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"%ff%fe", b"\x00"])) + form_body[cut:]
            headers["Content-Type"] = FORM
        case "multipart":
            raw.body, headers["Content-Type"] = encode_multipart_formdata(pairs)
            raw.form = pairs
        case "json":
            raw.body, raw.form = json.dumps(dict(pairs)).encode(), pairs
            headers["Content-Type"] = draw(st.sampled_from(["application/json", "application/json; charset=utf-8"]))
        case "text":
            raw.body, raw.form = form_body, pairs
            headers["Content-Type"] = draw(st.sampled_from(["text/plain", "text/plain; charset=utf-8", "text/html"]))
        case "none":
            raw.body, raw.form = form_body, pairs
    raw.credential = COMMAND_TOKEN.encode() in raw.body or auth.presents is True
    event(f"slash body: {encoding}, {'chunked ' if raw.chunked else ''}{'over' if len(raw.body) > MAX_REQUEST_BYTES else 'within'} the limit")
    return raw


def expected_slash_status(raw: Raw) -> int | None:
    """The exact status when the model knows it (the form is known: the body is not corrupted)."""
    if (early := before_routing(raw)) is not None:
        return early
    if raw.method != "POST":
        return 405
    if raw.form is None:
        return None
    content_type = raw.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type != FORM:
        return 415
    if len(raw.body) > MAX_REQUEST_BYTES:
        return 413
    tokens = [value for key, value in raw.form if key == "token" and value]
    scheme, _, value = raw.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "token" and value.strip():
        tokens.append(value.strip())
    if not tokens or any(t != COMMAND_TOKEN for t in tokens):
        return 401
    if any(sum(key == name for key, _ in raw.form) > 1 for name in ("token", "user_id", "text")):
        return 400
    user_id = next((value for key, value in raw.form if key == "user_id"), "")
    return 200 if ID.fullmatch(user_id) else 400


@settings(max_examples=EXAMPLES)
@given(raw=slash_requests())
def test_fuzz_the_slash_command_route(stack: Stack, raw: Raw) -> None:
    raw.body = raw.body.replace(b"%7Belsewhere%7D", stack.elsewhere_url.replace(":", "%3A").replace("/", "%2F").encode())
    expected = expected_slash_status(raw)
    if expected is not None:
        raw.credential = expected == 200
    response = run(stack, raw)
    if expected is not None:
        assert response.status_code == expected, (expected, response.status_code, response.text[:300])
    if response.status_code == 200:
        assert raw.credential, "a request without the command token was served"
        assert response.headers["Content-Type"] == "application/json"
        body = response.json()
        assert body["response_type"] == "ephemeral" and isinstance(body["text"], str) and body["text"]


# --- the actions route ----------------------------------------------------------------------------

CONTEXT_KINDS = ("missing", "null", "list", "string", "number", "empty", "signed-not-a-string", "signed-junk",
                 "signed-shaped", "other-secret", "default-salt", "tampered", "foreign", "expired", "future",
                 "signed-not-ascii", "valid", "valid", "valid", "valid+injected")
#: Commands a valid context may carry in the fuzz: none of them can sign anyone out.
HARMLESS_BUTTONS = (
    Cancel(), RevokeAll(None, False), RevokeAll(UserRef("username", "alice", "@alice"), False),
    RevokeSession(NO_SUCH_SESSION, None), DisableTokens(None, False),
    RevokeMany((UserRef("username", "alice", "@alice"), UserRef("username", "bob", "@bob")), (), False),
)
#: Commands forged contexts pretend to carry: every one would sign someone out if it ran.
DANGEROUS_BUTTONS = (RevokeAll(None, True), RevokeAll(UserRef("username", "alice", "@alice"), True),
                     RevokeMany((UserRef("username", "alice", "@alice"),), (), True), DisableTokens(None, True))
REFUSAL_TEXT = {"foreign": FOREIGN_TEXT, "expired": EXPIRED_TEXT, "future": EXPIRED_TEXT}


def _sign(viewer: str, command: Any, *, secret: str = BOT_SECRET, age_s: float = 0) -> str:
    return ButtonSigner(secret, clock=lambda: time.time() - age_s).sign(viewer, command)


def context_for(kind: str, clicker: str, command: Any, other_viewer: str) -> Any:
    match kind:
        case "null":
            return None
        case "list":
            return [_sign(clicker, command)]
        case "string":
            return _sign(clicker, command)
        case "number":
            return 1e308
        case "empty":
            return {}
        case "signed-not-a-string":
            return {"signed": {"signed": _sign(clicker, command)}}
        case "signed-junk":
            return {"signed": "forged", "do": "revoke-all", "yes": True}
        case "signed-not-ascii":  # a genuine value with a lone surrogate (JSON's "\ud800") or a letter slipped in
            genuine = _sign(clicker, command)
            return {"signed": genuine[:5] + ("\ud800" if len(genuine) % 2 else "é") + genuine[5:]}
        case "signed-shaped":
            return {"signed": "eyJmb3IiOiJ4In0.ZmFrZQ.c2lnbmF0dXJl"}
        case "other-secret":
            return {"signed": _sign(clicker, command, secret="another-secret-of-at-least-32-characters")}
        case "default-salt":
            return {"signed": URLSafeTimedSerializer(BOT_SECRET).dumps({"for": clicker, "run": {"do": "revoke-all", "yes": True, "target": None}})}
        case "tampered":  # one character of the payload changed (it may be compressed: ".eJw…")
            signed = _sign(clicker, command)
            at = len(signed) // 3
            return {"signed": signed[:at] + ("A" if signed[at] != "A" else "B") + signed[at + 1:]}
        case "foreign":
            return {"signed": _sign(other_viewer, command)}
        case "expired":
            return {"signed": _sign(clicker, command, age_s=16 * 60)}
        case "future":
            return {"signed": _sign(clicker, command, age_s=-16 * 60)}
        case "valid":
            return {"signed": _sign(clicker, command)}
        case "valid+injected":
            return {"signed": _sign(clicker, command), "do": "revoke-all", "yes": True, "for": other_viewer}
    return None  # "missing" is handled by leaving the key out


#: JSON strings may hold anything, lone surrogates included (json.dumps writes them as "\ud800").
json_text = st.text(max_size=30)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False), json_text)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                 st.dictionaries(text(8), inner, max_size=4)),
                           max_leaves=12)


@dataclass
class ClickSpec:
    """An action request before signing: who claims to click, with what context, plus other fields."""

    clicker: Any
    kind: str
    command: Any
    other_viewer: str
    extras: dict[str, Any]


@st.composite
def click_specs(draw: st.DrawFn) -> ClickSpec:
    clicker = draw(st.one_of(st.sampled_from(list(USER_IDS.values())), random_id, json_text,
                             st.sampled_from(["", "me", USER_IDS["alice"] + " ", USER_IDS["alice"][:25] + "\ud800", None,
                                              26, ["x"], {"id": USER_IDS["alice"]}])))
    kind = draw(st.sampled_from(CONTEXT_KINDS))
    command = draw(st.sampled_from(HARMLESS_BUTTONS if kind.startswith("valid") else DANGEROUS_BUTTONS))
    other = draw(st.sampled_from([v for v in USER_IDS.values()]))
    assume(other != clicker)
    extras = draw(st.dictionaries(st.sampled_from(["user_name", "channel_id", "team_id", "post_id", "trigger_id",
                                                   "type", "data_source", "selected_option", "channel_name"]),
                                  st.one_of(json_text, json_values, st.sampled_from(list(CHANNEL_IDS) + list(TEAM_IDS))),
                                  max_size=5))
    event(f"actions: click, context {kind}")
    return ClickSpec(clicker, kind, command, other, extras)


@st.composite
def action_requests(draw: st.DrawFn) -> tuple[str, Any]:
    """``("click", ClickSpec)`` for a Mattermost-shaped request, or ``("raw", Raw)`` for anything else."""
    shape = draw(st.sampled_from(["click"] * 6 + ["json-junk", "invalid-json", "deep", "invalid-utf8", "type", "big",
                                                  "method"]))
    if shape == "click":
        return "click", draw(click_specs())
    headers = draw(extra_headers())
    headers["Content-Type"] = "application/json"
    raw = Raw("POST", ACTIONS, headers)
    match shape:
        case "json-junk":
            raw.body = json.dumps(draw(json_values)).encode()
        case "invalid-json":
            raw.body = draw(st.sampled_from([b"", b"{", b"{not json", b"{'user_id': 'x'}", b'{"user_id": NaN}',
                                             b'{"user_id": "' + USER_IDS["alice"].encode() + b'",}', b"\x00",
                                             b'{"user_id": 1' + b"0" * 5000 + b"}", b"[" * 10 + b"]" * 9]))
        case "deep":
            depth = draw(st.sampled_from([100, 900, 2_000, 20_000, 30_000]))
            inner = json.dumps({"user_id": USER_IDS["alice"]})
            raw.body = draw(st.sampled_from([("[" * depth + "]" * depth).encode(), ("[" * depth).encode(),
                                             ('{"user_id": "' + USER_IDS["alice"] + '", "context": ' + "[" * depth + "]" * depth + "}").encode(),
                                             ('{"user_name": ' + '{"a":' * depth + "1" + "}" * depth + ", " + inner[1:]).encode()]))
        case "invalid-utf8":
            raw.body = b'{"user_id": "' + USER_IDS["alice"].encode() + b'", "user_name": "\xff\xfe"}'
        case "type":
            raw.body = json.dumps({"user_id": USER_IDS["alice"], "context": {"signed": "x"}}).encode()
            raw.headers["Content-Type"] = draw(st.sampled_from(["", "text/plain", FORM, "application/jsonx",
                                                                "application/json; charset=latin-1", "APPLICATION/JSON",
                                                                "multipart/form-data; boundary=x"]))
            if not raw.headers["Content-Type"]:
                del raw.headers["Content-Type"]
        case "big":
            size = draw(st.sampled_from([MAX_REQUEST_BYTES - 1, MAX_REQUEST_BYTES, MAX_REQUEST_BYTES + 1, 100_000]))
            prefix = '{"user_id": "' + USER_IDS["alice"] + '", "user_name": "'
            raw.body = (prefix + "x" * max(0, size - len(prefix) - 2) + '"}').encode()
            raw.chunked = draw(st.booleans())
        case "method":
            raw.method = draw(st.sampled_from([m for m in METHODS if m != "POST"]))
            raw.body = json.dumps({"user_id": USER_IDS["alice"]}).encode()
    event(f"actions: {shape}")
    return "raw", raw


def expected_action_status(raw: Raw) -> int | None:
    if (early := before_routing(raw)) is not None:
        return early
    if raw.method != "POST":
        return 405
    content_type = raw.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return 415
    if len(raw.body) > limits.CLICK_BYTES:
        return 413
    try:
        data = json.loads(raw.body)
    except ValueError:
        return 400
    except RecursionError:  # how deep the bot's parser goes depends on its own stack: 400, or parsed
        return None
    if not isinstance(data, dict) or not click_fields_ok(data):
        return 400
    return None


def click_fields_ok(data: dict[str, Any]) -> bool:
    """Every field as Mattermost sends it (``PostActionIntegrationRequest``): text within its cap, the ids
    ids (or empty, but the user's), the context an object (or nothing), its ``signed`` text within its cap."""
    for name, cap in limits.CLICK_FIELDS.items():
        value = data.get(name)
        if value is not None and not (isinstance(value, str) and len(value) <= cap):
            return False
    if not (isinstance(data.get("user_id"), str) and ID.fullmatch(data["user_id"])):
        return False
    if not all(re.fullmatch(r"(?:[A-Za-z0-9]{26})?", data.get(name) or "") for name in ("channel_id", "team_id", "post_id")):
        return False
    context = data.get("context")
    if context is not None and not isinstance(context, dict):
        return False
    signed = context.get("signed") if isinstance(context, dict) else None
    return not (isinstance(signed, str) and len(signed) > limits.SIGNED)


@pytest.mark.parametrize("kind", sorted(set(CONTEXT_KINDS)))
def test_every_kind_of_context_gets_its_answer(stack: Stack, kind: str) -> None:
    """Each kind of context once, for sure (the fuzz below draws them at random), carrying a revoke-all."""
    command = HARMLESS_BUTTONS[1] if kind.startswith("valid") else DANGEROUS_BUTTONS[0]
    check_click(stack, ClickSpec(USER_IDS["alice"], kind, command, USER_IDS["bob"], {"user_name": "alice"}))


@settings(max_examples=EXAMPLES)
@given(drawn=action_requests())
def test_fuzz_the_button_route(stack: Stack, drawn: tuple[str, Any]) -> None:
    shape, value = drawn
    if shape == "raw":
        raw: Raw = value
        response = run(stack, raw)
        expected = expected_action_status(raw)
        if expected is not None:
            assert response.status_code == expected, (expected, response.status_code, response.text[:300])
        if response.status_code == 200:
            assert response.json() == {"ephemeral_text": FORGED_TEXT}
        return
    check_click(stack, value)


def check_click(stack: Stack, spec: ClickSpec) -> None:
    """Send a Mattermost-shaped action request and check the answer its context deserves."""
    body: dict[str, Any] = dict(spec.extras)
    body["user_id"] = spec.clicker
    well_formed = isinstance(spec.clicker, str) and ID.fullmatch(spec.clicker) is not None
    if spec.kind != "missing":  # (a context for a malformed clicker is never looked at: signed for "x")
        body["context"] = context_for(spec.kind, spec.clicker if well_formed else "x", spec.command, spec.other_viewer)
    raw = Raw("POST", ACTIONS, {"Content-Type": "application/json", "Accept": "application/json"},
              json.dumps(body).encode(), credential=well_formed and spec.kind.startswith("valid"))
    response = run(stack, raw)
    if not well_formed or not click_fields_ok(body):
        assert response.status_code == 400
        return
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    answer = response.json()
    assert answer == {} or (set(answer) == {"ephemeral_text"} and isinstance(answer["ephemeral_text"], str))
    if spec.kind.startswith("valid"):
        assert answer.get("ephemeral_text") not in (FORGED_TEXT, EXPIRED_TEXT, FOREIGN_TEXT)
    else:
        assert answer == {"ephemeral_text": REFUSAL_TEXT.get(spec.kind, FORGED_TEXT)}


# --- probes, metrics, unknown paths, and every route with any method --------------------------------

@st.composite
def other_requests(draw: st.DrawFn) -> Raw:
    path = draw(st.sampled_from(["known"] * 6 + ["listed", "random"]).flatmap(lambda kind: {
        "known": st.sampled_from(list(ROUTES)), "listed": st.sampled_from(UNKNOWN_PATHS),
        "random": st.text("abcxyz/._-~%019", min_size=1, max_size=30).map(lambda p: "/" + p.lstrip("/"))}[kind]))
    if draw(st.integers(0, 5)) == 0:
        path += "?" + urlencode({"token": COMMAND_TOKEN, "user_id": USER_IDS["alice"], "text": "list"})
    method = draw(st.sampled_from(("GET",) * 8 + METHODS))
    headers = draw(extra_headers())
    auth = draw(st.one_of(auths.map(lambda a: a.value), st.sampled_from([
        f"Bearer {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}", f"bearer  {METRICS_TOKEN} ", f"Bearer {METRICS_TOKEN[:-1]}",
        f"Token {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x", f"Basic {METRICS_TOKEN}", "Bearer"])))
    if auth is not None:
        headers["Authorization"] = auth
    raw = Raw(method, path, headers)
    if draw(st.integers(0, 3)) == 0:
        raw.body = draw(st.sampled_from([b"x", b"{}", b"token=" + COMMAND_TOKEN.encode(), b"\xff" * 10, b"y" * 70_000]))
        raw.chunked = draw(st.booleans())
        if draw(st.booleans()):
            headers["Content-Type"] = draw(st.sampled_from([FORM, "application/json", "text/plain"]))
    return raw


@settings(max_examples=EXAMPLES)
@given(raw=other_requests())
def test_fuzz_probes_metrics_and_unknown_paths(stack: Stack, raw: Raw) -> None:
    check_route_answer(raw, run(stack, raw))


@pytest.mark.parametrize("authorization", [None, f"Bearer {METRICS_TOKEN}", f"Token {COMMAND_TOKEN}"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", [*ROUTES, "/static/x", "/slash//sessions"])
def test_every_route_answers_every_method(stack: Stack, path: str, method: str, authorization: str | None) -> None:
    """The sweep behind the route-table check: every route and method at least once, whatever the fuzz drew."""
    raw = Raw(method, path, {"Authorization": authorization} if authorization else {})
    check_route_answer(raw, run(stack, raw))


def check_route_answer(raw: Raw, response: requests.Response) -> None:
    """The oracle for any route's answer to a request with no meaningful form: 404, 405 (with ``Allow``), the
    probes' and the metrics' own answers, and never a 200 from the command or button routes."""
    path = urlsplit(raw.path).path
    code = response.status_code
    if (early := before_routing(raw)) is not None:
        assert code == early
        return
    if path not in ROUTES:
        assert code == 404
        return
    allowed = ROUTES[path]
    if raw.method == "OPTIONS" and "GET" in allowed:  # HTTP's own answer for a GET route: the methods, no body
        assert code == 200 and response.content == b""
        assert set(response.headers["Allow"].replace(" ", "").split(",")) == allowed | {"OPTIONS"}
        return
    if raw.method not in allowed:  # the POST-only routes do not answer OPTIONS either
        offered = set(response.headers["Allow"].replace(" ", "").split(","))
        assert code == 405 and offered == (allowed | {"OPTIONS"} if "GET" in allowed else allowed)
        return
    if path in (SLASH, ACTIONS):  # here only with bodies the fuzz above covers better: any 4xx, no credential
        assert code != 200 or raw.credential
        return
    head = raw.method == "HEAD"
    if path == "/healthz":
        assert code == 200 and (head or response.json() == {"status": "ok"})
    elif path == "/readyz":
        assert code == 200 and (head or response.json() == {"status": "ready"})
    elif path == METRICS_PATH:
        scheme, _, value = raw.headers.get("Authorization", "").partition(" ")
        authorized = scheme.lower() == "bearer" and value.strip() == METRICS_TOKEN
        assert code == (200 if authorized else 401)
        if authorized and not head:
            assert "sessions_bot_http_request_duration_seconds" in response.text


# --- what requests cannot send: duplicate headers, bad lengths ------------------------------------

RAW_CASES = {
    "two Authorization headers, one forged": [("Authorization", f"Token {COMMAND_TOKEN}"), ("Authorization", "Token forged")],
    "two Authorization headers, both valid": [("Authorization", f"Token {COMMAND_TOKEN}"), ("Authorization", f"Token {COMMAND_TOKEN}")],
    "two Content-Type headers": [("Content-Type", "text/plain"), ("Content-Type", FORM)],
    "a Content-Length that is not a number": [("Content-Type", FORM), ("Content-Length", "abc")],
    "a negative Content-Length": [("Content-Type", FORM), ("Content-Length", "-1")],
    "a Content-Length shorter than the body": [("Content-Type", FORM), ("Content-Length", "10")],
    "both chunked and a Content-Length": [("Content-Type", FORM), ("Transfer-Encoding", "chunked"), ("Content-Length", "5")],
}


@pytest.mark.parametrize("case", RAW_CASES)
@pytest.mark.parametrize("path", [SLASH, ACTIONS])
def test_requests_no_client_library_would_send_get_a_4xx_and_reach_nothing(stack: Stack, case: str, path: str) -> None:
    form = urlencode({"user_id": USER_IDS["alice"], "text": "list"}).encode()
    headers = RAW_CASES[case]
    body = form
    if ("Transfer-Encoding", "chunked") in headers:
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(form), form)
    if not any(name == "Content-Length" for name, _ in headers):
        headers = headers + [("Content-Length", str(len(body)))]
    before = len(stack.world.exchanges)
    connection = http.client.HTTPConnection(urlsplit(stack.bot_url).netloc, timeout=10)
    try:
        connection.putrequest("POST", path, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        status, text = response.status, response.read().decode()
    finally:
        connection.close()
    SENT["requests"] += 1
    assert 400 <= status < 500 and text == status_text(status), (status, text)
    assert stack.world.exchanges[before:] == []


# --- regressions: what the fuzz found --------------------------------------------------------------

def test_regression_a_chunked_body_over_the_limit_is_refused_not_cut_short(stack: Stack) -> None:
    """Was 200: Werkzeug checks the limit against Content-Length only, so a chunked body was cut at 64 KiB and the
    cut form served. Here that dropped the second, forged token, which must get the request refused."""
    body = urlencode([("token", COMMAND_TOKEN), ("user_id", USER_IDS["alice"]), ("text", "help" + "x" * 70_000),
                      ("token", "forged")]).encode()
    response = run(stack, Raw("POST", SLASH, {"Content-Type": FORM}, body, chunked=True, credential=True))
    assert response.status_code == 413
    small = urlencode([("token", COMMAND_TOKEN), ("user_id", USER_IDS["alice"]), ("text", "help")]).encode()
    assert run(stack, Raw("POST", SLASH, {"Content-Type": FORM}, small, chunked=True, credential=True)).status_code == 200


@pytest.mark.parametrize("signed", ["\ud800", "é", "x\udfffx", "\u0000"])
def test_regression_a_context_that_is_not_ascii_is_a_forgery_not_a_bug_report(stack: Stack, signed: str, caplog) -> None:
    """Was 200 "Something went wrong" and an ERROR in the log: ``{"user_id": …, "context": {"signed": "\\ud800"}}``
    made itsdangerous raise UnicodeEncodeError, which the button check did not expect."""
    caplog.set_level(logging.ERROR)
    body = json.dumps({"user_id": USER_IDS["alice"], "context": {"signed": signed}}).encode()
    response = run(stack, Raw("POST", ACTIONS, {"Content-Type": "application/json"}, body))
    assert (response.status_code, response.json()) == (200, {"ephemeral_text": FORGED_TEXT})
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_regression_json_nested_too_deep_to_parse_is_a_400_not_a_bug_report(stack: Stack, caplog) -> None:
    """Was 200 "Something went wrong" and an ERROR with a traceback in the log, for anyone's ``[[[[…``. (Deeper
    still is longer than a click can be: 413 before it is parsed.)"""
    caplog.set_level(logging.ERROR)
    for body in (b"[" * 9_000, ('{"user_id": "' + USER_IDS["alice"] + '", "context": ' + "[" * 9_000 + "]" * 9_000 + "}").encode()):
        assert run(stack, Raw("POST", ACTIONS, {"Content-Type": "application/json"}, body)).status_code == 400
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("path", [SLASH, ACTIONS])
def test_regression_the_post_only_routes_refuse_options_and_every_405_says_allow(stack: Stack, path: str) -> None:
    """Was 200 with an empty body (Flask's automatic OPTIONS), and 405s without the ``Allow`` RFC 9110 requires."""
    for method in ("OPTIONS", "GET", "PUT"):
        response = run(stack, Raw(method, path))
        assert (response.status_code, response.headers.get("Allow")) == (405, "POST")


def test_regression_no_redirect_built_from_the_host_header(stack: Stack) -> None:
    """Was ``308 Location: http://evil.example/slash/sessions`` (Werkzeug merging the slashes of ``/slash//sessions``
    and taking the host from the request)."""
    response = run(stack, Raw("POST", "/slash//sessions", {"Host": "evil.example", "Content-Type": FORM},
                              urlencode({"token": COMMAND_TOKEN, "user_id": USER_IDS["alice"]}).encode(), credential=True))
    assert response.status_code == 404 and "Location" not in response.headers


def test_regression_no_static_file_route(stack: Stack) -> None:
    """Was ``/static/<path:filename>``, Flask's default file route, registered though the bot has no files."""
    assert not [rule for rule in stack.app.url_map.iter_rules() if rule.endpoint == "static"]
    assert run(stack, Raw("GET", "/static/../app.py")).status_code == 404


# --- the route table ------------------------------------------------------------------------------

def test_every_registered_route_is_fuzzed(stack: Stack) -> None:
    """Every route the app registers has an oracle in ROUTES, with the same methods; and when the fuzz ran,
    it sent every one of those methods (and others) to every one of those routes."""
    registered = {ACTIONS if rule.rule == ACTIONS_RULE else rule.rule: frozenset(rule.methods or ()) - {"OPTIONS"}
                  for rule in stack.app.url_map.iter_rules()}
    assert registered == ROUTES
    if COVERED:
        for route, methods in ROUTES.items():
            sent = {method for rule, method in COVERED if rule == route}
            assert methods <= sent and len(sent) > len(methods), (route, sent)
        assert any(rule == "(unknown)" for rule, _ in COVERED)
    print(f"\n{SENT['requests']} requests sent by the fuzz")
