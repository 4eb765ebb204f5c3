"""The HTTP underneath the Mattermost adapter: one keep-alive ``requests.Session`` per process, a timeout on
every call, no retries, and each call timed and counted by endpoint template (``bot.ops.metrics``).

mattermostdriver 7.3.2 calls ``requests.get/post`` for every request (no connection reuse) and has no timeout by
default (../shared/MATTERMOST.md §8). :class:`PooledClient` keeps the driver's endpoint helpers and exception
types but sends everything through the shared session; a retried POST could act twice, so nothing is retried.
"""
from __future__ import annotations

import os
from typing import Any, Callable, TypeVar

import requests
from mattermostdriver.client import Client
from mattermostdriver.exceptions import (
    ContentTooLarge,
    FeatureDisabled,
    InvalidOrMissingParameters,
    MethodNotAllowed,
    NoAccessTokenProvided,
    NotEnoughPermissions,
    ResourceNotFound,
)
from requests.adapters import HTTPAdapter

from bot.core.errors import UpstreamMalformed
from bot.ops import metrics

T = TypeVar("T")

#: Connections kept open to Mattermost per process (one per gunicorn thread is plenty).
POOL_SIZE = 16
#: How a command webhook is named in metrics; the real path holds the hook id, a secret (§1.5).
HOOK_ENDPOINT = "/hooks/commands/{hook_id}"

_DRIVER_ERRORS: dict[int, type[requests.HTTPError]] = {
    400: InvalidOrMissingParameters,
    401: NoAccessTokenProvided,
    403: NotEnoughPermissions,
    404: ResourceNotFound,
    405: MethodNotAllowed,
    413: ContentTooLarge,
    501: FeatureDisabled,
}


def new_http_session(base_url: str) -> requests.Session:
    """A requests session for ``base_url``: one bounded keep-alive pool and no automatic retries.

    The environment (``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``…) is read here, once:
    requests would otherwise re-scan it on every call, which cost more than half a millisecond per
    command in the benchmark.
    """
    http = requests.Session()
    http.trust_env = False
    http.proxies = requests.utils.get_environ_proxies(base_url)
    http.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=POOL_SIZE, max_retries=0)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


class PooledClient(Client):
    """mattermostdriver's Client, sending through a shared ``requests.Session`` (``options['http']``)."""

    def __init__(self, options: dict[str, Any]) -> None:
        super().__init__(options)
        self._http: requests.Session = options["http"]

    def make_request(  # noqa: PLR0913 - the driver's signature
        self,
        method: str,
        endpoint: str,
        options: Any = None,
        params: Any = None,
        data: Any = None,
        files: Any = None,
        basepath: str | None = None,
    ) -> requests.Response:
        """Send one request; raise the driver's exception for the status, with the response attached."""
        base = self.url if basepath is None else f"{self._scheme}://{self._options['url']}:{self._port}{basepath}"
        return checked(method.upper(), endpoint, lambda: self._http.request(
            method.upper(),
            base + endpoint,
            headers=self.auth_header(),
            json=options,
            params=params,
            data=data,
            files=files,
            timeout=self.request_timeout,
        ))


def checked(method: str, endpoint: str, send: Callable[[], requests.Response]) -> requests.Response:
    """``send()`` timed as a call to ``endpoint``; an error status raises the driver's exception for it,
    with the response attached."""
    with metrics.upstream_call(method, endpoint) as call:
        response = send()
        call.status = response.status_code
    if response.status_code >= 400:
        error = _DRIVER_ERRORS.get(response.status_code, requests.HTTPError)
        raise error(f"{method} {endpoint}: HTTP {response.status_code}", response=response)
    return response


def retry_after_s(response: requests.Response | None) -> float | None:
    """How long a rate-limited answer asks to wait: ``Retry-After``, else ``X-Ratelimit-Reset`` (seconds)."""
    for header in ("Retry-After", "X-Ratelimit-Reset"):
        try:
            return max(0.0, float(response.headers[header])) if response is not None else None
        except (KeyError, ValueError):
            continue
    return None


def error_id(response: requests.Response | None) -> str:
    """The ``id`` of Mattermost's error body (``AppError``), or "" when there is none."""
    try:
        body = response.json() if response is not None else {}
    except ValueError:
        return ""
    return str(body.get("id", "")) if isinstance(body, dict) else ""


def built(build: Callable[[], T], what: str) -> T:
    """``build()``, or ``UpstreamMalformed`` naming ``what`` when Mattermost's JSON is not shaped as documented."""
    try:
        return build()
    except (KeyError, TypeError, ValueError, AttributeError):
        raise UpstreamMalformed(f"{what} was not shaped as documented") from None
