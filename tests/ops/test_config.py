"""Settings are read once from the environment and every bad variable is named clearly."""
import re
from pathlib import Path

import pytest

from bot.ops.config import ConfigError, Settings, load_settings, load_settings_or_exit

GOOD = {
    "MATTERMOST_URL": "https://chat.example.com",
    "MATTERMOST_TOKEN": "bot-token",
    "SLASH_COMMAND_TOKENS": "tok-a, tok-b",
    "BOT_SECRET": "x" * 32,
}


@pytest.fixture
def env(monkeypatch):
    for name in (*GOOD, "MATTERMOST_TIMEOUT_S", "LOG_LEVEL", "BOT_PUBLIC_URL", "NOTIFY_TARGETS", "AUDIT_CHANNEL_ID",
                 "REPLY_BUDGET_S", "REVOKE_RATE_LIMIT", "LOOKUP_RATE_LIMIT", "RATE_LIMIT_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


def test_complete_environment_gives_settings_with_defaults(env):
    env(**GOOD)
    settings = load_settings()
    assert settings.slash_command_tokens == ("tok-a", "tok-b")
    assert settings.mattermost_timeout_s == 5.0 and settings.log_level == "INFO"
    assert (settings.server.scheme, settings.server.host, settings.server.port, settings.server.basepath) == ("https", "chat.example.com", 443, "/api/v4")


def test_url_with_port_and_subpath_is_split_for_the_driver(env):
    env(**dict(GOOD, MATTERMOST_URL="http://10.0.0.5:8065/chat/"))
    server = load_settings().server
    assert (server.scheme, server.host, server.port, server.basepath) == ("http", "10.0.0.5", 8065, "/chat/api/v4")


def test_every_missing_variable_is_named(env):
    with pytest.raises(ConfigError) as error:
        load_settings()
    for name in GOOD:
        assert f"{name}: is required but not set" in str(error.value)


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("MATTERMOST_URL", "chat.example.com", "must be an http(s) URL"),
        ("MATTERMOST_URL", "https://chat.example.com/?x=1", "must not have a query string"),
        ("MATTERMOST_TOKEN", "   ", "must not be empty"),
        ("SLASH_COMMAND_TOKENS", " , ,", "at least one slash command token"),
        ("BOT_SECRET", "short", "at least 32 characters"),
        ("MATTERMOST_TIMEOUT_S", "0", "MATTERMOST_TIMEOUT_S"),
        ("MATTERMOST_TIMEOUT_S", "60", "MATTERMOST_TIMEOUT_S"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL"),
        ("REPLY_BUDGET_S", "0", "greater than 0"),
        ("REPLY_BUDGET_S", "30", "less than or equal to 10"),
        ("REPLY_BUDGET_S", "soon", "valid number"),
        ("REVOKE_RATE_LIMIT", "ten per minute", "must be one rate limit such as '10 per minute'"),
        ("LOOKUP_RATE_LIMIT", "lots", "must be one rate limit such as '10 per minute'"),
        ("LOOKUP_RATE_LIMIT", "0 per minute", "must be one rate limit"),
        ("LOOKUP_RATE_LIMIT", "20 per minute; 100 per hour", "must be one rate limit"),
        ("RATE_LIMIT_STORAGE_URI", "memcached://cache:11211", "must be memory:// or a Redis URI"),
    ],
)
def test_bad_values_are_named_with_the_reason(env, name, value, reason):
    env(**dict(GOOD, **{name: value}))
    with pytest.raises(ConfigError, match=name) as error:
        load_settings()
    assert reason in str(error.value)


def test_log_level_is_case_insensitive(env):
    env(**dict(GOOD, LOG_LEVEL="debug"))
    assert load_settings().log_level == "DEBUG"


def test_secrets_never_appear_in_the_settings_repr(env):
    env(**GOOD)
    text = repr(load_settings())
    assert "bot-token" not in text and "tok-a" not in text and "x" * 32 not in text


def test_startup_with_bad_configuration_prints_one_clear_message_and_exits_3(env, capsys):
    with pytest.raises(SystemExit) as exit_:
        load_settings_or_exit()
    assert exit_.value.code == 3
    assert "sessions-bot: invalid configuration:" in capsys.readouterr().err


def test_buttons_notifications_and_audit_channel_settings(env):
    env(**GOOD)
    settings = load_settings()
    assert (settings.bot_public_url, settings.notify_targets, settings.audit_channel_id) == (None, True, None)
    env(BOT_PUBLIC_URL="https://bot.example.com/", NOTIFY_TARGETS="false", AUDIT_CHANNEL_ID="c" * 26)
    settings = load_settings()
    assert (settings.bot_public_url, settings.notify_targets, settings.audit_channel_id) == ("https://bot.example.com", False, "c" * 26)


@pytest.mark.parametrize(("name", "value"), [("BOT_PUBLIC_URL", "bot.example.com"), ("AUDIT_CHANNEL_ID", "town-square"), ("NOTIFY_TARGETS", "perhaps")])
def test_bad_button_and_audit_settings_are_named(env, name, value):
    env(**dict(GOOD, **{name: value}))
    with pytest.raises(ConfigError, match=name):
        load_settings()


def test_a_reply_waits_two_and_a_half_seconds_by_default_and_as_long_as_configured(env):
    env(**GOOD)
    assert load_settings().reply_budget_s == 2.5
    env(REPLY_BUDGET_S="0.5")
    assert load_settings().reply_budget_s == 0.5


def test_rate_limits_default_to_ten_revokes_and_twenty_lookups_a_minute_and_take_any_single_limit(env):
    env(**GOOD)
    settings = load_settings()
    assert (settings.revoke_rate_limit, settings.lookup_rate_limit) == ("10 per minute", "20 per minute")
    env(LOOKUP_RATE_LIMIT=" 60/hour ")
    assert load_settings().lookup_rate_limit == "60/hour"


def test_the_readme_settings_table_lists_every_setting_and_nothing_else():
    """Every variable the bot reads is documented in README → Settings, and every documented one is read (the
    gunicorn ones are gunicorn's: ``gunicorn.conf.py``)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Settings", 1)[1].split("\n\n**", 1)[0]
    documented = {name for row in table.splitlines() if row.startswith("| `")
                  for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])}
    assert documented - {"PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS"} == {name.upper() for name in Settings.model_fields}
