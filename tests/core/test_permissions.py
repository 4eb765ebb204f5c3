"""Mattermost's SessionHasPermissionToUser (§4.1), plus the bot's own rule, as a pure decision."""
import pytest

from bot.core.model import User
from bot.core.permissions import Action, Caller, Refusal, permissions_of, refusal_for

BOT_ID = "b" * 26


def user(uid: str, roles: str = "system_user", *, deactivated: bool = False) -> User:
    return User(id=uid * 26, username=uid, email=f"{uid}@example.com", roles=frozenset(roles.split()), is_bot=False, deactivated=deactivated)


def caller(uid: str, *permissions: str) -> Caller:
    return Caller(id=uid * 26, username=uid, email=f"{uid}@example.com", permissions=frozenset(permissions))


ALICE = user("a")
ADMIN = user("s", "system_user system_admin")
BOT = User(id=BOT_ID, username="sessionsbot", email="", roles=frozenset({"system_user", "system_admin"}), is_bot=True, deactivated=False)


@pytest.mark.parametrize("action", list(Action))
def test_anyone_may_act_on_themselves_without_any_permission(action):
    assert refusal_for(caller("a"), ALICE, action, BOT_ID) is None


@pytest.mark.parametrize("action", list(Action))
def test_plain_user_cannot_act_on_another_user(action):
    assert refusal_for(caller("c"), ALICE, action, BOT_ID) is Refusal.NEEDS_EDIT_OTHER_USERS


@pytest.mark.parametrize("action", list(Action))
def test_edit_other_users_allows_acting_on_a_regular_user(action):
    assert refusal_for(caller("m", "edit_other_users"), ALICE, action, BOT_ID) is None


@pytest.mark.parametrize("action", list(Action))
def test_admin_cannot_revoke_system_admin_without_manage_system(action):
    assert refusal_for(caller("m", "edit_other_users"), ADMIN, action, BOT_ID) is Refusal.TARGET_IS_SYSTEM_ADMIN


@pytest.mark.parametrize("action", list(Action))
def test_manage_system_allows_acting_on_a_system_admin(action):
    assert refusal_for(caller("o", "manage_system"), ADMIN, action, BOT_ID) is None


def test_manage_system_alone_is_enough_even_without_edit_other_users():
    assert refusal_for(caller("o", "manage_system"), ALICE, Action.REVOKE, BOT_ID) is None


def test_nobody_may_revoke_the_bots_own_sessions_not_even_a_system_admin():
    assert refusal_for(caller("o", "manage_system", "edit_other_users"), BOT, Action.REVOKE, BOT_ID) is Refusal.TARGET_IS_THIS_BOT


def test_a_system_admin_may_list_the_bots_sessions():
    assert refusal_for(caller("o", "manage_system"), BOT, Action.LIST, BOT_ID) is None


def test_refusals_name_the_missing_permission():
    assert Refusal.NEEDS_EDIT_OTHER_USERS.missing == "edit_other_users"
    assert Refusal.TARGET_IS_SYSTEM_ADMIN.missing == "manage_system"
    assert Refusal.TARGET_IS_THIS_BOT.missing is None


def test_permissions_are_the_union_of_the_callers_roles():
    roles = {"system_user": frozenset({"create_team"}), "system_user_manager": frozenset({"edit_other_users"})}
    assert permissions_of(roles, frozenset({"system_user", "system_user_manager"})) == {"create_team", "edit_other_users"}


def test_unknown_or_deleted_roles_grant_nothing():
    assert permissions_of({"system_user": frozenset({"create_team"})}, frozenset({"system_user", "gone_role"})) == {"create_team"}
    assert permissions_of({}, frozenset({"system_admin"})) == frozenset()


def test_caller_with_neither_permission_may_not_act_on_others():
    assert not caller("c", "create_team").may_act_on_others
    assert caller("m", "edit_other_users").may_act_on_others
    assert caller("o", "manage_system").may_act_on_others


# --- personal access tokens: Mattermost's token endpoints (api4/user.go) ---------------------------

from bot.core.permissions import TokenAction, token_gate, token_refusal  # noqa: E402

DEPLOYBOT = User(id="d" * 26, username="deploybot", email="", roles=frozenset({"system_user"}), is_bot=True, deactivated=False)
GATE = {TokenAction.LIST: "read_user_access_token", TokenAction.DISABLE: "revoke_user_access_token"}


@pytest.mark.parametrize("action", list(TokenAction))
def test_even_your_own_tokens_need_the_token_permission(action):
    assert token_gate(caller("a"), action).missing == GATE[action]
    assert token_refusal(caller("a"), ALICE, action, BOT_ID).missing == GATE[action]
    assert token_refusal(caller("a", GATE[action]), ALICE, action, BOT_ID) is None


@pytest.mark.parametrize("action", list(TokenAction))
def test_the_token_permission_alone_does_not_reach_someone_elses_tokens(action):
    assert token_refusal(caller("c", GATE[action]), ALICE, action, BOT_ID) is Refusal.NEEDS_EDIT_OTHER_USERS


@pytest.mark.parametrize("action", list(TokenAction))
def test_edit_other_users_alone_does_not_reach_tokens(action):
    assert token_refusal(caller("m", "edit_other_users"), ALICE, action, BOT_ID).missing == GATE[action]


@pytest.mark.parametrize("action", list(TokenAction))
def test_another_users_tokens_follow_the_session_rule_once_the_gate_is_passed(action):
    manager = caller("m", GATE[action], "edit_other_users")
    assert token_refusal(manager, ALICE, action, BOT_ID) is None
    assert token_refusal(manager, ADMIN, action, BOT_ID) is Refusal.TARGET_IS_SYSTEM_ADMIN
    assert token_refusal(caller("o", GATE[action], "manage_system"), ADMIN, action, BOT_ID) is None


@pytest.mark.parametrize("action", list(TokenAction))
def test_a_bot_accounts_tokens_need_manage_others_bots_even_with_manage_system(action):
    admin_without = caller("o", GATE[action], "manage_system", "edit_other_users")
    assert token_refusal(admin_without, DEPLOYBOT, action, BOT_ID) is Refusal.TARGET_IS_BOT
    assert Refusal.TARGET_IS_BOT.missing == "manage_others_bots"
    assert token_refusal(caller("o", GATE[action], "manage_others_bots"), DEPLOYBOT, action, BOT_ID) is None


def test_nobody_disables_the_bots_own_tokens_but_an_admin_may_list_them():
    admin = caller("o", "read_user_access_token", "revoke_user_access_token", "manage_system", "manage_others_bots")
    assert token_refusal(admin, BOT, TokenAction.DISABLE, BOT_ID) is Refusal.TARGET_IS_THIS_BOT
    assert token_refusal(admin, BOT, TokenAction.LIST, BOT_ID) is None


def test_signing_everyone_out_names_manage_system():
    assert Refusal.NEEDS_MANAGE_SYSTEM.missing == "manage_system"
    assert Refusal.WRONG_CONFIRMATION_CODE.missing is None
