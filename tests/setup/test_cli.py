"""The README's first command: `sessions-bot demo` plays a conversation against the stand-in, or takes typed commands."""
import io

from bot.setup.cli import main


def test_demo_plays_list_a_sign_out_click_refusals_and_a_confirmed_revoke_all(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "types: /sessions list" in out and "#### Your sessions (4)" in out and "[ Sign out ]" in out
    assert "clicks [ Sign out ]" in out and "✅ Signed out of the desktop app on Windows 10" in out
    assert "🚫 You can only manage your own sessions" in out
    assert "🚫 @sysadmin is a system admin" in out
    assert "[ Sign out everywhere ]  [ Cancel ]" in out
    assert "✅ Signed @alice out of 3 sessions" in out
    assert "You have no active sessions." in out
    assert "has a direct message from the sessions bot:\n  🔐 @usermanager signed you out of all 3 sessions" in out


def test_interactive_demo_runs_typed_commands_and_clicks_and_switches_users(capsys, monkeypatch):
    script = "/sessions revoke-all\n/click Cancel\n/as bob\n/sessions list @alice\n/as nobody\n/quit\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(script))
    assert main(["demo", "--interactive", "--as", "usermanager"]) == 0
    out = capsys.readouterr().out
    assert "@usermanager\x1b[0m types: /sessions revoke-all" in out and "[ Sign out everywhere ]  [ Cancel ]" in out
    assert "clicks [ Cancel ]" in out and "Cancelled: nothing was signed out." in out
    assert "@bob\x1b[0m types: /sessions list @alice" in out and "edit_other_users" in out
    assert "no user @nobody; try /users" in out
