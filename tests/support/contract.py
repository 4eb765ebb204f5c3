"""Check recorded HTTP exchanges against Mattermost's official OpenAPI description.

The description (API v4, OpenAPI 3.0) is published by Mattermost under CC BY-NC-SA 3.0, not under
this project's licence, so it is never copied into this repository: it is read at test time from
``<repo>/../shared/mattermost-api/v4/`` (or from the folder named by the environment variable
``MATTERMOST_API_SPEC_DIR``) and only ever changed in memory (see :data:`SPEC_CORRECTIONS`).

Typical use in a test module::

    from tests.support.contract import assert_exchanges_match_contract

    def test_listing_sessions_follows_the_contract(stand_in):
        ...  # drive the bot against the stand-in
        assert_exchanges_match_contract(stand_in.exchanges)

Validation is done by openapi-core 0.23 (``OpenAPI.from_dict`` and its request and response
validators: path, path and query parameters, ``Authorization: Bearer``, request body and whether
it is required, response status, response body). Three checks are added, each because openapi-core
accepts something that is always a client bug against this server:

* a concrete path wins over templated ones whatever the method, as the OpenAPI "Paths Object"
  requires, so ``GET /api/v4/roles/names`` is undocumented rather than
  ``GET /api/v4/roles/{role_id}`` with ``role_id="names"``;
* an empty path parameter (``/api/v4/users//sessions``) is reported;
* a query parameter the operation does not document is reported (the server ignores it silently).
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import yaml
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI, V30RequestValidator, V30ResponseValidator
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.datatypes import PathOperationServer
from openapi_core.templating.paths.exceptions import OperationNotFound, PathError
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequestBodyError,
    ParameterValidationError,
    RequestBodyValidationError,
    SecurityValidationError,
)
from openapi_core.validation.response.exceptions import (
    DataValidationError,
    HeaderValidationError,
    MissingData,
)
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_core.validation.schemas.validators import SchemaValidator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from bot.sandbox.exchanges import Exchange

SPEC_DIR_ENV = "MATTERMOST_API_SPEC_DIR"
"""Environment variable naming the folder that holds the YAML fragments (overrides the default)."""

FRAGMENTS = (
    "introduction.yaml",
    "users.yaml",
    "roles.yaml",
    "commands.yaml",
    "posts.yaml",
    "channels.yaml",
    "actions.yaml",
    "definitions.yaml",
)
"""The fragments, in the order in which their concatenation parses as one OpenAPI document
(``shared/mattermost-api/SOURCE.md``)."""

API_PREFIX = "/api/v4/"
"""What the description covers: the REST API. The server's other routes (the command webhooks behind
``response_url``, ``/hooks/commands/{id}``) are not in it, so their exchanges are not checked."""

_HOST_URL = "http://mattermost.invalid"
"""Scheme and host shown to openapi-core; irrelevant, as servers are matched on the path only."""

_NOT_VALIDATED: dict[str, Any] = {
    "description": "Accepts anything: see SPEC_CORRECTIONS in tests/support/contract.py.",
}

_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


class ContractUnavailable(Exception):
    """Mattermost's OpenAPI description cannot be read; the message says exactly why."""


@dataclass(frozen=True)
class SpecCorrection:
    """One in-memory change to the upstream description, and why it is needed.

    ``location`` is the chain of keys from the document root to the value that is set. When
    ``replaces`` is true that value must already exist upstream, otherwise it must not: a
    correction that no longer fits the upstream document stops the load instead of hiding a change.
    """

    location: tuple[str, ...]
    value: Any
    replaces: bool
    reason: str


_SHARED_ERROR_RESPONSES = {400: "BadRequest", 404: "NotFound", 501: "NotImplemented"}


def _undocumented_status(path: str, method: str, status: int, reason: str) -> SpecCorrection:
    """An error status the server answers for an operation that upstream leaves out, described by
    upstream's own shared response for that status (an ``AppError`` body)."""
    return SpecCorrection(
        ("paths", path, method, "responses", str(status)),
        {"$ref": f"#/components/responses/{_SHARED_ERROR_RESPONSES[status]}"},
        replaces=False,
        reason=f"Undocumented upstream: {reason}",
    )


SPEC_CORRECTIONS: tuple[SpecCorrection, ...] = (
    SpecCorrection(
        ("servers",),
        [{"url": "/"}],
        replaces=True,
        reason="Upstream lists '{scheme}://{host}'; the stand-in listens on 127.0.0.1 on a random "
        "port. A relative server makes openapi-core match requests on their path only.",
    ),
    SpecCorrection(
        ("components", "schemas", "ChannelBanner"),
        _NOT_VALIDATED,
        replaces=False,
        reason="Referenced by channels.yaml, defined in an upstream file that was not copied.",
    ),
    SpecCorrection(
        ("components", "schemas", "PostInfo"),
        _NOT_VALIDATED,
        replaces=False,
        reason="Referenced by posts.yaml, defined in an upstream file that was not copied.",
    ),
    SpecCorrection(
        ("components", "schemas", "CommandResponse"),
        _NOT_VALIDATED,
        replaces=True,
        reason="Upstream describes it with Go field names (ResponseType, Text, ...) while the "
        "server reads and writes snake_case keys: a check against it would prove nothing.",
    ),
    SpecCorrection(
        ("components", "schemas", "SlackAttachment"),
        _NOT_VALIDATED,
        replaces=True,
        reason="Same flaw as CommandResponse: Go field names instead of the JSON keys.",
    ),
    SpecCorrection(
        ("components", "schemas", "Timezone", "properties", "useAutomaticTimezone"),
        {"type": "string", "description": 'Either "true" or "false", as a string.'},
        replaces=True,
        reason="Upstream says boolean, but the server's model.User.Timezone is a StringMap "
        "(map[string]string): every User it returns carries \"useAutomaticTimezone\": \"true\" "
        "or \"false\" as a string, so the real server would fail the upstream schema.",
    ),
    SpecCorrection(
        ("paths", "/api/v4/users/{user_id}/tokens", "post", "responses", "200"),
        {"description": "User access token creation successful (the server's real status).",
         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserAccessToken"}}}},
        replaces=False,
        reason="Upstream documents 201, but createUserAccessToken (api4/user.go) encodes the new token "
        "without ever calling WriteHeader, so the server answers 200.",
    ),
    _undocumented_status(
        "/api/v4/users/{user_id}/tokens", "post", 404,
        "createUserAccessToken loads the user before any other check: an unknown user id is 404 "
        "app.user.missing_account.const.",
    ),
    _undocumented_status(
        "/api/v4/users/{user_id}/tokens", "post", 501,
        "With EnableUserAccessTokens off (the default), App.CreateUserAccessToken refuses a human user "
        "with 501 app.user_access_token.disabled.",
    ),
    *(
        _undocumented_status(
            f"/api/v4/users/tokens/{action}", "post", 404,
            f"{action}UserAccessToken (api4/user.go) looks the token up with GetUserAccessToken, which "
            "answers 404 app.user_access_token.get_by_user.app_error for an id naming no token (an empty "
            "one included).",
        )
        for action in ("revoke", "disable", "enable")
    ),
    _undocumented_status(
        "/api/v4/channels/{channel_id}", "get", 400,
        "getChannel starts with RequireChannelId: a channel id that is not 26 letters or digits is 400 "
        "api.context.invalid_url_param.app_error.",
    ),
    SpecCorrection(
        ("paths", "/api/v4/config/client"),
        {"get": {
            "operationId": "GetClientConfig",
            "summary": "The client configuration (upstream system.yaml, not copied).",
            "security": [{"bearerAuth": []}, {}],
            "parameters": [{"name": "format", "in": "query", "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": "Every setting as a string (map[string]string).",
                        "content": {"application/json": {"schema": {
                            "type": "object", "additionalProperties": {"type": "string"}}}}},
                "400": {"$ref": "#/components/responses/BadRequest"},
                "501": {"$ref": "#/components/responses/NotImplemented"},
            },
        }},
        replaces=False,
        reason="Upstream documents it in system.yaml, which ../shared does not copy. The bot reads "
        "PrivacySettings.ShowEmailAddress from it; api4/config.go getClientConfig answers 501 without "
        "format (so format is not marked required here), 400 for a format other than old, and the map "
        "GenerateClientConfig builds (server/config/client.go); it needs no session (APIHandler), which then "
        "gets the limited map.",
    ),
    SpecCorrection(
        ("paths", "/api/v4/users/{user_id}/teams/members"),
        {"get": {
            "operationId": "GetTeamMembersForUser",
            "summary": "A user's team memberships (upstream teams.yaml, not copied).",
            "parameters": [{"name": "user_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": "The active memberships.",
                        "content": {"application/json": {"schema": {
                            "type": "array", "items": {"$ref": "#/components/schemas/TeamMember"}}}}},
                "400": {"$ref": "#/components/responses/BadRequest"},
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "403": {"$ref": "#/components/responses/Forbidden"},
            },
        }},
        replaces=False,
        reason="Upstream documents it in teams.yaml, which ../shared does not copy; the schema it answers "
        "(TeamMember) is in definitions.yaml. The bot reads a user's teams and team roles from it to apply "
        "UserCanSeeOtherUser (api4/team.go getTeamMembersForUser).",
    ),
    SpecCorrection(
        ("paths", "/api/v4/users/{user_id}/reset_failed_attempts", "post", "parameters"),
        [{"name": "user_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        replaces=False,
        reason="Upstream forgets to declare this path parameter, which makes the whole document "
        "invalid OpenAPI (openapi-spec-validator: UnresolvableParameterError).",
    ),
)
"""Every deviation from the upstream document, each narrow and explained. Nothing is relaxed
globally: unknown properties pass only where the upstream schema itself allows them."""


def repo_root() -> Path:
    """The directory holding ``pyproject.toml``, found upwards from this file."""
    here = Path(__file__).resolve()
    for directory in here.parents:
        if (directory / "pyproject.toml").is_file():
            return directory
    raise RuntimeError(f"no pyproject.toml above {here}")


def spec_dir() -> Path:
    """Where the fragments are read from: ``$MATTERMOST_API_SPEC_DIR``, else the shared folder."""
    override = os.environ.get(SPEC_DIR_ENV)
    if override:
        return Path(override)
    return (repo_root().parent / "shared" / "mattermost-api" / "v4").resolve()


def load_contract() -> Contract:
    """The contract read from :func:`spec_dir`, parsed once per process (and folder).

    Raises :class:`ContractUnavailable` when the folder or one of the fragments is missing.
    """
    return _load_contract(spec_dir())


@lru_cache(maxsize=None)
def _load_contract(directory: Path) -> Contract:
    """Read, concatenate, correct and compile the fragments found in ``directory``."""
    if not directory.is_dir():
        raise ContractUnavailable(
            f"Mattermost's OpenAPI description not found at {directory} (it lives outside the "
            f"repo for licence reasons; see README, or point {SPEC_DIR_ENV} at it)"
        )
    missing = [name for name in FRAGMENTS if not (directory / name).is_file()]
    if missing:
        raise ContractUnavailable(
            f"Mattermost's OpenAPI description at {directory} is incomplete: "
            f"missing {', '.join(missing)} (needs all of {', '.join(FRAGMENTS)})"
        )
    text = "\n".join((directory / name).read_text(encoding="utf-8") for name in FRAGMENTS)
    # The C loader parses the ~400 KB in ~0.2 s, the pure-Python one in ~1 s.
    document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for correction in SPEC_CORRECTIONS:
        _apply(document, correction)
    return Contract(document)


def _apply(document: dict[str, Any], correction: SpecCorrection) -> None:
    """Set ``correction.value`` in ``document``, or fail if the correction no longer fits."""
    *parents, last = correction.location
    node: Any = document
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, dict) or (last in node) != correction.replaces:
        raise RuntimeError(
            f"SPEC_CORRECTIONS entry for {'/'.join(correction.location)} no longer fits the "
            f"upstream document ({'nothing to replace' if correction.replaces else 'already there'}"
            "); review it against the new upstream version"
        )
    node[last] = correction.value


class _RememberingPathFinder(APICallPathFinder):
    """openapi-core's path finder, remembering what it found for each method and URL: finding the operation
    of a path walks every path template of the description (about 1 ms), and each exchange needs it three
    times (here, in the request validator, in the response validator). The answer for a method and URL
    never changes, so remembering it checks exactly the same, once."""

    _found: dict[tuple[int, str, str], PathOperationServer] = {}

    def find(self, method: str, name: str) -> PathOperationServer:
        key = (id(self.spec), method, name)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = super().find(method, name)
        return found


class _RememberingValidators(SchemaValidatorsFactory):
    """openapi-core's factory of JSON Schema validators, building each schema's validator once: it builds one per
    schema per exchange otherwise (resolving references and copying the format checker each time). A
    validator keeps no state between instances it validates, so reusing it checks exactly the same."""

    def __init__(self, factory: SchemaValidatorsFactory) -> None:
        super().__init__(factory.schema_validator_cls, factory.format_checker)
        self._built: dict[tuple[Any, ...], SchemaValidator] = {}

    def create(self, spec: SchemaPath, schema: SchemaPath, format_validators: Any = None,
               extra_format_validators: Any = None, forbid_unspecified_additional_properties: bool = False,
               enforce_properties_required: bool = False) -> SchemaValidator:
        if format_validators is not None or extra_format_validators is not None:  # not used here; never cached
            return super().create(spec, schema, format_validators, extra_format_validators,
                                  forbid_unspecified_additional_properties, enforce_properties_required)
        key = (id(spec), schema.parts, forbid_unspecified_additional_properties, enforce_properties_required)
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = super().create(spec, schema, None, None,
                                                      forbid_unspecified_additional_properties,
                                                      enforce_properties_required)
        return built


class _RequestValidator(V30RequestValidator):
    path_finder_cls = _RememberingPathFinder
    schema_validators_factory = _RememberingValidators(V30RequestValidator.schema_validators_factory)


class _ResponseValidator(V30ResponseValidator):
    path_finder_cls = _RememberingPathFinder
    schema_validators_factory = _RememberingValidators(V30ResponseValidator.schema_validators_factory)


class Contract:
    """Mattermost's API description, ready to check exchanges against."""

    def __init__(self, document: dict[str, Any]) -> None:
        """Compile ``document`` (already corrected); openapi-core checks it is valid OpenAPI 3.0."""
        self._paths: dict[str, Any] = document["paths"]
        self._app = OpenAPI.from_dict(document, config=Config(request_validator_cls=_RequestValidator,
                                                              response_validator_cls=_ResponseValidator))
        self._finder = _RememberingPathFinder(self._app.spec)

    def problems(self, exchange: Exchange) -> list[str]:
        """Everything about ``exchange`` that departs from the description; empty when none.

        Each entry reads ``"<METHOD> <path>[?query]: request|response <status> <part>: <what>"``,
        e.g. ``"POST /api/v4/roles/names: request body: at $: {} is not of type 'array'"``.
        An exchange whose operation is undocumented gets that one problem only: there is nothing
        to check the rest against.
        """
        request = _Request(exchange)
        where = f"{request.method.upper()} {exchange.path}"
        if exchange.query:
            where += f"?{exchange.query}"
        try:
            operation = self._find_operation(request)
        except _Undocumented as undocumented:
            return [f"{where}: operation not documented: {undocumented}"]
        found = _problems_openapi_core_accepts(request, operation)
        found += (
            f"request {_describe(error)}"
            for error in self._app.request_validator.iter_errors(request)
        )
        found += (
            f"response {exchange.status} {_describe(error)}"
            for error in self._app.response_validator.iter_errors(request, _Response(exchange))
        )
        return [f"{where}: {problem}" for problem in found]

    def _find_operation(self, request: _Request) -> PathOperationServer:
        """The documented operation serving ``request``; raises :class:`_Undocumented`.

        openapi-core falls back to templated paths when a concrete path lacks the method; OpenAPI
        says a concrete path is matched first, so that fallback is refused here.
        """
        concrete = self._paths.get(request.path)
        if concrete is not None and request.method not in concrete:
            methods = sorted(key.upper() for key in concrete if key in _HTTP_METHODS)
            raise _Undocumented(
                f"this path documents {', '.join(methods)}, not {request.method.upper()}"
            )
        try:
            return self._finder.find(request.method, request.full_url)
        except OperationNotFound:
            raise _Undocumented(
                f"no path template matching this path documents {request.method.upper()}"
            ) from None
        except PathError:
            raise _Undocumented("no documented path matches, for any method") from None


class _Undocumented(Exception):
    """No operation in the description serves a request; the message says why."""


def _problems_openapi_core_accepts(request: _Request, operation: PathOperationServer) -> list[str]:
    """Empty path parameters and undocumented query parameters (see the module docstring)."""
    found = [
        f"request path parameter {name!r}: empty"
        for name, value in operation.path_result.variables.items()
        if not value
    ]
    documented = {
        (parameter / "name").read_str()
        for owner in (operation.path, operation.operation)
        for parameter in owner.get("parameters", [])
        if (parameter / "in").read_str() == "query"
    }
    found += (
        f"request query parameter {name!r}: not documented for this operation"
        for name in sorted(set(request.parameters.query) - documented)
    )
    return found


def _describe(error: Exception) -> str:
    """``"<part>: <what is wrong>"`` for an openapi-core validation error, on one line."""
    cause = error.__cause__
    if isinstance(error, ResponseNotFound):
        return f"status: not documented (documented: {', '.join(error.availableresponses)})"
    if isinstance(error, SecurityValidationError):
        return f"authentication: {cause} (expected 'Authorization: Bearer <token>')"
    if isinstance(error, MissingRequestBodyError):
        return "body: missing, but the operation requires one"
    if isinstance(error, MissingData):
        return "body: missing, but this status documents one"
    if isinstance(cause, MediaTypeNotFound):
        return (
            f"{_part(error)}: Content-Type {cause.mimetype or '(none)'!r} not documented "
            f"(documented: {', '.join(cause.availableMimetypes)})"
        )
    schema_errors = list(getattr(cause, "schema_errors", ()))
    if schema_errors:
        return f"{_part(error)}: " + "; ".join(
            f"at {_json_path(schema_error.absolute_path)}: {schema_error.message}"
            for schema_error in schema_errors
        )
    return f"{_part(error)}: {cause or error}"


def _part(error: Exception) -> str:
    """Which part of the message an openapi-core error is about."""
    if isinstance(error, (RequestBodyValidationError, DataValidationError)):
        return "body"
    if isinstance(error, ParameterValidationError):
        return f"{error.location} parameter {error.name!r}"
    if isinstance(error, HeaderValidationError):
        return f"header {error.name!r}"
    return type(error).__name__


def _json_path(parts: Iterable[str | int]) -> str:
    """``$.a[0].b`` for the keys and indexes leading to a value inside a JSON document."""
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)


class _Request:
    """An :class:`Exchange`'s request, shaped as openapi-core's ``Request`` protocol."""

    def __init__(self, exchange: Exchange) -> None:
        """Adapt the request half of ``exchange``."""
        headers = Headers(exchange.request_headers)
        self.method = exchange.method.lower()
        self.host_url = _HOST_URL
        self.path = exchange.path
        self.full_url = f"{_HOST_URL}{exchange.path}"
        self.body = exchange.request_body or None
        self.content_type = headers.get("Content-Type", "").lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(exchange.query, keep_blank_values=True)),
            header=headers,
        )


class _Response:
    """An :class:`Exchange`'s response, shaped as openapi-core's ``Response`` protocol."""

    def __init__(self, exchange: Exchange) -> None:
        """Adapt the response half of ``exchange``."""
        self.status_code = exchange.status
        self.headers = Headers(exchange.response_headers)
        self.content_type = self.headers.get("Content-Type", "").lower()
        self.data = exchange.response_body or None


def contract_or_skip() -> Contract:
    """The contract, or skip the calling test with the reason the description is unavailable."""
    try:
        return load_contract()
    except ContractUnavailable as unavailable:
        pytest.skip(str(unavailable))


def assert_exchanges_match_contract(exchanges: Iterable[Exchange]) -> None:
    """Fail, listing every problem found, unless all ``exchanges`` under :data:`API_PREFIX` match the contract.

    Skips the calling test (see :func:`contract_or_skip`) when the description is unavailable.
    """
    contract = contract_or_skip()
    problems = [
        problem
        for exchange in exchanges
        if exchange.path.startswith(API_PREFIX)
        for problem in contract.problems(exchange)
    ]
    if problems:
        pytest.fail(
            f"{len(problems)} departure(s) from Mattermost's OpenAPI description:\n"
            + "\n".join(f"  - {problem}" for problem in problems),
            pytrace=False,
        )
