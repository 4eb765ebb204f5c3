"""The webhook's own HTTP contract: only a configured command's requests are served; nothing else gets a 500."""
from __future__ import annotations

import logging

import pytest
import requests

from bot.web.slash import token_is_valid
from tests.support.settings import COMMAND_TOKEN

ALICE_FORM = {"user_id": "", "text": "list", "command": "/sessions", "team_id": "t" * 26, "channel_id": "c" * 26}


@pytest.fixture
def post(bot, world):
    """POST to the slash route with alice's user id and the given token/overrides."""

    def send(token: str | None = COMMAND_TOKEN, *, header: str | None = None, data=None, **kwargs) -> requests.Response:
        form = dict(ALICE_FORM, user_id=world.user_by_username("alice")["id"])
        if token is not None:
            form["token"] = token
        headers = {"Authorization": header} if header else {}
        return bot.http.post(bot.url + "/slash/sessions", data=form if data is None else data, headers=headers, timeout=10, **kwargs)

    return send


def test_valid_token_gets_an_ephemeral_json_reply(post):
    response = post()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["response_type"] == "ephemeral"


def test_forged_token_gets_401_without_detail_and_touches_nothing(post, world):
    response = post("forged-token-xxxxxxxxxxxxxxxx")
    assert response.status_code == 401 and response.text == "401 Unauthorized\n"
    assert world.exchanges == []


def test_missing_token_gets_401(post):
    assert post(None).status_code == 401


def test_token_in_the_authorization_header_alone_is_accepted(post):
    assert post(None, header=f"Token {COMMAND_TOKEN}").status_code == 200


def test_a_forged_header_beside_a_valid_form_token_is_rejected(post):
    assert post(header="Token forged-token-xxxxxxxxxxxxxx").status_code == 401


def test_two_token_fields_are_rejected(bot, world):
    form = [("token", COMMAND_TOKEN), ("token", COMMAND_TOKEN), ("user_id", world.user_by_username("alice")["id"])]
    assert bot.http.post(bot.url + "/slash/sessions", data=form, timeout=10).status_code == 400


def test_missing_user_id_gets_400(post):
    assert post(data={"token": COMMAND_TOKEN, "text": "list"}).status_code == 400


def test_malformed_user_id_gets_400(post):
    assert post(data={"token": COMMAND_TOKEN, "user_id": "../../users/me", "text": "list"}).status_code == 400


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_method_gets_405(bot, method):
    assert bot.http.request(method, bot.url + "/slash/sessions", timeout=10).status_code == 405


def test_json_body_gets_415(bot):
    assert bot.http.post(bot.url + "/slash/sessions", json={"token": COMMAND_TOKEN}, timeout=10).status_code == 415


def test_body_over_64_kib_gets_413(post):
    response = post(data={"token": COMMAND_TOKEN, "user_id": "a" * 26, "text": "x" * (65 * 1024)})
    assert response.status_code == 413


def test_the_longest_text_mattermost_lets_anyone_type_gets_a_bounded_friendly_reply(post):
    response = post(data={"token": COMMAND_TOKEN, "user_id": "a" * 26, "text": "x" * 16_383})
    assert response.status_code == 200 and len(response.json()["text"]) < 2000


def test_a_text_longer_than_any_post_mattermost_allows_gets_400_and_one_short_log_line(post, caplog):
    """16,383 characters is Mattermost's longest post (``PostMessageMaxRunesV2``); a form with more (it was
    served, at 60,000) did not come from its message box. Nothing of the text is logged."""
    caplog.set_level(logging.DEBUG)
    response = post(data={"token": COMMAND_TOKEN, "user_id": "a" * 26, "text": "list " + "x" * 16_379})
    assert response.status_code == 400 and response.text == "400 Bad Request\n"
    [line] = [r.getMessage() for r in caplog.records if r.name.startswith("bot")]
    assert "text" in line and len(line) < 200 and "xxx" not in line


def test_healthz_answers_without_calling_mattermost(bot, world):
    response = bot.http.get(bot.url + "/healthz", timeout=10)
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert world.exchanges == []


def test_unexpected_bug_becomes_a_friendly_reply_not_a_500(post, bot, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.features.single.run", explode)
    response = post()
    assert response.status_code == 200
    assert "Something went wrong in the sessions bot (reference `" in response.json()["text"]


def test_token_check_needs_every_presented_token_to_be_configured():
    assert token_is_valid(["a"], ("a", "b"))
    assert token_is_valid(["b", "b"], ("a", "b"))
    assert not token_is_valid(["a", "c"], ("a", "b"))
    assert not token_is_valid([], ("a",))
