"""The contract checker itself, fed hand-built exchanges for the endpoints the bot uses.

Every test that needs Mattermost's OpenAPI description skips, saying why, when it is absent
(run with ``MATTERMOST_API_SPEC_DIR=/nonexistent`` to see that).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.exchanges import Exchange
from tests.support.contract import (
    FRAGMENTS,
    SPEC_DIR_ENV,
    Contract,
    ContractUnavailable,
    assert_exchanges_match_contract,
    contract_or_skip,
    load_contract,
)

CALLER_ID = "kq8m5wz3ajbdfxn1rw6hyzpo4e"
TARGET_ID = "9xbtcu3e1jfq5pyg7hdk4wmnra"
SESSION_ID = "h1wz6r8ojtfx9qp3ncayeb5ugk"
BOT_TOKEN = "tcbe3yq8mfgxurp6w1dzs9jh5o"

SESSION: dict[str, Any] = {
    "id": SESSION_ID,
    "token": "",
    "create_at": 1_731_400_000_000,
    "expires_at": 1_733_992_000_000,
    "last_activity_at": 1_731_486_400_000,
    "user_id": TARGET_ID,
    "device_id": "",
    "roles": "system_user",
    "is_oauth": False,
    "expired_notify": False,
    "props": {
        "platform": "Linux",
        "os": "Linux",
        "browser": "Firefox/132.0",
        "csrf": "pz7n5qw1uk3x9fbe8mtyg4co6r",
        "isMobile": "false",
        "isSaml": "false",
        "isOAuthUser": "false",
    },
    "team_members": [],
    "local": False,
}
"""A web session as ``GET /users/{user_id}/sessions`` lists it (``Sanitize()`` blanks ``token``)."""

PAT_SESSION: dict[str, Any] = {
    **SESSION,
    "id": "w4fsu8gk1zxbo3cm7qean9ydpr",
    "expires_at": 4_887_160_000_000,
    "props": {
        "type": "UserAccessToken",
        "user_access_token_id": "3rj8zkd9w7fgmbqx1e6yutnc5a",
        "is_bot": "true",
        "is_guest": "false",
    },
}
"""The session row a personal access (or bot) token gets when first used."""

USER: dict[str, Any] = {
    "id": TARGET_ID,
    "create_at": 1_700_000_000_000,
    "update_at": 1_731_000_000_000,
    "delete_at": 0,
    "username": "alice",
    "auth_data": "",
    "auth_service": "",
    "email": "alice@example.com",
    "email_verified": True,
    "nickname": "",
    "first_name": "Alice",
    "last_name": "Liddell",
    "position": "",
    "roles": "system_user",
    "props": {},
    "notify_props": {
        "channel": "true",
        "comments": "never",
        "desktop": "mention",
        "desktop_sound": "true",
        "email": "true",
        "first_name": "false",
        "mention_keys": "",
        "push": "mention",
        "push_status": "away",
    },
    "last_password_update": 1_700_000_000_000,
    "locale": "en",
    "timezone": {
        "automaticTimezone": "Europe/Berlin",
        "manualTimezone": "",
        "useAutomaticTimezone": "true",
    },
    "disable_welcome_email": False,
    "mfa_active": False,
    "failed_attempts": 0,
}
"""A user as ``GET /users/...`` returns it, timezone flags as strings like the real server's."""

ROLE: dict[str, Any] = {
    "id": "ny4hqk8r3tfb5jzx1wumc9gdeo",
    "name": "system_user",
    "display_name": "authentication.roles.global_user.name",
    "description": "authentication.roles.global_user.description",
    "create_at": 1_700_000_000_000,
    "update_at": 1_700_000_000_000,
    "delete_at": 0,
    "permissions": ["create_team", "create_direct_channel", "list_public_teams"],
    "scheme_managed": False,
    "built_in": True,
}

STATUS_OK = {"status": "OK"}

SESSIONS = f"/api/v4/users/{TARGET_ID}/sessions"
REVOKE = f"{SESSIONS}/revoke"
REVOKE_ALL = f"{REVOKE}/all"


def app_error(status: int, error_id: str) -> dict[str, Any]:
    """An ``AppError`` body as the server sends it with a ``status`` answer."""
    return {
        "id": error_id,
        "message": "Something about the request was wrong.",
        "detailed_error": "",
        "request_id": "c7xg1npqtbf3jz9ru5m8yeow4d",
        "status_code": status,
    }


def exchange(
    method: str,
    path: str,
    *,
    body: Any = None,
    status: int = 200,
    answer: Any = None,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> Exchange:
    """An exchange as the stand-in records it: JSON both ways, the bot's bearer token sent."""
    request_headers = {"Authorization": f"Bearer {BOT_TOKEN}", "Accept": "application/json"}
    if body is not None:
        request_headers["Content-Type"] = "application/json"
    return Exchange(
        method=method,
        path=path,
        query=query,
        request_headers=request_headers if headers is None else headers,
        request_body=b"" if body is None else json.dumps(body).encode(),
        status=status,
        response_headers={"Content-Type": "application/json"},
        response_body=b"" if answer is None else json.dumps(answer).encode(),
    )


@pytest.fixture(scope="module")
def contract() -> Contract:
    """The contract; every test using it skips, with the reason, when it is unavailable."""
    return contract_or_skip()


DOCUMENTED_EXCHANGES = {
    "GET /users/me answers the caller": exchange(
        "GET", "/api/v4/users/me", answer={**USER, "id": CALLER_ID}
    ),
    "GET /users/{user_id} answers the user": exchange(
        "GET", f"/api/v4/users/{TARGET_ID}", answer=USER
    ),
    "GET /users/username/{username} answers the user": exchange(
        "GET", "/api/v4/users/username/alice", answer=USER
    ),
    "GET /users/email/{email} answers the user": exchange(
        "GET", "/api/v4/users/email/alice%40example.com", answer=USER
    ),
    "POST /roles/names answers the roles": exchange(
        "POST", "/api/v4/roles/names", body=["system_user", "system_admin"], answer=[ROLE]
    ),
    "GET /users/{user_id}/sessions answers web and token sessions": exchange(
        "GET", SESSIONS, answer=[SESSION, PAT_SESSION]
    ),
    "GET /users/me/sessions answers an empty list": exchange(
        "GET", "/api/v4/users/me/sessions", answer=[]
    ),
    "POST /users/{user_id}/sessions/revoke answers OK": exchange(
        "POST", REVOKE, body={"session_id": SESSION_ID}, answer=STATUS_OK
    ),
    "POST /users/{user_id}/sessions/revoke/all, no body, answers OK": exchange(
        "POST", REVOKE_ALL, answer=STATUS_OK
    ),
    "revoking an unknown session answers 400 with an AppError": exchange(
        "POST",
        REVOKE,
        body={"session_id": "unknownsessionidxxxxxxxxxx"},
        status=400,
        answer=app_error(400, "app.session.get.app_error"),
    ),
    "listing another user's sessions without permission answers 403": exchange(
        "GET",
        SESSIONS,
        status=403,
        answer=app_error(403, "api.context.permissions.app_error"),
    ),
    "an unknown username answers 404": exchange(
        "GET",
        "/api/v4/users/username/nobody",
        status=404,
        answer=app_error(404, "app.user.missing_account.const"),
    ),
}


@pytest.mark.parametrize(
    "documented", DOCUMENTED_EXCHANGES.values(), ids=DOCUMENTED_EXCHANGES.keys()
)
def test_a_documented_exchange_has_no_problems(contract: Contract, documented: Exchange) -> None:
    assert contract.problems(documented) == []


def test_get_on_roles_names_is_flagged_because_only_post_is_documented(contract: Contract) -> None:
    problems = contract.problems(exchange("GET", "/api/v4/roles/names", answer=[ROLE]))

    assert problems == [
        "GET /api/v4/roles/names: operation not documented: this path documents POST, not GET"
    ]


def test_roles_names_given_an_object_instead_of_a_list_is_flagged(contract: Contract) -> None:
    problems = contract.problems(
        exchange("POST", "/api/v4/roles/names", body={"names": ["system_user"]}, answer=[ROLE])
    )

    assert len(problems) == 1
    assert problems[0].startswith("POST /api/v4/roles/names: request body: ")
    assert "is not of type 'array'" in problems[0]


def test_revoke_without_session_id_is_flagged_as_the_spec_requires_it(contract: Contract) -> None:
    problems = contract.problems(
        exchange("POST", REVOKE, body={"id": SESSION_ID}, answer=STATUS_OK)
    )

    assert problems == [
        f"POST {REVOKE}: request body: at $: 'session_id' is a required property"
    ]


def test_revoke_with_a_numeric_session_id_is_flagged(contract: Contract) -> None:
    problems = contract.problems(
        exchange("POST", REVOKE, body={"session_id": 42}, answer=STATUS_OK)
    )

    assert problems == [
        f"POST {REVOKE}: request body: at $.session_id: 42 is not of type 'string'"
    ]


def test_revoke_without_any_body_is_flagged_as_the_body_is_required(contract: Contract) -> None:
    problems = contract.problems(exchange("POST", REVOKE, answer=STATUS_OK))

    assert problems == [f"POST {REVOKE}: request body: missing, but the operation requires one"]


def test_a_json_body_sent_without_its_content_type_is_flagged(contract: Contract) -> None:
    headers = {"Authorization": f"Bearer {BOT_TOKEN}"}
    problems = contract.problems(
        exchange("POST", "/api/v4/roles/names", body=["user"], answer=[ROLE], headers=headers)
    )

    assert problems == [
        "POST /api/v4/roles/names: request body: Content-Type '(none)' not documented "
        "(documented: application/json)"
    ]


def test_a_request_without_a_bearer_token_is_flagged(contract: Contract) -> None:
    problems = contract.problems(exchange("GET", "/api/v4/users/me", answer=USER, headers={}))

    assert len(problems) == 1
    assert problems[0].startswith("GET /api/v4/users/me: request authentication: ")


def test_an_undocumented_path_is_flagged(contract: Contract) -> None:
    problems = contract.problems(exchange("GET", f"{SESSIONS}/active", answer=[SESSION]))

    assert problems == [
        f"GET {SESSIONS}/active: operation not documented: "
        "no documented path matches, for any method"
    ]


def test_an_undocumented_method_on_a_templated_path_is_flagged(contract: Contract) -> None:
    problems = contract.problems(exchange("DELETE", SESSIONS, answer=STATUS_OK))

    assert problems == [
        f"DELETE {SESSIONS}: operation not documented: "
        "no path template matching this path documents DELETE"
    ]


def test_an_empty_path_parameter_is_flagged(contract: Contract) -> None:
    problems = contract.problems(exchange("GET", "/api/v4/users//sessions", answer=[SESSION]))

    assert problems == ["GET /api/v4/users//sessions: request path parameter 'user_id': empty"]


def test_an_undocumented_query_parameter_is_flagged(contract: Contract) -> None:
    problems = contract.problems(
        exchange("GET", SESSIONS, query="page=0&per_page=60", answer=[SESSION])
    )

    assert problems == [
        f"GET {SESSIONS}?page=0&per_page=60: "
        f"request query parameter {name!r}: not documented for this operation"
        for name in ("page", "per_page")
    ]


def test_an_undocumented_status_code_is_flagged(contract: Contract) -> None:
    problems = contract.problems(
        exchange(
            "POST",
            REVOKE_ALL,
            status=404,
            answer=app_error(404, "app.user.missing_account.const"),
        )
    )

    assert problems == [
        f"POST {REVOKE_ALL}: response 404 status: "
        "not documented (documented: 200, 400, 401, 403)"
    ]


def test_a_response_field_of_the_wrong_type_is_flagged(contract: Contract) -> None:
    stale = {**SESSION, "create_at": "yesterday"}
    problems = contract.problems(exchange("GET", SESSIONS, answer=[stale]))

    assert problems == [
        f"GET {SESSIONS}: response 200 body: "
        "at $[0].create_at: 'yesterday' is not of type 'integer'"
    ]


def test_an_app_error_with_a_textual_status_code_is_flagged(contract: Contract) -> None:
    error = {**app_error(400, "api.context.invalid_body_param.app_error"), "status_code": "400"}
    problems = contract.problems(
        exchange("POST", REVOKE, body={"session_id": ""}, status=400, answer=error)
    )

    assert problems == [
        f"POST {REVOKE}: response 400 body: "
        "at $.status_code: '400' is not of type 'integer'"
    ]


def test_an_empty_answer_where_json_is_documented_is_flagged(contract: Contract) -> None:
    problems = contract.problems(exchange("POST", REVOKE_ALL))

    assert problems == [
        f"POST {REVOKE_ALL}: response 200 body: "
        "missing, but this status documents one"
    ]


def test_a_boolean_timezone_flag_is_flagged_as_servers_send_a_string(contract: Contract) -> None:
    """Upstream says boolean; SPEC_CORRECTIONS holds the server's real type, a string."""
    as_upstream_says = {**USER, "timezone": {**USER["timezone"], "useAutomaticTimezone": True}}
    user = f"/api/v4/users/{TARGET_ID}"
    problems = contract.problems(exchange("GET", user, answer=as_upstream_says))

    assert problems == [
        f"GET {user}: response 200 body: "
        "at $.timezone.useAutomaticTimezone: True is not of type 'string'"
    ]


def test_every_problem_of_an_exchange_is_reported_not_just_the_first(contract: Contract) -> None:
    problems = contract.problems(
        exchange(
            "POST",
            REVOKE,
            query="force=true",
            body={"session_id": 42},
            status=200,
            answer={"status": 1},
        )
    )

    assert [problem.split(": ", 2)[1] for problem in problems] == [
        "request query parameter 'force'",
        "request body",
        "response 200 body",
    ]


def test_assert_exchanges_match_contract_lists_every_problem(contract: Contract) -> None:
    exchanges = [
        DOCUMENTED_EXCHANGES["GET /users/me answers the caller"],
        exchange("GET", "/api/v4/roles/names", answer=[ROLE]),
        exchange("POST", REVOKE, body={}, answer=STATUS_OK),
    ]

    with pytest.raises(pytest.fail.Exception) as failure:
        assert_exchanges_match_contract(exchanges)

    message = str(failure.value)
    assert message.startswith("2 departure(s) from Mattermost's OpenAPI description:")
    assert "GET /api/v4/roles/names: operation not documented" in message
    assert "'session_id' is a required property" in message


def test_assert_exchanges_match_contract_passes_documented_exchanges(contract: Contract) -> None:
    assert_exchanges_match_contract(DOCUMENTED_EXCHANGES.values())


def test_the_description_is_parsed_once_per_process(contract: Contract) -> None:
    assert load_contract() is load_contract() is contract


def test_a_missing_description_folder_is_unavailable_and_says_where_it_was_sought(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    absent = tmp_path / "mattermost-api" / "v4"
    monkeypatch.setenv(SPEC_DIR_ENV, str(absent))

    with pytest.raises(ContractUnavailable, match=f"not found at {absent} .*licence"):
        load_contract()


def test_a_missing_fragment_is_unavailable_and_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in FRAGMENTS:
        if name != "roles.yaml":
            (tmp_path / name).write_text("", encoding="utf-8")
    monkeypatch.setenv(SPEC_DIR_ENV, str(tmp_path))

    with pytest.raises(ContractUnavailable, match="incomplete: missing roles.yaml"):
        load_contract()


def test_contract_or_skip_skips_with_the_reason_when_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SPEC_DIR_ENV, str(tmp_path / "absent"))

    reason = "Mattermost's OpenAPI description not found at"
    with pytest.raises(pytest.skip.Exception, match=reason):
        contract_or_skip()
