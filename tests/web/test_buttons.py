"""Signed button contexts and the reply shapes that carry them (no server needed)."""
import json

import pytest
from itsdangerous import URLSafeTimedSerializer

from bot.core.audit import AuditEvent
from bot.core.commands import (
    Cancel,
    ChannelRef,
    RevokeAll,
    RevokeMany,
    RevokeSession,
    UserRef,
)
from bot.core.errors import ExpiredButton, ForeignButton, ForgedButton
from bot.core.filters import Duration, Platform, SessionFilter
from bot.core.model import Session, User
from bot.replies.sessions import MAX_CARDS, revoke_all_preview, session_list
from bot.web.buttons import ButtonSigner, attachments_json
from bot.web.effects import audit_record
from tests.support.factories import NOW_MS, session_json
from tests.support.ids import stable_repr

SECRET = "s" * 40
ALICE_ID = "a" * 26
BOB = UserRef("id", "b" * 26, "@bob")
EVERY_CRITERION = SessionFilter(frozenset({Platform.MOBILE, Platform.API}), Duration(2, "w"), Duration(90, "m"))

COMMANDS = [
    RevokeSession("x" * 26, None),
    RevokeSession("x" * 26, BOB),
    RevokeAll(None, confirmed=True),
    RevokeAll(BOB, confirmed=False),
    RevokeAll(BOB, confirmed=True, filter=SessionFilter(inactive=Duration(30, "d"))),
    RevokeAll(None, confirmed=False, filter=EVERY_CRITERION),
    RevokeMany((UserRef("username", "alice", "@Alice"), UserRef("email", "b@example.com", "b@example.com")),
               (ChannelRef("incident-42", "~Incident-42"),), confirmed=True),
    RevokeMany((), (ChannelRef("ops", "~ops"),), confirmed=True, filter=EVERY_CRITERION),
    Cancel(),
]


@pytest.mark.parametrize("command", COMMANDS, ids=stable_repr)
def test_every_button_command_survives_signing_for_its_viewer(command):
    signer = ButtonSigner(SECRET)
    assert signer.verify({"signed": signer.sign(ALICE_ID, command)}, ALICE_ID) == command


def signed_by_hand(run: dict) -> dict:
    """A context signed the way the bot signs one, carrying ``run`` exactly as given."""
    serializer = URLSafeTimedSerializer(SECRET, salt="sessions-bot/button/v1")
    return {"signed": serializer.dumps({"for": ALICE_ID, "run": run})}


def test_revoke_all_buttons_made_before_filters_existed_still_sign_out_everything():
    context = signed_by_hand({"do": "revoke-all", "yes": True, "target": ["b" * 26, "@bob"]})
    assert ButtonSigner(SECRET).verify(context, ALICE_ID) == RevokeAll(BOB, confirmed=True, filter=SessionFilter())


def test_an_unfiltered_revoke_all_button_is_signed_exactly_as_before_filters():
    signed = ButtonSigner(SECRET).sign(ALICE_ID, RevokeAll(BOB, confirmed=True))
    payload = URLSafeTimedSerializer(SECRET, salt="sessions-bot/button/v1").loads(signed)
    assert payload["run"] == {"do": "revoke-all", "yes": True, "target": ["b" * 26, "@bob"]}


@pytest.mark.parametrize(
    "bad_filter",
    [{"platform": ["tablet"]}, {"platform": "web"}, {"inactive": [0, "d"]}, {"inactive": [3651, "d"]},
     {"older_than": [30, "y"]}, {"older_than": ["x", "d"]}, {"inactive": [30]}, "mobile", ["web"]],
    ids=stable_repr,
)
def test_a_filter_the_bot_would_never_sign_is_refused(bad_filter):
    with pytest.raises(ForgedButton):
        ButtonSigner(SECRET).verify(signed_by_hand({"do": "revoke-all", "yes": True, "target": None, "filter": bad_filter}), ALICE_ID)


def test_a_button_is_refused_for_anyone_but_its_viewer():
    signer = ButtonSigner(SECRET)
    with pytest.raises(ForeignButton):
        signer.verify({"signed": signer.sign(ALICE_ID, Cancel())}, "c" * 26)


def test_a_button_works_until_its_lifetime_and_not_after():
    now = [1_000_000.0]
    signer = ButtonSigner(SECRET, max_age_s=900, clock=lambda: now[0])
    context = {"signed": signer.sign(ALICE_ID, Cancel())}
    now[0] += 900
    assert signer.verify(context, ALICE_ID) == Cancel()
    now[0] += 2
    with pytest.raises(ExpiredButton):
        signer.verify(context, ALICE_ID)


@pytest.mark.parametrize("context", [None, {}, {"signed": 5}, {"signed": ""}, {"signed": "abc.def.ghi"}, "text", []])
def test_missing_or_malformed_contexts_are_forged(context):
    with pytest.raises(ForgedButton):
        ButtonSigner(SECRET).verify(context, ALICE_ID)


def test_any_change_to_a_signed_context_is_forged():
    signed = ButtonSigner(SECRET).sign(ALICE_ID, RevokeAll(None, confirmed=False))
    middle = len(signed) // 2
    tampered = signed[:middle] + ("A" if signed[middle] != "A" else "B") + signed[middle + 1 :]
    with pytest.raises(ForgedButton):
        ButtonSigner(SECRET).verify({"signed": tampered}, ALICE_ID)


def test_a_context_from_another_secret_is_forged():
    with pytest.raises(ForgedButton):
        ButtonSigner(SECRET).verify({"signed": ButtonSigner("t" * 40).sign(ALICE_ID, Cancel())}, ALICE_ID)


def test_attachments_json_signs_each_button_for_the_viewer_and_points_at_the_action_url():
    signer = ButtonSigner(SECRET)
    reply = revoke_all_preview(None, [Session.from_api(session_json())], NOW_MS, buttons=True)
    [attachment] = attachments_json(reply.attachments, ALICE_ID, signer, "https://bot.example.com/actions")
    confirm, cancel = attachment["actions"]
    assert (confirm["name"], confirm["style"], cancel["name"]) == ("Sign out everywhere", "danger", "Cancel")
    assert confirm["integration"]["url"] == "https://bot.example.com/actions"
    assert signer.verify(confirm["integration"]["context"], ALICE_ID) == RevokeAll(None, confirmed=True)
    assert signer.verify(cancel["integration"]["context"], ALICE_ID) == Cancel()


def test_list_with_buttons_has_a_card_per_session_and_sign_out_everywhere():
    alice = User(id=ALICE_ID, username="alice", email="", roles=frozenset(), is_bot=False, deactivated=False)
    sessions = [Session.from_api(session_json()) for _ in range(3)]
    reply = session_list(alice, sessions, NOW_MS, buttons=True)
    assert "| Device |" not in reply.text
    cards, everywhere = reply.attachments[:-1], reply.attachments[-1]
    assert [c.buttons[0].command for c in cards] == [RevokeSession(s.id, UserRef("id", ALICE_ID, "@alice")) for s in sessions]
    assert everywhere.buttons[0].command == RevokeAll(UserRef("id", ALICE_ID, "@alice"), confirmed=False)


def test_list_with_many_sessions_gets_at_most_twenty_cards():
    reply = session_list(None, [Session.from_api(session_json()) for _ in range(30)], NOW_MS, buttons=True)
    assert len(reply.attachments) == MAX_CARDS + 1 and "…and 10 more" in reply.text


def test_audit_event_is_a_json_ready_record_with_the_time_first():
    event = AuditEvent("revoke", "ok", "", "a" * 26, "alice", "b" * 26, "bob", ("s" * 26,), "c" * 26, "t" * 26, "slash")
    record = json.loads(json.dumps(audit_record(event, NOW_MS)))
    assert list(record)[0] == "time" and record["time"].endswith("+00:00")
    assert record["session_ids"] == ["s" * 26] and record["target_username"] == "bob"


def test_a_bulk_button_naming_an_unknown_kind_of_user_is_forged():
    run = {"do": "revoke-many", "yes": True, "users": [["nickname", "x", "x"]], "channels": []}
    with pytest.raises(ForgedButton):
        ButtonSigner(SECRET).verify(signed_by_hand(run), ALICE_ID)


# --- personal access tokens -----------------------------------------------------------------------

from bot.core.commands import DisableTokens, RevokeEveryone  # noqa: E402

TOKEN_COMMANDS = [
    DisableTokens(None, confirmed=True),
    DisableTokens(BOB, confirmed=False),
    RevokeAll(BOB, confirmed=True, tokens=True),
    RevokeMany((UserRef("username", "alice", "@alice"),), (ChannelRef("ops", "~ops"),), confirmed=True, tokens=True),
]


@pytest.mark.parametrize("command", TOKEN_COMMANDS, ids=stable_repr)
def test_token_buttons_survive_signing(command):
    signer = ButtonSigner(SECRET)
    assert signer.verify({"signed": signer.sign(ALICE_ID, command)}, ALICE_ID) == command


def test_buttons_without_tokens_are_signed_exactly_as_before_tokens_existed():
    signed = ButtonSigner(SECRET).sign(ALICE_ID, RevokeMany((), (ChannelRef("ops", "~ops"),), confirmed=True))
    payload = URLSafeTimedSerializer(SECRET, salt="sessions-bot/button/v1").loads(signed)
    assert payload["run"] == {"do": "revoke-many", "yes": True, "users": [], "channels": [["ops", "~ops"]]}


def test_buttons_made_before_tokens_existed_leave_tokens_alone():
    context = signed_by_hand({"do": "revoke-all", "yes": True, "target": ["b" * 26, "@bob"]})
    assert ButtonSigner(SECRET).verify(context, ALICE_ID).tokens is False


@pytest.mark.parametrize("run", [
    {"do": "revoke-all", "yes": True, "target": None, "tokens": "yes"},
    {"do": "revoke-all", "yes": True, "target": None, "tokens": True, "filter": {"platform": ["web"]}},
    {"do": "revoke-everyone"},
    {"do": "revoke-everyone", "code": "ABCDEF"},
], ids=stable_repr)
def test_contexts_the_bot_never_signs_are_forged(run):
    with pytest.raises(ForgedButton):
        ButtonSigner(SECRET).verify(signed_by_hand(run), ALICE_ID)


def test_no_button_can_carry_revoke_everyone():
    with pytest.raises(ValueError):
        ButtonSigner(SECRET).sign(ALICE_ID, RevokeEveryone("ABCDEF"))


def test_audit_record_lists_the_disabled_token_ids():
    event = AuditEvent("disable-tokens", "ok", "", "a" * 26, "alice", "b" * 26, "bob", (), "c" * 26, "t" * 26, "slash",
                       token_ids=("k" * 26,))
    record = json.loads(json.dumps(audit_record(event, NOW_MS)))
    assert record["token_ids"] == ["k" * 26] and record["session_ids"] == []


# --- the team a button was made in ----------------------------------------------------------------

TEAM_ID = "t" * 26


def test_a_button_carries_the_team_of_the_command_that_made_it():
    signer = ButtonSigner(SECRET)
    click = signer.verified({"signed": signer.sign(ALICE_ID, Cancel(), TEAM_ID)}, ALICE_ID)
    assert (click.command, click.team_id) == (Cancel(), TEAM_ID)
    reply = revoke_all_preview(None, [Session.from_api(session_json())], NOW_MS, buttons=True)
    [attachment] = attachments_json(reply.attachments, ALICE_ID, signer, "https://bot.example.com/actions/k", TEAM_ID)
    assert all(signer.verified(b["integration"]["context"], ALICE_ID).team_id == TEAM_ID for b in attachment["actions"])


def test_a_context_signed_before_buttons_carried_a_team_reads_as_one_without():
    click = ButtonSigner(SECRET).verified(signed_by_hand({"do": "cancel"}), ALICE_ID)
    assert (click.command, click.team_id) == (Cancel(), None)


@pytest.mark.parametrize("team", ["", "x", "t" * 27, 26, None, ["t" * 26]])
def test_a_team_that_is_not_a_mattermost_id_is_not_one_the_bot_signed(team):
    serializer = URLSafeTimedSerializer(SECRET, salt="sessions-bot/button/v1")
    context = {"signed": serializer.dumps({"for": ALICE_ID, "team": team, "run": {"do": "cancel"}})}
    if team is None:  # JSON null: as if absent
        assert ButtonSigner(SECRET).verified(context, ALICE_ID).team_id is None
        return
    with pytest.raises(ForgedButton):
        ButtonSigner(SECRET).verified(context, ALICE_ID)
