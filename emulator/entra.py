"""Entra ID (v2.0 endpoints) as MSAL Python and a browser see it.

Discovery, the token endpoint (client credentials, authorization code with PKCE, refresh token), the
/authorize sign-in page and the admin-consent page. Errors use Entra's JSON shape and real AADSTS
codes. Tokens are RS256 JWTs signed with a key made at start-up; Graph (same process) validates them
and looks their grant up here, so `expire_tokens()` and revocation take effect at once.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from emulator.notes import notes
from emulator.org import DIRECTORY_ROLES, MULTI_TENANT_ALIASES, App, ConsentGrant, Org, Person, Tenant

log = logging.getLogger(__name__)

GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
CODE_LIFETIME_SECONDS = 600
REFRESH_TOKEN_LIFETIME_SECONDS = 90 * 24 * 3600


@dataclass
class AccessGrant:
    """What an access token stands for; Graph asks `Entra.grant_for(token)` for it."""

    tenant_id: str
    app_id: str
    user_id: str | None  # None for app-only tokens
    roles: tuple[str, ...]
    scopes: tuple[str, ...]
    expires_at: float
    generation: int

    @property
    def app_only(self) -> bool:
        return self.user_id is None


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    tenant_id: str
    user_id: str
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str
    expires_at: float
    redeemed: bool = False


@dataclass
class RefreshGrant:
    client_id: str
    tenant_id: str
    user_id: str
    scopes: tuple[str, ...]
    expires_at: float
    revoked: bool = False


@dataclass
class SignInChoice:
    """Who the headless sign-in and consent pages pick, set by tests through `sign_in_as`."""

    person_id: str | None = None
    decline: bool = False


class TokenInvalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Entra:
    org: Org
    access_token_lifetime: int = 3600
    sign_in: SignInChoice = field(default_factory=SignInChoice)
    _codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    _refresh: dict[str, RefreshGrant] = field(default_factory=dict)
    _grants: dict[str, AccessGrant] = field(default_factory=dict)
    _generation: int = 0
    _needs_mfa: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = secrets.token_hex(8)

    # -- control surface used by emulator.testing -------------------------------------------------
    def expire_tokens(self) -> None:
        """Every access token issued so far stops working (Graph answers 401)."""
        self._generation += 1

    def revoke_refresh_tokens(self, tenant_id: str, user_id: str) -> int:
        revoked = 0
        for grant in self._refresh.values():
            if grant.tenant_id == tenant_id.lower() and grant.user_id == user_id.lower() and not grant.revoked:
                grant.revoked = True
                revoked += 1
        return revoked

    def require_mfa(self, tenant_id: str, user_id: str, required: bool = True) -> None:
        """The next refresh for this user answers interaction_required (AADSTS50076)."""
        key = (tenant_id.lower(), user_id.lower())
        if required:
            self._needs_mfa.add(key)
        else:
            self._needs_mfa.discard(key)

    # -- token validation for Graph ---------------------------------------------------------------
    def grant_for(self, token: str) -> AccessGrant:
        try:
            claims = jwt.decode(token, self._key.public_key(), algorithms=["RS256"],
                                options={"verify_aud": False, "verify_exp": False})
        except jwt.PyJWTError as exc:
            raise TokenInvalid("IDX14100: JWT is not well formed.") from exc
        grant = self._grants.get(str(claims.get("uti")))
        if grant is None:
            raise TokenInvalid("Invalid signature.")
        if grant.expires_at <= time.time() or grant.generation != self._generation:
            raise TokenInvalid("Lifetime validation failed, the token is expired.")
        return grant

    # -- routes -----------------------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self.openid_configuration)
        app.router.add_get("/{tenant}/.well-known/openid-configuration", self.openid_configuration)
        app.router.add_get("/{tenant}/discovery/v2.0/keys", self.keys)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self.token)
        app.router.add_get("/{tenant}/oauth2/v2.0/authorize", self.authorize)
        app.router.add_get("/{tenant}/v2.0/adminconsent", self.admin_consent)
        app.router.add_get("/{tenant}/adminconsent", self.admin_consent)
        app.router.add_get("/{tenant}/oauth2/v2.0/logout", self.logout)

    def _resolve_tenant_segment(self, segment: str) -> Tenant | str | None:
        """A tenant, the multi-tenant alias itself, or None when the directory has no such tenant."""
        if segment.lower() in MULTI_TENANT_ALIASES:
            return segment.lower()
        return self.org.tenant(segment)

    async def openid_configuration(self, request: web.Request) -> web.Response:
        resolved = self._resolve_tenant_segment(request.match_info["tenant"])
        if resolved is None:
            return aad_error(400, "invalid_tenant", 90002, _tenant_not_found(request.match_info["tenant"]))
        base = _base_url(request)
        # Like Entra: a known tenant's endpoints carry its GUID; the aliases keep their name and the
        # issuer holds the `{tenantid}` template.
        segment = resolved if isinstance(resolved, str) else resolved.id
        issuer_tenant = "{tenantid}" if isinstance(resolved, str) else resolved.id
        return web.json_response({
            "token_endpoint": f"{base}/{segment}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/{segment}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "authorization_endpoint": f"{base}/{segment}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{segment}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{segment}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce",
                                 "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
            "kerberos_endpoint": f"{base}/{segment}/kerberos",
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": urlsplit(base).netloc,
            "rbac_url": "https://pas.windows.net",
        })

    async def keys(self, request: web.Request) -> web.Response:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": self._kid, "use": "sig", "alg": "RS256"})
        return web.json_response({"keys": [jwk]})

    async def logout(self, request: web.Request) -> web.StreamResponse:
        target = request.query.get("post_logout_redirect_uri")
        if target:
            raise web.HTTPFound(target)
        return web.Response(text="<html><body>You have signed out.</body></html>", content_type="text/html")

    # -- token endpoint ---------------------------------------------------------------------------
    async def token(self, request: web.Request) -> web.Response:
        segment = request.match_info["tenant"]
        resolved = self._resolve_tenant_segment(segment)
        if resolved is None:
            return aad_error(400, "invalid_request", 90002, _tenant_not_found(segment))
        form = await request.post()
        values = {key: str(value) for key, value in form.items()}
        notes(request).app_id = values.get("client_id", "")
        app = self.org.app(values.get("client_id", ""))
        if app is None:
            directory = resolved if isinstance(resolved, str) else resolved.id
            return aad_error(400, "unauthorized_client", 700016,
                             f"Application with identifier '{values.get('client_id', '')}' was not found in the "
                             f"directory '{directory}'. This can happen if the application has not been installed "
                             "by the administrator of the tenant or consented to by any user in the tenant. You "
                             "may have sent your authentication request to the wrong tenant.")
        secret = values.get("client_secret") or _basic_auth_secret(request, app.client_id)
        if not secret:
            return aad_error(401, "invalid_client", 7000218,
                             "The request body must contain the following parameter: 'client_assertion' or "
                             "'client_secret'.")
        if not secrets.compare_digest(secret, app.client_secret):
            return aad_error(401, "invalid_client", 7000215,
                             "Invalid client secret provided. Ensure the secret being sent in the request is the "
                             f"client secret value, not the client secret ID, for a secret added to app "
                             f"'{app.client_id}'.")
        grant_type = values.get("grant_type", "")
        if grant_type == "client_credentials":
            return self._client_credentials(request, app, resolved, values)
        if grant_type == "authorization_code":
            return self._authorization_code(request, app, resolved, values)
        if grant_type == "refresh_token":
            return self._refresh_token(request, app, resolved, values)
        return aad_error(400, "unsupported_grant_type", 70003,
                         f"The app requested an unsupported grant type '{grant_type}'.")

    def _client_credentials(self, request: web.Request, app: App, resolved: Tenant | str,
                            values: dict[str, str]) -> web.Response:
        if isinstance(resolved, str):
            return aad_error(400, "invalid_request", 50059,
                             "No tenant-identifying information found in either the request or implied by any "
                             "provided credentials.")
        scopes = values.get("scope", "").split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            return aad_error(400, "invalid_scope", 1002012,
                             f"The provided value for scope {values.get('scope', '')} is not valid. Client "
                             "credential flows must have a scope value with /.default suffixed to the resource "
                             "identifier (application ID URI).")
        resource = scopes[0].removesuffix("/.default").rstrip("/")
        if resource not in (GRAPH_RESOURCE, GRAPH_APP_ID):
            return aad_error(400, "invalid_resource", 500011,
                             f"The resource principal named {resource} was not found in the tenant named "
                             f"{resolved.display_name}.")
        if app.client_id not in resolved.admin_consented_apps:
            return aad_error(400, "invalid_client", 7000229,
                             f"The client application {app.client_id} is missing service principal in the "
                             f"tenant {resolved.id}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119")
        notes(request).tenant_id = resolved.id
        access_token, lifetime = self._issue_access_token(request, resolved.id, app, None,
                                                          roles=tuple(app.application_permissions), scopes=())
        return web.json_response({"token_type": "Bearer", "expires_in": lifetime,
                                  "ext_expires_in": lifetime, "access_token": access_token})

    def _authorization_code(self, request: web.Request, app: App, resolved: Tenant | str,
                            values: dict[str, str]) -> web.Response:
        code = self._codes.get(values.get("code", ""))
        if code is None or code.client_id != app.client_id:
            return aad_error(400, "invalid_grant", 9002313,
                             "Invalid request. Request is malformed or invalid.")
        if code.redeemed:
            return aad_error(400, "invalid_grant", 54005,
                             "OAuth2 Authorization code was already redeemed, please retry with a new valid code "
                             "or use an existing refresh token.")
        if code.expires_at <= time.time():
            return aad_error(400, "invalid_grant", 70008,
                             "The provided authorization code or refresh token has expired due to inactivity. "
                             "Send a new interactive authorization request for this user and resource.")
        if values.get("redirect_uri", "") != code.redirect_uri:
            return aad_error(400, "invalid_grant", 500117,
                             "The reply uri specified in the token request does not match the reply uri "
                             "specified in the authorization request.")
        if code.code_challenge is not None and not _pkce_matches(code, values.get("code_verifier", "")):
            return aad_error(400, "invalid_grant", 501481,
                             "The Code_Verifier does not match the code_challenge supplied in the authorization "
                             "request.")
        if isinstance(resolved, Tenant) and resolved.id != code.tenant_id:
            return aad_error(400, "invalid_grant", 50020,
                             "User account from identity provider does not exist in tenant "
                             f"'{resolved.display_name}' and cannot access the application '{app.client_id}' in "
                             "that tenant.")
        code.redeemed = True
        requested = tuple(values.get("scope", "").split()) or code.scopes
        return self._user_tokens(request, app, code.tenant_id, code.user_id, requested, nonce=code.nonce)

    def _refresh_token(self, request: web.Request, app: App, resolved: Tenant | str,
                       values: dict[str, str]) -> web.Response:
        grant = self._refresh.get(values.get("refresh_token", ""))
        if grant is None or grant.client_id != app.client_id:
            return aad_error(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
        if grant.revoked:
            return aad_error(400, "invalid_grant", 50173,
                             "The provided grant has expired due to it being revoked, a fresh auth token is "
                             "needed. The user might have changed or reset their password.")
        if grant.expires_at <= time.time():
            return aad_error(400, "invalid_grant", 700082,
                             "The refresh token has expired due to inactivity. The token was issued on "
                             f"{datetime.fromtimestamp(grant.expires_at - REFRESH_TOKEN_LIFETIME_SECONDS, UTC)}"
                             " and was inactive for 90.00:00:00.")
        if isinstance(resolved, Tenant) and resolved.id != grant.tenant_id:
            return aad_error(400, "invalid_grant", 50020,
                             "User account from identity provider does not exist in tenant "
                             f"'{resolved.display_name}'.")
        if (grant.tenant_id, grant.user_id) in self._needs_mfa:
            return aad_error(400, "interaction_required", 50076,
                             "Due to a configuration change made by your administrator, or because you moved to "
                             "a new location, you must use multi-factor authentication to access "
                             f"'{GRAPH_APP_ID}'.", suberror="basic_action")
        requested = tuple(values.get("scope", "").split()) or grant.scopes
        return self._user_tokens(request, app, grant.tenant_id, grant.user_id, requested, nonce=None)

    def _user_tokens(self, request: web.Request, app: App, tenant_id: str, user_id: str,
                     requested: tuple[str, ...], *, nonce: str | None) -> web.Response:
        tenant = self.org.tenant(tenant_id)
        person = tenant.person(user_id) if tenant else None
        if tenant is None or person is None:
            return aad_error(400, "invalid_grant", 50034, "The user account does not exist in the directory.")
        note = notes(request)
        note.tenant_id, note.user_id = tenant.id, person.id
        resource_scopes = tuple(s for s in requested if s.lower() not in OIDC_SCOPES)
        permissions = tuple(_permission_name(s) for s in resource_scopes)
        if any(p == ".default" for p in permissions):
            permissions = tuple(app.delegated_permissions)
        access_token, lifetime = self._issue_access_token(request, tenant.id, app, person, roles=(),
                                                          scopes=permissions)
        refresh = secrets.token_urlsafe(48)
        self._refresh[refresh] = RefreshGrant(app.client_id, tenant.id, person.id, requested,
                                              time.time() + REFRESH_TOKEN_LIFETIME_SECONDS)
        granted_oidc = [s for s in ("openid", "profile", "email") if s in {r.lower() for r in requested}]
        return web.json_response({
            "token_type": "Bearer",
            "scope": " ".join([*resource_scopes, *granted_oidc]),
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access_token,
            "refresh_token": refresh,
            "id_token": self._id_token(request, app, person, nonce),
            "client_info": client_info(person),
        })

    def _issue_access_token(self, request: web.Request, tenant_id: str, app: App, person: Person | None,
                            *, roles: tuple[str, ...], scopes: tuple[str, ...]) -> tuple[str, int]:
        now = int(time.time())
        lifetime = self.access_token_lifetime
        token_id = secrets.token_urlsafe(16)
        claims: dict[str, Any] = {
            "aud": GRAPH_RESOURCE, "iss": f"https://sts.windows.net/{tenant_id}/", "iat": now, "nbf": now,
            "exp": now + lifetime, "tid": tenant_id, "appid": app.client_id, "app_displayname": app.display_name,
            "idtyp": "user" if person else "app", "uti": token_id, "ver": "1.0",
        }
        if person is None:
            claims.update({"oid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant_id}/{app.client_id}")),
                           "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp/{tenant_id}/{app.client_id}")),
                           "roles": list(roles)})
        else:
            claims.update({"oid": person.id, "sub": _pairwise_subject(app, person), "scp": " ".join(scopes),
                           "upn": person.upn, "name": person.display_name,
                           # Graph's own token configuration, not the client's, decides what its tokens carry.
                           "wids": sorted(person.directory_roles)})
        if len(self._grants) > 10_000:  # long demo or benchmark runs: forget tokens that can no longer work
            self._grants = {k: g for k, g in self._grants.items() if g.expires_at > now}
        self._grants[token_id] = AccessGrant(tenant_id, app.client_id, person.id if person else None, roles,
                                             scopes, now + lifetime, self._generation)
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self._kid}), lifetime

    def _id_token(self, request: web.Request, app: App, person: Person, nonce: str | None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": app.client_id, "iss": f"{_base_url(request)}/{person.tenant_id}/v2.0", "iat": now, "nbf": now,
            "exp": now + 3600, "name": person.display_name, "oid": person.id,
            "preferred_username": person.upn, "email": person.mail, "sub": _pairwise_subject(app, person),
            "tid": person.tenant_id, "ver": "2.0", "uti": secrets.token_urlsafe(16),
        }
        claims.update(_directory_role_claim(app, person))
        tenant = self.org.tenant(person.tenant_id)
        app_roles = tenant.app_roles_of(app, person) if tenant else []
        if app_roles:  # like Entra: the claim is absent when nothing is assigned
            claims["roles"] = app_roles
        if nonce is not None:
            claims["nonce"] = nonce
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self._kid})

    # -- interactive pages ------------------------------------------------------------------------
    def _pick(self, request: web.Request) -> tuple[Person | None, bool]:
        """The person chosen on the page or preset for headless runs, and whether they decline."""
        query = request.query
        decline = query.get("emulator_decline") == "1" or (self.sign_in.decline and "emulator_select" not in query)
        for candidate in (query.get("emulator_select"), query.get("emulator_auto"), self.sign_in.person_id,
                          query.get("login_hint")):
            if candidate:
                person = self.org.person_anywhere(candidate)
                if person is not None:
                    return person, decline
        return None, decline

    def _browser_request(self, request: web.Request) -> tuple[Tenant | str, App, str] | web.Response:
        """Tenant, app and redirect URI of a sign-in or consent page request, or Entra ID's error page.

        Errors before the redirect URI is trusted are shown in the browser, never redirected, as Entra does.
        """
        query = request.query
        segment = request.match_info["tenant"]
        resolved = self._resolve_tenant_segment(segment)
        if resolved is None:
            return error_page(400, 90002, _tenant_not_found(segment))
        app = self.org.app(query.get("client_id", ""))
        if app is None:
            return error_page(400, 700016, f"Application with identifier '{query.get('client_id', '')}' was not "
                                           "found in the directory.")
        redirect_uri = query.get("redirect_uri", "")
        if not app.accepts_redirect(redirect_uri):
            return error_page(400, 50011, f"The redirect URI '{redirect_uri}' specified in the request does not "
                                          f"match the redirect URIs configured for the application '{app.client_id}'.")
        return resolved, app, redirect_uri

    async def authorize(self, request: web.Request) -> web.Response:
        query = request.query
        checked = self._browser_request(request)
        if isinstance(checked, web.Response):
            return checked
        resolved, app, redirect_uri = checked
        response_mode = query.get("response_mode", "query")
        state = query.get("state")

        def fail(error: str, code: int, description: str) -> web.Response:
            return _reply(redirect_uri, response_mode, {"error": error, "error_description":
                                                        f"AADSTS{code}: {description}", "state": state})

        if query.get("response_type") != "code":
            return fail("unsupported_response_type", 700054, "response_type 'code' is required by this emulator.")
        method = query.get("code_challenge_method", "plain" if query.get("code_challenge") else "")
        if query.get("code_challenge") and method not in ("S256", "plain"):
            return fail("invalid_request", 501491, "Invalid size of Code_Challenge parameter.")
        person, decline = self._pick(request)
        if person is None:
            if query.get("prompt") == "none":
                return fail("login_required", 50058, "A silent sign-in request was sent but no user is signed in.")
            return self._sign_in_page(request, resolved, "Sign in to", app)
        if isinstance(resolved, Tenant) and person.tenant_id != resolved.id:
            return fail("access_denied", 50020, f"User account '{person.upn}' from identity provider does not "
                        f"exist in tenant '{resolved.display_name}' and cannot access the application "
                        f"'{app.client_id}'({app.display_name}) in that tenant.")
        tenant = self.org.tenant(person.tenant_id)
        assert tenant is not None
        scopes = tuple(query.get("scope", "").split())
        if decline:
            return fail("access_denied", 65004, "User declined to consent to access the app.")
        if not self._delegated_consent(tenant, app, person, scopes):
            return fail("consent_required", 65001, f"The user or administrator has not consented to use the "
                        f"application with ID '{app.client_id}' named '{app.display_name}'. Send an interactive "
                        "authorization request for this user and resource.")
        note = notes(request)
        note.tenant_id, note.user_id = tenant.id, person.id
        code = secrets.token_urlsafe(48)
        self._codes[code] = AuthorizationCode(
            client_id=app.client_id, redirect_uri=redirect_uri, tenant_id=tenant.id, user_id=person.id,
            scopes=scopes, nonce=query.get("nonce"), code_challenge=query.get("code_challenge"),
            code_challenge_method=method, expires_at=time.time() + CODE_LIFETIME_SECONDS,
        )
        return _reply(redirect_uri, response_mode, {"code": code, "state": state,
                                                    "session_state": str(uuid.uuid4())})

    def _delegated_consent(self, tenant: Tenant, app: App, person: Person, scopes: tuple[str, ...]) -> bool:
        """True when the app may act for this person; records a user's own consent where allowed."""
        if app.client_id in tenant.admin_consented_apps:
            return True
        # The OpenID Connect scopes are Graph delegated permissions too ("Sign you in"): consented like the rest.
        wanted = {_permission_name(s) for s in scopes}
        if wanted <= tenant.delegated_scopes_granted(app.client_id, person.id):
            return True
        # Where users may not consent, an admin who can grant delegated permissions still may for themselves.
        if not tenant.allow_user_consent and not person.may_grant_tenant_wide(application_permissions=False):
            return False
        already = tenant.user_consents.get((app.client_id, person.id), set())
        tenant.user_consents[(app.client_id, person.id)] = already | wanted
        return True

    async def admin_consent(self, request: web.Request) -> web.Response:
        query = request.query
        checked = self._browser_request(request)
        if isinstance(checked, web.Response):
            return checked
        resolved, app, redirect_uri = checked
        state = query.get("state")
        v2 = request.path.lower().endswith("/v2.0/adminconsent")

        def fail(error: str, code: int, description: str) -> web.Response:
            return _reply(redirect_uri, "query", {"error": error, "error_description":
                                                  f"AADSTS{code}: {description}", "state": state})

        if v2 and not query.get("scope"):
            return fail("invalid_request", 900144, "The request body must contain the following parameter: "
                                                   "'scope'.")
        requested = _requested_consent(app, query.get("scope") if v2 else None)
        if isinstance(requested, str):
            return fail("invalid_scope", 70011, requested)
        delegated, application = requested
        person, decline = self._pick(request)
        if person is None:
            return self._sign_in_page(request, resolved, "Grant permissions for", app, admin=True)
        if isinstance(resolved, Tenant) and person.tenant_id != resolved.id:
            return fail("access_denied", 50020, f"User account '{person.upn}' from identity provider does not "
                        f"exist in tenant '{resolved.display_name}'.")
        if decline:
            return fail("access_denied", 65004, "User declined to consent to access the app.")
        if not person.may_grant_tenant_wide(application_permissions=bool(application)):
            return fail("access_denied", 90094, "Admin consent is required for the permissions requested by "
                        "this application. An administrator must approve the request.")
        tenant = self.org.tenant(person.tenant_id)
        assert tenant is not None
        if application:  # `.default`: everything the registration lists, application permissions included
            tenant.admin_consented_apps.add(app.client_id)
        tenant.delegated_admin_grants.setdefault(app.client_id, set()).update(delegated)
        tenant.consent_grants.append(ConsentGrant(app.client_id, person.id, delegated, application,
                                                  request.path, time.time()))
        note = notes(request)
        note.tenant_id, note.user_id = tenant.id, person.id
        params: dict[str, str | None] = {"admin_consent": "True", "tenant": tenant.id, "state": state}
        if v2:
            params["scope"] = query.get("scope")
        return _reply(redirect_uri, "query", params)

    def _sign_in_page(self, request: web.Request, resolved: Tenant | str, verb: str, app: App,
                      *, admin: bool = False) -> web.Response:
        tenants = self.org.tenants if isinstance(resolved, str) else [resolved]
        rows = []
        for tenant in tenants:
            rows.append(f"<h2>{html.escape(tenant.display_name)}</h2><ul>")
            for person in tenant.people:
                link = _with_query(str(request.url.with_scheme("https")), {"emulator_select": person.id})
                roles = [name for name, role_id in DIRECTORY_ROLES.items() if role_id in person.directory_roles]
                badge = f" ({', '.join(roles)})" if roles else ""
                rows.append(f'<li><a href="{html.escape(link)}">{html.escape(person.display_name)}</a> '
                            f"&lt;{html.escape(person.upn)}&gt;{badge}</li>")
            rows.append("</ul>")
        decline_link = _with_query(str(request.url.with_scheme("https")), {"emulator_decline": "1"})
        note = "Only an administrator can grant these permissions." if admin else "Pick an account."
        page = (f"<!doctype html><html><head><title>{verb} {html.escape(app.display_name)}</title></head><body>"
                f"<h1>{verb} {html.escape(app.display_name)}</h1><p>Emulated Entra ID. {note}</p>{''.join(rows)}"
                f"<p>Or <a href=\"{html.escape(decline_link)}\">cancel</a> (picks the first account, declining)."
                "</p></body></html>")
        return web.Response(text=page, content_type="text/html")


# -- helpers ----------------------------------------------------------------------------------------

def _base_url(request: web.Request) -> str:
    return f"https://{request.host}"


def _tenant_not_found(segment: str) -> str:
    return (f"Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and are signing "
            "into the correct cloud. Check with your subscription administrator, this may happen if there are "
            "no active subscriptions for the tenant.")


def _permission_name(scope: str) -> str:
    for prefix in (GRAPH_RESOURCE + "/", GRAPH_APP_ID + "/"):
        if scope.lower().startswith(prefix):
            return scope[len(prefix):]
    return scope


def _directory_role_claim(app: App, person: Person) -> dict[str, list[str]]:
    """`wids` only when the app registration asks for directory roles (groupMembershipClaims)."""
    if not app.emits_directory_roles:
        return {}
    return {"wids": sorted(person.directory_roles)}


def _requested_consent(app: App, scope: str | None) -> tuple[tuple[str, ...], tuple[str, ...]] | str:
    """(delegated, application) permissions an admin-consent request asks for, or why it is invalid.

    `.default` (or the v1 endpoint, which has no scope) means everything the app registration lists.
    Listed scopes are delegated permissions: application permissions cannot be requested dynamically.
    """
    scopes = (scope or f"{GRAPH_RESOURCE}/.default").split()
    names = [_permission_name(s) for s in scopes]
    if ".default" in names:
        if len([name for name in names if name.lower() not in OIDC_SCOPES]) > 1:
            return "The scope .default cannot be combined with other resource scopes."
        return tuple(app.delegated_permissions), tuple(app.application_permissions)
    if any("/" in name for name in names):
        return f"The scope '{scope}' names a resource other than Microsoft Graph."
    return tuple(names), ()


def _pairwise_subject(app: App, person: Person) -> str:
    digest = hashlib.sha256(f"{app.client_id}:{person.id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _pkce_matches(code: AuthorizationCode, verifier: str) -> bool:
    if not verifier:
        return False
    if code.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    else:
        expected = verifier
    return secrets.compare_digest(expected, code.code_challenge or "")


def _basic_auth_secret(request: web.Request, client_id: str) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return password if user.lower() == client_id else None


def client_info(person: Person) -> str:
    raw = json.dumps({"uid": person.id, "utid": person.tenant_id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def aad_error(status: int, error: str, code: int, description: str, *, suberror: str | None = None) -> web.Response:
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    body: dict[str, Any] = {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: "
                             f"{correlation_id} Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    if suberror:
        body["suberror"] = suberror
    return web.json_response(body, status=status)


def error_page(status: int, code: int, description: str) -> web.Response:
    page = (f"<!doctype html><html><body><h1>Sorry, but we're having trouble signing you in.</h1>"
            f"<p>AADSTS{code}: {html.escape(description)}</p></body></html>")
    return web.Response(status=status, text=page, content_type="text/html")


def _with_query(url: str, params: dict[str, str | None]) -> str:
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _reply(redirect_uri: str, response_mode: str, params: dict[str, str | None]) -> web.Response:
    """Answers the browser the way Entra does: a 302 with a query, or an auto-posting form."""
    if response_mode == "form_post":
        fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}"/>'
                         for k, v in params.items() if v is not None)
        page = (f'<html><body onload="document.forms[0].submit()"><form method="POST" '
                f'action="{html.escape(redirect_uri)}">{fields}</form></body></html>')
        return web.Response(text=page, content_type="text/html")
    raise web.HTTPFound(_with_query(redirect_uri, params))
