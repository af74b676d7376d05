"""graph.errors: Entra ID answers classified into what the person must do."""

from __future__ import annotations

import pytest

from graph.errors import AuthFailure, AuthProblem, aadsts_codes, classify_auth_error


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ({"error": "invalid_grant", "error_codes": [65001]}, AuthFailure.NOT_CONSENTED),
        ({"error": "unauthorized_client", "error_codes": [700016]}, AuthFailure.NOT_CONSENTED),
        # A client-credentials request to a tenant without our service principal says invalid_client,
        # which on its own would read as a bad secret.
        ({"error": "invalid_client", "error_codes": [7000229]}, AuthFailure.NOT_CONSENTED),
        ({"error": "invalid_request", "error_codes": [90002]}, AuthFailure.TENANT_NOT_FOUND),
        ({"error": "invalid_request", "error_codes": [50020]}, AuthFailure.WRONG_TENANT),
        ({"error": "invalid_client", "error_codes": [7000215]}, AuthFailure.BAD_CREDENTIALS),
        ({"error": "invalid_grant", "error_codes": [70008]}, AuthFailure.RECONNECT_NEEDED),
        ({"error": "invalid_grant", "error_codes": [700082]}, AuthFailure.RECONNECT_NEEDED),
        ({"error": "invalid_grant", "error_codes": [50173]}, AuthFailure.RECONNECT_NEEDED),
        ({"error": "interaction_required", "error_codes": [50076]}, AuthFailure.RECONNECT_NEEDED),
        ({"error": "interaction_required", "error_codes": [50079]}, AuthFailure.RECONNECT_NEEDED),
        ({"error": "access_denied", "error_codes": [65004]}, AuthFailure.NOT_CONSENTED),
        ({"error": "access_denied", "error_codes": [90094]}, AuthFailure.USER_CONSENT_BLOCKED),
        # Only the description carries the code (redirect query strings look like this).
        (
            {"error": "access_denied", "error_description": "AADSTS900941: Administrator consent is required."},
            AuthFailure.USER_CONSENT_BLOCKED,
        ),
        ({"error": "invalid_grant"}, AuthFailure.RECONNECT_NEEDED),
        ({"error": "interaction_required"}, AuthFailure.RECONNECT_NEEDED),
        ({"error": "temporarily_unavailable"}, AuthFailure.UNAVAILABLE),
    ],
)
def test_classification(answer: dict, kind: AuthFailure) -> None:
    problem = classify_auth_error(answer)
    assert isinstance(problem, AuthProblem)
    assert problem.kind is kind
    assert problem.user_message and problem.admin_hint


def test_withdrawn_consent_is_told_apart_from_never_granted() -> None:
    answer = {"error": "invalid_grant", "error_codes": [65001]}
    assert classify_auth_error(answer, had_access_before=True).kind is AuthFailure.CONSENT_REVOKED


def test_codes_from_both_fields_without_duplicates() -> None:
    answer = {"error_codes": [50076, "x"], "error_description": "AADSTS50076: MFA. AADSTS50079: register."}
    assert aadsts_codes(answer) == [50076, 50079]


def test_messages_are_actionable() -> None:
    assert "connect" in AuthProblem(AuthFailure.RECONNECT_NEEDED).user_message
    assert "Global Administrator" in AuthProblem(AuthFailure.NOT_CONSENTED).admin_hint
    assert "new client secret" in AuthProblem(AuthFailure.BAD_CREDENTIALS).admin_hint
