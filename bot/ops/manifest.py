"""The ``/sessions`` slash command as Mattermost registers it: ``manifest/slash_command.json``, loaded and checked.

The JSON file is the single source of truth for what ``sessions-bot install`` registers and what
``sessions-bot check`` expects: the command itself (trigger, method, texts, autocomplete), the paths
the bot serves under its public URL (``actions_path`` is where the button path starts: clicks are served
under it at a secret derived from ``BOT_SECRET``, which nothing registers or prints), and what the bot
account must be allowed to do.

The rules are Mattermost's ``Command.IsValid`` (../shared/MATTERMOST.md §1.6; lengths count UTF-8
bytes, as Go's ``len`` does) plus the bot's own: a lowercase trigger (the server stores it
lowercased, so a mixed-case one would never match again) and method ``P`` (the bot serves POST only).
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

#: The one manifest, at the top of a source checkout (and of an editable install): ``<repo>/manifest/``.
SOURCE_MANIFEST_PATH = Path(__file__).resolve().parents[2] / "manifest" / "slash_command.json"
#: The copy a built wheel carries (``pyproject.toml`` maps ``manifest/`` into the package as ``bot.manifest_data``).
PACKAGED_MANIFEST_PATH = Path(__file__).resolve().parents[1] / "manifest_data" / "slash_command.json"
#: The manifest this installation reads: the wheel's copy when installed from one, else the checkout's.
MANIFEST_PATH = PACKAGED_MANIFEST_PATH if PACKAGED_MANIFEST_PATH.is_file() else SOURCE_MANIFEST_PATH

MAX_TRIGGER_BYTES = 128
MAX_DISPLAY_NAME_BYTES = 64
MAX_DESCRIPTION_BYTES = 128
MAX_URL_BYTES = 1024

_TOP_KEYS = frozenset({"trigger", "method", "display_name", "description", "auto_complete", "auto_complete_desc",
                       "auto_complete_hint", "username", "icon_url", "url_path", "actions_path", "bot_account"})
_BOT_KEYS = frozenset({"username", "display_name", "expected_roles", "permissions", "why"})
_PERMISSION_KEYS = frozenset({"name", "for", "only_with_buttons"})
_TYPE_NAMES = {str: "a string", bool: "true or false", list: "a list", dict: "an object"}


class ManifestError(ValueError):
    """The manifest cannot be read, is not JSON, or breaks a rule; the message lists every problem."""


class BadPublicURL(ValueError):
    """A public URL for the bot that Mattermost would not accept as a command URL."""


@dataclass(frozen=True)
class Permission:
    """A permission the bot account needs, what for, and whether only when buttons are on."""

    name: str
    purpose: str
    only_with_buttons: bool = False


@dataclass(frozen=True)
class Manifest:
    """The slash command, the bot's paths, and the bot account's expected rights."""

    trigger: str
    method: str
    display_name: str
    description: str
    auto_complete: bool
    auto_complete_desc: str
    auto_complete_hint: str
    username: str
    icon_url: str
    url_path: str
    actions_path: str
    bot_username: str
    bot_display_name: str
    expected_roles: tuple[str, ...]
    permissions: tuple[Permission, ...]

    def command_url(self, public_url: str) -> str:
        """Where Mattermost sends the command: the bot's public base URL plus :attr:`url_path`."""
        return _under(public_url, self.url_path)

    def actions_url(self, public_url: str, key: str) -> str:
        """Where Mattermost sends button clicks: the public base URL plus :attr:`actions_path` and the secret
        ``key`` (``bot.web.gate.action_key``); written only into buttons, never printed."""
        return _under(public_url, f"{self.actions_path.rstrip('/')}/{key}")

    def command_body(self, team_id: str, url: str) -> dict[str, Any]:
        """The JSON body of ``POST /api/v4/commands`` registering this command on a team at ``url``."""
        return {
            "team_id": team_id, "trigger": self.trigger, "method": self.method, "url": url,
            "display_name": self.display_name, "description": self.description,
            "auto_complete": self.auto_complete, "auto_complete_desc": self.auto_complete_desc,
            "auto_complete_hint": self.auto_complete_hint, "username": self.username, "icon_url": self.icon_url,
        }

    def differences(self, command: Mapping[str, Any], url: str | None) -> list[str]:
        """The fields in which a registered command (Mattermost's JSON) differs from this manifest at
        ``url``; ``url=None`` leaves the URL out of the comparison."""
        wanted = self.command_body(str(command.get("team_id", "")), url or "")
        ignored = {"team_id"} | ({"url"} if url is None else set())
        return [key for key, value in wanted.items() if key not in ignored and command.get(key) != value]


def _under(public_url: str, path: str) -> str:
    """``public_url`` (an http(s) base URL; a trailing slash is fine) joined with ``path``."""
    base = public_url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise BadPublicURL(f"{public_url!r} is not an http(s) base URL such as https://sessions-bot.example.com")
    url = base + path
    if len(url.encode("utf-8")) > MAX_URL_BYTES:
        raise BadPublicURL(f"{url!r} is longer than the {MAX_URL_BYTES} bytes Mattermost allows a command URL")
    return url


class _Fields:
    """Typed reads from one JSON object of the manifest, noting each problem (a bad value reads as empty)."""

    def __init__(self, doc: object, where: str, known: frozenset[str], problems: list[str]) -> None:
        if not isinstance(doc, dict):
            problems.append(f"{where or 'the manifest'}: must be a JSON object")
            doc = {}
        self._doc: dict[str, Any] = doc
        self._where = where
        self._problems = problems
        problems.extend(f"{where}{key}: unknown key" for key in sorted(doc.keys() - known))

    def get(self, key: str, kind: type, default: Any = None) -> Any:
        """The value of ``key`` if it has JSON type ``kind``; else note why and return ``kind()``.
        A missing key with a ``default`` is not a problem."""
        value = self._doc.get(key)
        if value is None and default is not None:
            return default
        if isinstance(value, kind):
            return value
        self._problems.append(f"{self._where}{key}: {'missing' if value is None else 'must be ' + _TYPE_NAMES[kind]}")
        return kind()

    def text(self, key: str) -> str:
        """A string value."""
        return str(self.get(key, str))

    def texts(self, key: str) -> tuple[str, ...]:
        """A list of strings."""
        items = self.get(key, list)
        if not all(isinstance(item, str) and item for item in items):
            self._problems.append(f"{self._where}{key}: must list non-empty strings")
        return tuple(str(item) for item in items)

    def objects(self, key: str, known: frozenset[str]) -> list[_Fields]:
        """A list of JSON objects, each read with its own ``_Fields``."""
        return [_Fields(item, f"{self._where}{key}[{index}].", known, self._problems)
                for index, item in enumerate(self.get(key, list))]


def _byte_length(text: str) -> int:
    return len(text.encode("utf-8"))


def _rule_problems(manifest: Manifest) -> list[str]:
    """Every rule (Mattermost's, then the bot's) the manifest's values break."""
    trigger = manifest.trigger
    checks = [
        (1 <= _byte_length(trigger) <= MAX_TRIGGER_BYTES, f"trigger: must be 1 to {MAX_TRIGGER_BYTES} bytes long"),
        (not trigger.startswith("/"), "trigger: must not start with '/' (Mattermost adds it)"),
        (not any(ch.isspace() for ch in trigger), "trigger: must not contain spaces"),
        (trigger == trigger.lower(), "trigger: must be lowercase (Mattermost stores it lowercased)"),
        (manifest.method == "P", "method: must be \"P\" (the bot answers commands sent by POST)"),
        (_byte_length(manifest.display_name) <= MAX_DISPLAY_NAME_BYTES,
         f"display_name: must be at most {MAX_DISPLAY_NAME_BYTES} bytes"),
        (_byte_length(manifest.description) <= MAX_DESCRIPTION_BYTES,
         f"description: must be at most {MAX_DESCRIPTION_BYTES} bytes"),
        (manifest.icon_url == "" or manifest.icon_url.startswith(("http://", "https://")),
         "icon_url: must be empty or an http(s) URL"),
        (bool(manifest.bot_username), "bot_account.username: must not be empty"),
        (bool(manifest.expected_roles), "bot_account.expected_roles: must name at least one role"),
    ]
    for key, path in (("url_path", manifest.url_path), ("actions_path", manifest.actions_path)):
        clean = path.startswith("/") and not any(ch.isspace() or ch in "?#" for ch in path)
        checks.append((clean, f"{key}: must be a path starting with '/', without spaces, '?' or '#'"))
    names = [permission.name for permission in manifest.permissions]
    checks.append((all(names) and len(set(names)) == len(names),
                   "bot_account.permissions: each needs a name, and no name twice"))
    return [problem for holds, problem in checks if not holds]


def parse_manifest(doc: object, source: str = "manifest") -> Manifest:
    """The manifest in an already decoded JSON document; ``ManifestError`` lists every problem."""
    problems: list[str] = []
    top = _Fields(doc, "", _TOP_KEYS, problems)
    bot = _Fields(top.get("bot_account", dict), "bot_account.", _BOT_KEYS, problems)
    permissions = tuple(
        Permission(item.text("name"), item.text("for"), bool(item.get("only_with_buttons", bool, False)))
        for item in bot.objects("permissions", _PERMISSION_KEYS))
    manifest = Manifest(
        trigger=top.text("trigger"), method=top.text("method"), display_name=top.text("display_name"),
        description=top.text("description"), auto_complete=bool(top.get("auto_complete", bool)),
        auto_complete_desc=top.text("auto_complete_desc"), auto_complete_hint=top.text("auto_complete_hint"),
        username=top.text("username"), icon_url=top.text("icon_url"), url_path=top.text("url_path"),
        actions_path=top.text("actions_path"), bot_username=bot.text("username"),
        bot_display_name=bot.text("display_name"), expected_roles=bot.texts("expected_roles"),
        permissions=permissions,
    )
    problems += _rule_problems(manifest)
    if problems:
        raise ManifestError(f"{source} is not a valid slash command manifest:\n" + "\n".join(f"  {p}" for p in problems))
    return manifest


def load_manifest(path: Path | None = None) -> Manifest:
    """Read and check the manifest at ``path`` (default :data:`MANIFEST_PATH`); ``ManifestError`` says why not."""
    source = path or MANIFEST_PATH
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"cannot read the slash command manifest {source}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ManifestError(f"{source} is not valid JSON: {exc}") from None
    return parse_manifest(doc, str(source))


def load_manifest_or_exit(path: Path | None = None) -> Manifest:
    """The manifest, or print why not (no traceback) and exit with status 3, as a bad setting does."""
    try:
        return load_manifest(path)
    except ManifestError as exc:
        print(f"sessions-bot: {exc}", file=sys.stderr)
        raise SystemExit(3) from None
