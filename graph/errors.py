"""Typed failures of the Graph and Entra ID layer.

Two families:

* `GraphError` and its subclasses: a Microsoft Graph request failed. They carry Graph's `request-id`
  and our `client-request-id` for support cases. Graph's own `message` is kept on the error (not in its
  str(), which reaches logs); what a person reads comes from `user_message`, written here in plain words.
* `AuthProblem`: Entra ID would not issue a token. `kind` says which of a small set of situations
  it is, `user_message` tells the person in chat what to do, `admin_hint` tells an administrator.

Classification of Entra ID answers relies on the AADSTS numbers in `error_codes` or in the text of
`error_description`, because the OAuth `error` field alone (`invalid_grant`, `invalid_client` ...)
covers situations that need different actions.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any


class GraphError(Exception):
    """A Microsoft Graph request failed with an HTTP status (0 when no answer arrived)."""

    user_message = "Outlook did not accept the request. Please try again later."

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str | None = None,
        client_request_id: str | None = None,
    ) -> None:
        # Graph's message can quote a mailbox address or an item id, and str() reaches tracebacks in the
        # log: it stays on the attribute (graph/http.py logs it at DEBUG).
        super().__init__(f"Graph {status} {code}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.client_request_id = client_request_id


class Throttled(GraphError):
    """429: Outlook asked us to slow down and we could not wait long enough."""

    user_message = "Outlook is busy right now and asked us to slow down. Please try again in a minute."

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class ServiceUnavailable(GraphError):
    """5xx, a timeout or a dropped connection that persisted through every retry."""

    user_message = "Outlook could not be reached just now. Please try again in a few minutes."

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class NotFound(GraphError):
    """404: the mailbox, event or user does not exist (or no longer exists)."""

    user_message = "Outlook could not find that calendar item or mailbox."


class AccessDenied(GraphError):
    """403. `access_policy` is True when Exchange's application access policy blocked the mailbox."""

    def __init__(self, *args: Any, access_policy: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access_policy = access_policy

    @property
    def user_message(self) -> str:  # type: ignore[override]
        if self.access_policy:
            return (
                "Your organization's Exchange settings do not let Rendezvous read this calendar. "
                "An Exchange administrator can add the mailbox to the group named in the "
                "application access policy for Rendezvous (Test-ApplicationAccessPolicy shows the result)."
            )
        return (
            "Rendezvous is not allowed to read or change this calendar. "
            "Ask your administrator to check its permissions."
        )


class Unauthorized(GraphError):
    """401: Graph rejected the access token even after one fresh token was fetched."""

    user_message = "Outlook did not accept Rendezvous's sign-in. Please reconnect your calendar."


class NotOurEvent(GraphError):
    """The event exists but does not carry Rendezvous's provenance tag for this booking."""

    user_message = "That calendar item was not created by Rendezvous for this booking, so it was left untouched."


class AuthFailure(enum.Enum):
    NOT_CONSENTED = "not_consented"
    WRONG_TENANT = "wrong_tenant"
    CONSENT_REVOKED = "consent_revoked"
    RECONNECT_NEEDED = "reconnect_needed"
    USER_CONSENT_BLOCKED = "user_consent_blocked"
    BAD_CREDENTIALS = "bad_credentials"
    TENANT_NOT_FOUND = "tenant_not_found"
    UNAVAILABLE = "unavailable"


_USER_MESSAGES: dict[AuthFailure, str] = {
    AuthFailure.NOT_CONSENTED: (
        "Rendezvous has not been approved for your organization yet. Ask an administrator to connect it (type `setup`)."
    ),
    AuthFailure.WRONG_TENANT: (
        "You signed in with an account from a different organization. "
        "Sign in again with your work account for this organization."
    ),
    AuthFailure.CONSENT_REVOKED: (
        "Rendezvous's access to calendars was withdrawn in your organization. "
        "Ask an administrator to connect it again (type `setup`)."
    ),
    AuthFailure.RECONNECT_NEEDED: (
        "Your calendar connection has expired or needs you to sign in again. Type `connect` to reconnect."
    ),
    AuthFailure.USER_CONSENT_BLOCKED: (
        "Your organization requires an administrator to approve Rendezvous before you can connect. "
        "Ask an administrator to grant consent (type `setup`)."
    ),
    AuthFailure.BAD_CREDENTIALS: (
        "Rendezvous could not sign in to Microsoft because its own credentials were refused. "
        "Please tell the person who runs Rendezvous."
    ),
    AuthFailure.TENANT_NOT_FOUND: (
        "Microsoft does not know this organization's directory. Check the tenant id and try again."
    ),
    AuthFailure.UNAVAILABLE: "Microsoft sign-in could not be reached just now. Please try again in a few minutes.",
}

_ADMIN_HINTS: dict[AuthFailure, str] = {
    AuthFailure.NOT_CONSENTED: (
        "Grant admin consent for the Rendezvous app in this tenant. A Global Administrator or "
        "Privileged Role Administrator must open the consent link."
    ),
    AuthFailure.WRONG_TENANT: (
        "The account belongs to another tenant than the one Teams reports; the user must sign in "
        "with an account of this tenant (or be added as a guest)."
    ),
    AuthFailure.CONSENT_REVOKED: (
        "The Rendezvous service principal or its permission grant was removed or disabled. Run admin consent again."
    ),
    AuthFailure.RECONNECT_NEEDED: (
        "The user's refresh token is expired, revoked or needs interactive sign-in (MFA, password change)."
    ),
    AuthFailure.USER_CONSENT_BLOCKED: (
        "User consent is disabled for this app in the tenant. A Global Administrator or Privileged "
        "Role Administrator can grant tenant-wide consent with the admin consent link."
    ),
    AuthFailure.BAD_CREDENTIALS: (
        "Entra ID refused Rendezvous's own app credentials (AADSTS7000215 invalid secret, or the secret "
        "expired). The people who run Rendezvous need to create a new client secret."
    ),
    AuthFailure.TENANT_NOT_FOUND: (
        "Entra ID does not know this tenant id: check it on the Overview page of Microsoft Entra admin center."
    ),
    AuthFailure.UNAVAILABLE: "Entra ID did not answer or answered with a server error; retry later.",
}


class AuthProblem(Exception):
    """Entra ID would not give us a token; `kind` decides what the person is asked to do."""

    def __init__(
        self,
        kind: AuthFailure,
        user_message: str | None = None,
        admin_hint: str | None = None,
        *,
        error_codes: Iterable[int] = (),
    ) -> None:
        self.kind = kind
        self.user_message = user_message or _USER_MESSAGES[kind]
        self.admin_hint = admin_hint or _ADMIN_HINTS[kind]
        self.error_codes = tuple(error_codes)
        codes = f" (AADSTS{', AADSTS'.join(str(c) for c in self.error_codes)})" if self.error_codes else ""
        super().__init__(f"{kind.value}{codes}: {self.admin_hint}")


# AADSTS number -> situation. Numbers come from Entra ID's error reference.
_AADSTS_KINDS: dict[int, AuthFailure] = {
    65001: AuthFailure.NOT_CONSENTED,  # consent not granted for the requested permissions
    700016: AuthFailure.NOT_CONSENTED,  # application not found in the tenant's directory
    7000229: AuthFailure.NOT_CONSENTED,  # no service principal in the tenant: never consented there
    65004: AuthFailure.NOT_CONSENTED,  # the user declined the consent prompt
    65006: AuthFailure.NOT_CONSENTED,  # consent requested for a scope that is not configured
    90002: AuthFailure.TENANT_NOT_FOUND,
    90072: AuthFailure.WRONG_TENANT,  # account not in the tenant (guest not invited)
    50020: AuthFailure.WRONG_TENANT,  # user from another identity provider / tenant
    500200: AuthFailure.WRONG_TENANT,  # personal Microsoft account used where work accounts are required
    7000215: AuthFailure.BAD_CREDENTIALS,  # invalid client secret
    7000222: AuthFailure.BAD_CREDENTIALS,  # client secret expired
    7000218: AuthFailure.BAD_CREDENTIALS,  # no client secret sent
    700027: AuthFailure.BAD_CREDENTIALS,  # client assertion signature invalid
    70008: AuthFailure.RECONNECT_NEEDED,  # authorization code or refresh token expired
    700082: AuthFailure.RECONNECT_NEEDED,  # refresh token expired through inactivity
    50173: AuthFailure.RECONNECT_NEEDED,  # grant revoked (password change / reset)
    50076: AuthFailure.RECONNECT_NEEDED,  # multi-factor authentication required
    50079: AuthFailure.RECONNECT_NEEDED,  # multi-factor registration required
    50078: AuthFailure.RECONNECT_NEEDED,  # presented MFA claim expired
    50133: AuthFailure.RECONNECT_NEEDED,  # session invalid after password change
    54005: AuthFailure.RECONNECT_NEEDED,  # authorization code already redeemed
    90094: AuthFailure.USER_CONSENT_BLOCKED,  # admin approval required
    900941: AuthFailure.USER_CONSENT_BLOCKED,  # admin consent required before use
    7000112: AuthFailure.CONSENT_REVOKED,  # application disabled in the tenant
    7000114: AuthFailure.CONSENT_REVOKED,  # application not allowed to make application-on-behalf calls
    500011: AuthFailure.NOT_CONSENTED,  # resource principal not found in the tenant
}

_OAUTH_ERROR_KINDS: dict[str, AuthFailure] = {
    "invalid_grant": AuthFailure.RECONNECT_NEEDED,
    "interaction_required": AuthFailure.RECONNECT_NEEDED,
    "login_required": AuthFailure.RECONNECT_NEEDED,
    "consent_required": AuthFailure.NOT_CONSENTED,
    "access_denied": AuthFailure.NOT_CONSENTED,
    "invalid_client": AuthFailure.BAD_CREDENTIALS,
    "unauthorized_client": AuthFailure.NOT_CONSENTED,
    "temporarily_unavailable": AuthFailure.UNAVAILABLE,
    "server_error": AuthFailure.UNAVAILABLE,
}

_AADSTS_IN_TEXT = re.compile(r"AADSTS(\d+)")


def aadsts_codes(result: Mapping[str, Any]) -> list[int]:
    """The AADSTS numbers of an Entra ID error answer, from `error_codes` and the description text."""
    codes: list[int] = []
    for raw in result.get("error_codes") or ():
        try:
            codes.append(int(raw))
        except (TypeError, ValueError):
            continue
    for match in _AADSTS_IN_TEXT.finditer(str(result.get("error_description") or "")):
        code = int(match.group(1))
        if code not in codes:
            codes.append(code)
    return codes


def classify_auth_error(result: Mapping[str, Any], *, had_access_before: bool = False) -> AuthProblem:
    """Turns an Entra ID error answer (msal's result dict or a redirect's query) into an AuthProblem.

    `had_access_before` says the tenant or user worked earlier: a "not consented" answer then means
    the consent was withdrawn, which needs a different message.
    """
    codes = aadsts_codes(result)
    kind = next((_AADSTS_KINDS[code] for code in codes if code in _AADSTS_KINDS), None)
    if kind is None:
        kind = _OAUTH_ERROR_KINDS.get(str(result.get("error") or "").lower(), AuthFailure.UNAVAILABLE)
    if had_access_before and kind is AuthFailure.NOT_CONSENTED:
        kind = AuthFailure.CONSENT_REVOKED
    return AuthProblem(kind, error_codes=codes)
