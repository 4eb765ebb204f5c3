"""Configuration: read once from the environment, validated, then passed down as a value."""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.ops import ratelimit

S = TypeVar("S", bound=BaseSettings)

#: Mattermost gives an integration 30 s (OutgoingIntegrationRequestsTimeout) before failing the command.
MATTERMOST_COMMAND_TIMEOUT_S = 30.0


class ConfigError(Exception):
    """The environment does not describe a usable configuration; the message names each bad variable."""


@dataclass(frozen=True)
class ServerAddress:
    """Where Mattermost's API lives, split the way mattermostdriver wants it."""

    scheme: str
    host: str
    port: int
    basepath: str


def _http_url(value: str) -> str:
    """``value`` as an http(s) base URL without trailing slash; ValueError says what is wrong."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL such as https://chat.example.com")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query string or fragment")
    try:
        parts.port
    except ValueError as exc:
        raise ValueError("has an invalid port") from exc
    return value.strip().rstrip("/")


class MattermostSettings(BaseSettings):
    """What talking to Mattermost needs: enough for ``sessions-bot install``, before any command token exists.

    Environment variable names are the field names in upper case; other variables are ignored.
    """

    model_config = SettingsConfigDict(case_sensitive=False, frozen=True, extra="ignore")

    mattermost_url: str = Field(description="Base URL of the Mattermost server, e.g. https://chat.example.com")
    mattermost_token: SecretStr = Field(description="The bot account's personal access token")
    mattermost_timeout_s: float = Field(default=5.0, gt=0, le=MATTERMOST_COMMAND_TIMEOUT_S / 3)
    bot_public_url: str | None = Field(default=None, description="Base URL Mattermost reaches the bot at; enables buttons")

    @field_validator("mattermost_url")
    @classmethod
    def _url_is_http(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("bot_public_url", mode="before")
    @classmethod
    def _public_url(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _http_url(str(value))

    @field_validator("mattermost_token")
    @classmethod
    def _token_present(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return SecretStr(value.get_secret_value().strip())

    @property
    def server(self) -> ServerAddress:
        """The Mattermost server address, with the API base path appended."""
        parts = urlsplit(self.mattermost_url)
        default_port = 443 if parts.scheme == "https" else 80
        return ServerAddress(
            scheme=parts.scheme,
            host=parts.hostname or "",
            port=parts.port or default_port,
            basepath=parts.path.rstrip("/") + "/api/v4",
        )


class Settings(MattermostSettings):
    """Every setting of the running bot: the Mattermost ones plus what serving commands needs."""

    slash_command_tokens: Annotated[tuple[str, ...], NoDecode] = Field(
        description="Comma-separated tokens of the registered /sessions commands (one per team)", repr=False
    )
    bot_secret: SecretStr = Field(description="Key for everything the bot signs (at least 32 characters)")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    notify_targets: bool = Field(default=True, description="Direct-message users whose sessions someone else revoked")
    audit_channel_id: str | None = Field(default=None, description="Channel that also gets a line for every audited action")
    revoke_rate_limit: str = Field(default=ratelimit.DEFAULT_LIMIT, description="Revoking actions allowed per user")
    lookup_rate_limit: str = Field(default=ratelimit.DEFAULT_LOOKUP_LIMIT,
                                   description="Looks at other users and previews of their sign-out allowed per user")
    rate_limit_storage_uri: SecretStr = Field(default=SecretStr(ratelimit.DEFAULT_STORAGE_URI), description="memory:// or redis://…")
    metrics_token: SecretStr | None = Field(default=None, description="Bearer token /metrics requires, when set")
    reply_budget_s: float = Field(
        default=2.5,
        gt=0,
        le=MATTERMOST_COMMAND_TIMEOUT_S / 3,
        description="Seconds a command may run before the bot answers 'still working' and sends the result "
        "later through the command's response_url (Mattermost fails a command after 30 s)",
    )

    @field_validator("audit_channel_id", mode="before")
    @classmethod
    def _channel_id(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not re.fullmatch(r"[A-Za-z0-9]{26}", str(value).strip()):
            raise ValueError("must be a 26-character Mattermost channel id")
        return str(value).strip()

    @field_validator("revoke_rate_limit", "lookup_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        return ratelimit.validate_limit(value)

    @field_validator("rate_limit_storage_uri")
    @classmethod
    def _limit_storage(cls, value: SecretStr) -> SecretStr:
        return SecretStr(ratelimit.validate_storage_uri(value.get_secret_value()))

    @field_validator("slash_command_tokens", mode="before")
    @classmethod
    def _split_tokens(cls, value: object) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[arg-type]
        tokens = tuple(t.strip() for t in items if str(t).strip())
        if not tokens:
            raise ValueError("must list at least one slash command token (comma-separated)")
        return tokens

    @field_validator("bot_secret")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        name = str(problem["loc"][0]).upper() if problem["loc"] else "configuration"
        reason = "is required but not set" if problem["type"] == "missing" else problem["msg"].removeprefix("Value error, ")
        lines.append(f"  {name}: {reason}")
    return "invalid configuration:\n" + "\n".join(lines)


def _validated(kind: type[S], overrides: dict[str, object]) -> S:
    try:
        return kind(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings from the environment (``overrides`` win); raise ConfigError."""
    return _validated(Settings, overrides)


def load_mattermost_settings(**overrides: object) -> MattermostSettings:
    """Read and validate only what talking to Mattermost needs (``overrides`` win); raise ConfigError."""
    return _validated(MattermostSettings, overrides)


def load_settings_or_exit() -> Settings:
    """Read the settings, or print what is wrong (no traceback) and exit with status 3 (gunicorn's boot error)."""
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"sessions-bot: {exc}", file=sys.stderr)
        raise SystemExit(3) from None
