"""Access tokens for Microsoft Graph from Entra ID, through msal.

* `AppTokenProvider` (domain-wide mode): client-credentials tokens, one msal
  `ConfidentialClientApplication` per customer tenant with that tenant's own authority (never
  `organizations`: msal warns app tokens from it are unreliable), `.default` scope, msal's cache
  reused so a second call within the token's life makes no request.
* `DelegatedAuth` (individual mode): authorization-code flow with PKCE, `state` and nonce (msal adds
  all three), then one serialized msal token cache per (tenant, user), kept by an injected
  `TokenCacheStore` (which encrypts at rest) and refreshed through `acquire_token_silent`.

msal is synchronous and does network I/O even in its constructor (OIDC discovery), so every msal
call runs in a worker thread of graph.msal_threads (a pool of its own, shared fairly between tenants).
msal gets its own `requests.Session` with `trust_env=False` (otherwise REQUESTS_CA_BUNDLE /
CURL_CA_BUNDLE from the environment silently replace our `verify=`) and a (connect, read) timeout on
every request: msal ignores its own `timeout` argument once it is handed a session.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode, urlparse

import msal
import requests

from graph.errors import AuthFailure, AuthProblem, classify_auth_error
from graph.msal_threads import MsalThreads

logger = logging.getLogger(__name__)

GRAPH_RESOURCE = "https://graph.microsoft.com"
APP_SCOPES = [f"{GRAPH_RESOURCE}/.default"]
# Individual mode's sign-in: the least each call needs (README, "Graph calls and their permissions").
# Calendars.ReadWrite covers creating, reading, cancelling and declining events and getSchedule.
# findMeetingTimes' API page names Calendars.Read.Shared while its generated permission table names
# Calendars.Read (covered by Calendars.ReadWrite): asking for both satisfies either. Both are
# delegated permissions a user may consent to.
DELEGATED_SCOPES = [f"{GRAPH_RESOURCE}/Calendars.ReadWrite", f"{GRAPH_RESOURCE}/Calendars.Read.Shared"]
# The OpenID Connect scopes msal adds to every sign-in; they are Graph delegated permissions too, so an admin
# consent for members who may not consent themselves must include them.
SIGN_IN_SCOPES = ["openid", "profile", "offline_access"]

# The app role (declared in the app registration's manifest) that makes someone a Rendezvous admin; a tenant
# assigns it in Enterprise applications and Entra puts it into the `roles` claim of that person's id token.
ADMIN_APP_ROLE = "Rendezvous.Admin"
# Directory role template ids that may grant tenant-wide (admin) consent; they reach us in `wids` only when
# the app registration sets groupMembershipClaims (Entra's default is none).
ADMIN_ROLE_TEMPLATE_IDS = frozenset(
    {
        "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
        "e8611ab8-c189-46e8-94e1-60213ab1f814",  # Privileged Role Administrator
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",  # Application Administrator
        "158c047a-c907-4556-b7ef-446551a6b5f7",  # Cloud Application Administrator
    }
)
# Personal Microsoft accounts all sign in through this tenant; calendars here need work accounts.
CONSUMER_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
_MULTI_TENANT_ALIASES = frozenset({"common", "organizations", "consumers"})
_TENANT_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$")

T = TypeVar("T")

# Seconds to wait for Entra ID: to open a connection, and for an answer (read) by default.
ENTRA_CONNECT_TIMEOUT = 5.0
DEFAULT_ENTRA_TIMEOUT = 10.0


class TokenCacheStore(Protocol):
    """Persistence of one serialized msal cache per (tenant, user); implementations encrypt it."""

    async def load(self, tenant_id: str, oid: str) -> str | None: ...

    async def save(self, tenant_id: str, oid: str, blob: str) -> None: ...

    async def delete(self, tenant_id: str, oid: str) -> None: ...


@dataclass(frozen=True)
class SignInStart:
    """Where to send the person, and the flow to keep server-side (keyed by `state`) until they return."""

    auth_url: str
    state: str
    flow: dict[str, Any]


@dataclass(frozen=True)
class SignedInUser:
    tenant_id: str
    oid: str
    name: str | None
    preferred_username: str | None
    app_roles: frozenset[str]
    directory_roles: frozenset[str]
    claims: Mapping[str, Any] = field(repr=False)

    @property
    def is_admin(self) -> bool:
        """The id token names the Rendezvous admin app role, or (when `wids` is issued) an admin directory role."""
        return ADMIN_APP_ROLE in self.app_roles or bool(self.directory_roles & ADMIN_ROLE_TEMPLATE_IDS)


def _check_tenant(tenant_id: str) -> str:
    """A concrete customer tenant (GUID or domain); multi-tenant aliases are refused for tokens."""
    tenant = tenant_id.strip().lower()
    if tenant in _MULTI_TENANT_ALIASES:
        raise ValueError(f"a specific tenant id is required here, not {tenant_id!r}")
    if not _TENANT_SHAPE.match(tenant):
        raise ValueError(f"not a tenant id: {tenant_id!r}")
    return tenant


class _TimedSession(requests.Session):
    """A requests session that never waits forever: requests itself has no session-wide timeout."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = (min(ENTRA_CONNECT_TIMEOUT, timeout), timeout)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


class _EntraApp:
    """What both token classes share: the client identity, the authority, msal's HTTP session and threads."""

    def __init__(self, client_id: str, client_secret: str, authority_host: str, ca_bundle: str | None,
                 timeout: float, threads: MsalThreads | None) -> None:
        parsed = urlparse(authority_host)
        if parsed.scheme != "https" or not parsed.hostname:
            raise ValueError(f"AUTHORITY_HOST must be an https URL, got {authority_host!r}")
        self.client_id = client_id
        self._client_secret = client_secret
        self.authority_host = authority_host.rstrip("/")
        # Instance discovery asks login.microsoftonline.com about the host: meaningless elsewhere.
        self._instance_discovery = parsed.hostname.lower() in msal.authority.WELL_KNOWN_AUTHORITY_HOSTS
        self._session = _TimedSession(timeout)
        self._session.trust_env = False
        self._session.verify = ca_bundle or True
        # Shared by every msal app object we build: OIDC discovery answers are cached here for a day.
        self._http_cache: dict[Any, Any] = {}
        self._own_threads = threads is None
        self._threads = threads or MsalThreads(wait_seconds=timeout)

    def build(
        self,
        tenant_id: str,
        token_cache: msal.TokenCache | None = None,
        http_cache: dict[Any, Any] | None = None,
    ) -> msal.ConfidentialClientApplication:
        """A msal app for one tenant. Blocking (discovery); call it from a worker thread.

        `http_cache` defaults to the one shared by every app built here; msal keeps discovery answers in it,
        and also replays an identical request's HTTP 400 answer from it for 60 seconds.
        """
        return msal.ConfidentialClientApplication(
            self.client_id,
            client_credential=self._client_secret,
            authority=f"{self.authority_host}/{tenant_id}",
            instance_discovery=self._instance_discovery,
            http_client=self._session,
            http_cache=self._http_cache if http_cache is None else http_cache,
            token_cache=token_cache,
        )

    def admin_consent_url(
        self, tenant_id: str, redirect_uri: str, state: str, scopes: Sequence[str] = tuple(APP_SCOPES)
    ) -> str:
        tenant = tenant_id.strip().lower()
        if tenant != "organizations":
            tenant = _check_tenant(tenant)
        query = urlencode(
            {
                "client_id": self.client_id,
                "scope": " ".join(scopes),
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{self.authority_host}/{tenant}/v2.0/adminconsent?{query}"

    async def call(self, tenant: str, work: Callable[[], T]) -> T:
        """Runs blocking msal work on one of `tenant`'s threads; network failures and timeouts become
        AuthProblem(UNAVAILABLE).

        msal raises MsalServiceError (instead of returning an error dict) when Entra ID answers 5xx or 429,
        so that is an outage too.
        """
        try:
            result = await self._threads.run(tenant, work)
        except (requests.RequestException, msal.exceptions.MsalServiceError) as exc:
            logger.warning("Entra ID unreachable: %s", type(exc).__name__)
            self._threads.note_unanswered(tenant)
            raise AuthProblem(AuthFailure.UNAVAILABLE) from exc
        self._threads.note_answered(tenant)
        return result

    def close(self) -> None:
        if self._own_threads:
            self._threads.close()
        self._session.close()


def _discovery_problem(exc: ValueError) -> AuthProblem:
    """msal raises ValueError when OIDC discovery answers 4xx: most often an unknown tenant."""
    problem = classify_auth_error({"error_description": str(exc)})
    if problem.error_codes:
        return problem
    return AuthProblem(AuthFailure.TENANT_NOT_FOUND)


class AppTokenProvider:
    """Client-credentials tokens for Graph, per customer tenant (domain-wide mode)."""

    def __init__(self, client_id: str, client_secret: str, authority_host: str, ca_bundle: str | None = None,
                 *, timeout: float = DEFAULT_ENTRA_TIMEOUT, threads: MsalThreads | None = None) -> None:
        self._entra = _EntraApp(client_id, client_secret, authority_host, ca_bundle, timeout, threads)
        self._apps: dict[str, msal.ConfidentialClientApplication] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def admin_consent_url(
        self, tenant_id: str, redirect_uri: str, state: str, scopes: Sequence[str] = tuple(APP_SCOPES)
    ) -> str:
        """The v2 admin-consent link; `tenant_id` may be 'organizations' when the tenant is not known yet.

        `.default` (the default) grants every permission the app registration lists, application
        permissions included; a list of delegated scopes grants only those.
        """
        return self._entra.admin_consent_url(tenant_id, redirect_uri, state, scopes)

    async def _app(self, tenant: str) -> msal.ConfidentialClientApplication:
        app = self._apps.get(tenant)
        if app is not None:
            return app
        lock = self._locks.setdefault(tenant, asyncio.Lock())
        async with lock:
            app = self._apps.get(tenant)
            if app is None:
                try:
                    # Its own http cache, so a fresh client (force_refresh) forgets msal's replayed refusals.
                    app = await self._entra.call(tenant, lambda: self._entra.build(tenant, http_cache={}))
                except ValueError as exc:
                    raise _discovery_problem(exc) from exc
                self._apps[tenant] = app
        return app

    async def token(self, tenant_id: str, *, force_refresh: bool = False, had_access_before: bool = False) -> str:
        """An app-only access token for `tenant_id`; from msal's cache while it is valid.

        `force_refresh` drops the cached token first (Graph answered 401 to it).
        `had_access_before` reports a consent problem as CONSENT_REVOKED rather than NOT_CONSENTED.
        """
        tenant = _check_tenant(tenant_id)
        if force_refresh:
            # A new msal client holds no cached token and no memory of an earlier refusal (msal would replay
            # "not consented" for a minute after an admin consented, e.g. during setup's self-test).
            self._apps.pop(tenant, None)
        app = await self._app(tenant)

        def acquire() -> dict[str, Any]:
            return app.acquire_token_for_client(scopes=APP_SCOPES)

        result = await self._entra.call(tenant, acquire)
        if "access_token" not in result:
            problem = classify_auth_error(result, had_access_before=had_access_before)
            logger.warning("App token for tenant %s refused: %s", tenant, problem)
            raise problem
        logger.debug("App token for tenant %s from %s", tenant, result.get("token_source"))
        return str(result["access_token"])

    def close(self) -> None:
        self._entra.close()


class DelegatedAuth:
    """Per-user sign-in (individual mode) and silent refresh from each user's stored msal cache."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        authority_host: str,
        ca_bundle: str | None,
        cache_store: TokenCacheStore,
        *,
        scopes: list[str] | None = None,
        timeout: float = DEFAULT_ENTRA_TIMEOUT,
        threads: MsalThreads | None = None,
    ) -> None:
        self._entra = _EntraApp(client_id, client_secret, authority_host, ca_bundle, timeout, threads)
        self._store = cache_store
        self._scopes = list(scopes or DELEGATED_SCOPES)
        # One refresh at a time per user, so two concurrent calls do not both redeem the refresh token.
        self._user_locks: dict[tuple[str, str], asyncio.Lock] = {}

    def admin_consent_url(
        self, tenant_id: str, redirect_uri: str, state: str, scopes: Sequence[str] = tuple(APP_SCOPES)
    ) -> str:
        return self._entra.admin_consent_url(tenant_id, redirect_uri, state, scopes)

    async def _build(self, tenant: str, cache: msal.TokenCache) -> msal.ConfidentialClientApplication:
        try:
            return await self._entra.call(tenant, lambda: self._entra.build(tenant, cache))
        except ValueError as exc:
            raise _discovery_problem(exc) from exc

    async def start_sign_in(
        self,
        tenant_id: str,
        redirect_uri: str,
        login_hint: str | None = None,
        *,
        response_mode: str | None = None,
        scopes: Sequence[str] | None = None,
    ) -> SignInStart:
        """Begins the auth-code flow against the person's own tenant. Keep `flow` until they return.

        `response_mode="form_post"` makes Entra POST the code to `redirect_uri` instead of putting
        it in the URL (RFC 9700 recommends it; msal warns otherwise); the default is a query string.
        `scopes=[]` asks for nothing but the sign-in itself (msal adds openid, profile, offline_access):
        enough to read the id token's roles.
        """
        tenant = _check_tenant(tenant_id)
        app = await self._build(tenant, msal.SerializableTokenCache())
        wanted = list(self._scopes if scopes is None else scopes)
        flow = app.initiate_auth_code_flow(
            wanted, redirect_uri=redirect_uri, login_hint=login_hint, response_mode=response_mode
        )
        return SignInStart(auth_url=flow["auth_uri"], state=flow["state"], flow={"tenant_id": tenant, "msal": flow})

    async def finish_sign_in(
        self,
        flow: Mapping[str, Any],
        query_params: Mapping[str, str],
        *,
        keep_tokens: bool = True,
        expected_user: tuple[str, str] | None = None,
    ) -> SignedInUser:
        """Redeems the code from the redirect, checks who signed in, and stores their token cache.

        Nothing is stored when `keep_tokens` is False (a sign-in that only proves a role), nor when
        someone other than `expected_user` (tenant id, object id) signed in: the caller refuses that.
        """
        if query_params.get("error"):
            problem = classify_auth_error(query_params)
            logger.info("Sign-in came back with an error: %s", problem)
            raise problem
        tenant = str(flow["tenant_id"])
        cache = msal.SerializableTokenCache()
        app = await self._build(tenant, cache)
        try:
            result = await self._entra.call(
                tenant, lambda: app.acquire_token_by_auth_code_flow(dict(flow["msal"]), dict(query_params))
            )
        except ValueError as exc:
            # state mismatch, replayed or stale link: the person simply has to start again
            logger.info("Sign-in response rejected by msal: %s", exc)
            raise AuthProblem(
                AuthFailure.RECONNECT_NEEDED,
                "That sign-in link has expired or was already used. Type `connect` to get a new one.",
            ) from exc
        if "access_token" not in result:
            problem = classify_auth_error(result)
            logger.info("Auth-code redemption refused: %s", problem)
            raise problem
        claims = result.get("id_token_claims") or {}
        user = self._check_claims(tenant, claims)
        expected = (expected_user[0].lower(), expected_user[1].lower()) if expected_user else None
        if keep_tokens and expected in (None, (user.tenant_id, user.oid)):
            await self._store.save(user.tenant_id, user.oid, cache.serialize())
        return user

    def _check_claims(self, tenant: str, claims: Mapping[str, Any]) -> SignedInUser:
        # msal >= 1.38 no longer checks id_token claims, and we key everything by (tid, oid).
        tid = str(claims.get("tid") or "").lower()
        oid = str(claims.get("oid") or "").lower()
        if not tid or not oid:
            raise AuthProblem(
                AuthFailure.RECONNECT_NEEDED,
                admin_hint="The id_token lacks tid/oid; the app registration must issue them.",
            )
        audience = claims.get("aud")
        if audience is not None and audience != self.client_id:
            raise AuthProblem(AuthFailure.WRONG_TENANT, admin_hint="id_token audience is not this app.")
        if tid == CONSUMER_TENANT_ID or (_is_guid(tenant) and tid != tenant):
            raise AuthProblem(AuthFailure.WRONG_TENANT)
        return SignedInUser(
            tenant_id=tid,
            oid=oid,
            name=claims.get("name"),
            preferred_username=claims.get("preferred_username"),
            app_roles=frozenset(str(role) for role in claims.get("roles") or ()),
            directory_roles=frozenset(str(role).lower() for role in claims.get("wids") or ()),
            claims=dict(claims),
        )

    @property
    def client_id(self) -> str:
        return self._entra.client_id

    async def token(self, tenant_id: str, oid: str, *, force_refresh: bool = False) -> str:
        """The user's access token, refreshed silently when needed; RECONNECT_NEEDED when impossible."""
        tenant = _check_tenant(tenant_id)
        user = oid.strip().lower()
        lock = self._user_locks.setdefault((tenant, user), asyncio.Lock())
        async with lock:
            blob = await self._store.load(tenant, user)
            if not blob:
                raise AuthProblem(AuthFailure.RECONNECT_NEEDED, "Connect your calendar first: type `connect`.")
            cache = msal.SerializableTokenCache()
            cache.deserialize(blob)
            app = await self._build(tenant, cache)
            scopes = self._scopes

            def acquire() -> dict[str, Any] | None:
                account = next(
                    (
                        candidate
                        for candidate in app.get_accounts()
                        if str(candidate.get("home_account_id", "")).lower().startswith(f"{user}.")
                        or str(candidate.get("local_account_id", "")).lower() == user
                    ),
                    None,
                )
                if account is None:
                    return None
                return app.acquire_token_silent_with_error(scopes, account=account, force_refresh=force_refresh)

            result = await self._entra.call(tenant, acquire)
            if cache.has_state_changed:
                await self._store.save(tenant, user, cache.serialize())
        if not result:
            raise AuthProblem(AuthFailure.RECONNECT_NEEDED)
        if "access_token" not in result:
            problem = classify_auth_error(result, had_access_before=True)
            logger.info("Silent token refresh refused for a user of tenant %s: %s", tenant, problem)
            raise problem
        return str(result["access_token"])

    async def forget(self, tenant_id: str, oid: str) -> None:
        """Disconnects: the stored cache (and with it the refresh token) is deleted."""
        await self._store.delete(_check_tenant(tenant_id), oid.strip().lower())

    def close(self) -> None:
        self._entra.close()


def _is_guid(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value))
