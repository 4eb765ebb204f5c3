"""The README's first command: `sessions-bot demo` plays a conversation against the stand-in, or takes typed commands."""
import io

from bot.cli import main


def test_demo_plays_list_revoke_a_refusal_and_an_admins_revoke_all(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "types: /sessions list" in out and "#### Your sessions (4)" in out
    assert "✅ Signed out of the desktop app on Windows 10" in out
    assert "🚫 You can only manage your own sessions" in out
    assert "🚫 @sysadmin is a system admin" in out
    assert "To go ahead, run `/sessions revoke-all @alice --yes`." in out
    assert "✅ Signed @alice out of 3 sessions" in out
    assert out.rstrip().endswith("You have no active sessions.")


def test_interactive_demo_runs_typed_commands_as_the_chosen_user_and_switches_users(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("/sessions\n/as bob\n/sessions list @alice\n/as nobody\n/quit\n"))
    assert main(["demo", "--interactive", "--as", "usermanager"]) == 0
    out = capsys.readouterr().out
    assert "@usermanager\x1b[0m types: /sessions" in out and "#### Your sessions (1)" in out
    assert "@bob\x1b[0m types: /sessions list @alice" in out and "edit_other_users" in out
    assert "no user @nobody; try /users" in out
