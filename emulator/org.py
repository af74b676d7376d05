"""The directory the emulator plays: app registrations, tenants, people, groups, consent.

Loaded from a JSON file (emulator/demo_org.json by default; its shape is described in README.md).
Consent grants live here too because they are directory state that Entra ID and Graph both read.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

DEFAULT_ORG_FILE = Path(__file__).with_name("demo_org.json")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Built-in directory roles by template id (Entra's permissions reference); `wids` carries these ids.
GLOBAL_ADMIN_TEMPLATE_ID = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMIN_TEMPLATE_ID = "e8611ab8-c189-46e8-94e1-60213ab1f814"
CLOUD_APP_ADMIN_TEMPLATE_ID = "158c047a-c907-4556-b7ef-446551a6b5f7"
APP_ADMIN_TEMPLATE_ID = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
DIRECTORY_ROLES = {
    "Global Administrator": GLOBAL_ADMIN_TEMPLATE_ID,
    "Privileged Role Administrator": PRIVILEGED_ROLE_ADMIN_TEMPLATE_ID,
    "Cloud Application Administrator": CLOUD_APP_ADMIN_TEMPLATE_ID,
    "Application Administrator": APP_ADMIN_TEMPLATE_ID,
}
# Who may grant tenant-wide admin consent: every permission, or everything but Microsoft Graph's
# application permissions ("Grant tenant-wide admin consent to an application", prerequisites).
GRANTS_APPLICATION_PERMISSIONS = frozenset({GLOBAL_ADMIN_TEMPLATE_ID, PRIVILEGED_ROLE_ADMIN_TEMPLATE_ID})
GRANTS_DELEGATED_PERMISSIONS = GRANTS_APPLICATION_PERMISSIONS | {CLOUD_APP_ADMIN_TEMPLATE_ID, APP_ADMIN_TEMPLATE_ID}
# The app manifest's groupMembershipClaims values that put directory roles into `wids`.
CLAIMS_WITH_DIRECTORY_ROLES = frozenset({"DirectoryRole", "All"})
MULTI_TENANT_ALIASES = ("organizations", "common")


def directory_role_id(name_or_id: str) -> str:
    """A role's template id from its display name or its id; KeyError for anything else."""
    if name_or_id in DIRECTORY_ROLES:
        return DIRECTORY_ROLES[name_or_id]
    lowered = name_or_id.strip().lower()
    if lowered in DIRECTORY_ROLES.values():
        return lowered
    raise KeyError(name_or_id)


@dataclass(frozen=True)
class AppRole:
    """An app role the app registration declares (its manifest's appRoles); `value` goes into `roles`."""

    id: str
    value: str
    display_name: str
    allowed_member_types: tuple[str, ...] = ("User",)


@dataclass
class App:
    client_id: str
    client_secret: str
    display_name: str
    home_tenant_id: str
    redirect_uris: list[str]
    application_permissions: list[str]
    delegated_permissions: list[str]
    app_roles: list[AppRole] = field(default_factory=list)
    # None (Entra's default): no group or directory-role claims in tokens.
    group_membership_claims: str | None = None

    def app_role(self, value_or_id: str) -> AppRole | None:
        lowered = value_or_id.strip().lower()
        return next((r for r in self.app_roles if lowered in (r.value.lower(), r.id)), None)

    @property
    def emits_directory_roles(self) -> bool:
        return self.group_membership_claims in CLAIMS_WITH_DIRECTORY_ROLES

    def accepts_redirect(self, uri: str) -> bool:
        """Exact match, or an emulator-only `*` pattern (so any local port works in tests)."""
        return any(uri == pattern or ("*" in pattern and fnmatch.fnmatchcase(uri, pattern))
                   for pattern in self.redirect_uris)


@dataclass(frozen=True)
class WorkingHours:
    days: tuple[str, ...]
    start: time
    end: time

    def iso_weekdays(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(day) + 1 for day in self.days)


@dataclass
class Person:
    id: str
    tenant_id: str
    display_name: str
    mail: str
    upn: str
    time_zone: str
    working_hours: WorkingHours
    directory_roles: set[str] = field(default_factory=set)  # template ids
    out_of_office_this_week: bool = False
    custom_time_zone: dict[str, Any] | None = None

    def matches(self, identifier: str) -> bool:
        lowered = identifier.strip().lower()
        return lowered in (self.id, self.mail.lower(), self.upn.lower())

    @property
    def is_admin(self) -> bool:
        """A Global Administrator (what checkMemberObjects reports for that role's template id)."""
        return GLOBAL_ADMIN_TEMPLATE_ID in self.directory_roles

    def may_grant_tenant_wide(self, *, application_permissions: bool) -> bool:
        allowed = GRANTS_APPLICATION_PERMISSIONS if application_permissions else GRANTS_DELEGATED_PERMISSIONS
        return bool(self.directory_roles & allowed)


@dataclass
class Group:
    id: str
    display_name: str
    mail: str | None
    mail_enabled: bool
    security_enabled: bool
    members: list[str]  # person ids, or ids of nested groups


@dataclass(frozen=True)
class AccessPolicy:
    """Exchange's application access policy: RestrictAccess allows only the group; DenyAccess the rest."""

    app_id: str
    scope_group_id: str
    access_right: str = "RestrictAccess"


@dataclass(frozen=True)
class AppRoleAssignment:
    """An app role given to a user or a group in the tenant's Enterprise application (service principal)."""

    app_id: str
    app_role_id: str
    principal_id: str  # a person or a group


@dataclass(frozen=True)
class ConsentGrant:
    """One tenant-wide admin consent as it happened: who granted what, through which endpoint."""

    app_id: str
    granted_by: str
    delegated: tuple[str, ...]
    application: tuple[str, ...]
    endpoint: str
    at: float


@dataclass
class Tenant:
    id: str
    display_name: str
    domains: list[str]
    allow_user_consent: bool
    people: list[Person]
    groups: list[Group]
    access_policies: list[AccessPolicy]
    admin_consented_apps: set[str] = field(default_factory=set)
    external_contacts: list[str] = field(default_factory=list)
    # (client_id, person id) -> delegated scopes a user consented to for themselves
    user_consents: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    # client_id -> delegated scopes an admin granted for everyone (adminconsent with explicit scopes)
    delegated_admin_grants: dict[str, set[str]] = field(default_factory=dict)
    app_role_assignments: list[AppRoleAssignment] = field(default_factory=list)
    consent_grants: list[ConsentGrant] = field(default_factory=list)

    def person(self, identifier: str) -> Person | None:
        return next((p for p in self.people if p.matches(identifier)), None)

    def group(self, group_id: str) -> Group | None:
        return next((g for g in self.groups if g.id == group_id.lower()), None)

    def member_of(self, person_id: str, group_id: str, _seen: frozenset[str] = frozenset()) -> bool:
        """Transitive membership, as checkMemberGroups reports it."""
        group = self.group(group_id)
        if group is None or group_id in _seen:
            return False
        if person_id in group.members:
            return True
        return any(self.member_of(person_id, nested, _seen | {group_id})
                   for nested in group.members if self.group(nested) is not None)

    def app_roles_of(self, app: App, person: Person) -> list[str]:
        """Values of the app roles assigned to the person, directly or through a group they are a direct
        member of (Entra does not pass app roles down nested groups)."""
        values = []
        for assignment in self.app_role_assignments:
            if assignment.app_id != app.client_id:
                continue
            group = self.group(assignment.principal_id)
            if assignment.principal_id == person.id or (group is not None and person.id in group.members):
                role = app.app_role(assignment.app_role_id)
                if role is not None and role.value not in values:
                    values.append(role.value)
        return values

    def delegated_scopes_granted(self, app_id: str, person_id: str) -> set[str]:
        return self.delegated_admin_grants.get(app_id, set()) | self.user_consents.get((app_id, person_id), set())

    def mailbox_allowed_for_app(self, app_id: str, person_id: str) -> bool:
        for policy in self.access_policies:
            if policy.app_id != app_id:
                continue
            inside = self.member_of(person_id, policy.scope_group_id)
            if policy.access_right == "RestrictAccess" and not inside:
                return False
            if policy.access_right == "DenyAccess" and inside:
                return False
        return True


@dataclass
class Org:
    apps: list[App]
    tenants: list[Tenant]

    def app(self, client_id: str) -> App | None:
        return next((a for a in self.apps if a.client_id == client_id.strip().lower()), None)

    def tenant(self, identifier: str) -> Tenant | None:
        """By GUID or by one of its domains."""
        lowered = identifier.strip().lower()
        return next((t for t in self.tenants if t.id == lowered or lowered in t.domains), None)

    def tenant_named(self, name_or_id: str) -> Tenant:
        """By GUID, domain or display name, as tests and benchmarks name tenants; KeyError when none is."""
        found = self.tenant(name_or_id) or next(
            (t for t in self.tenants if t.display_name.lower() == name_or_id.lower()), None)
        if found is None:
            raise KeyError(name_or_id)
        return found

    def person_anywhere(self, identifier: str) -> Person | None:
        for tenant in self.tenants:
            found = tenant.person(identifier)
            if found is not None:
                return found
        return None

    @classmethod
    def load(cls, path: Path | str | None = None) -> Org:
        with Path(path or DEFAULT_ORG_FILE).open(encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Org:
        apps = [
            App(
                client_id=item["client_id"].lower(),
                client_secret=item["client_secret"],
                display_name=item.get("display_name", "App"),
                home_tenant_id=item.get("home_tenant_id", "").lower(),
                redirect_uris=list(item.get("redirect_uris", [])),
                application_permissions=list(item.get("application_permissions", [])),
                delegated_permissions=list(item.get("delegated_permissions", [])),
                app_roles=[
                    AppRole(role["id"].lower(), role["value"], role.get("display_name", role["value"]),
                            tuple(role.get("allowed_member_types", ["User"])))
                    for role in item.get("app_roles", [])
                ],
                group_membership_claims=item.get("group_membership_claims"),
            )
            for item in raw.get("apps", [])
        ]
        return cls(apps=apps, tenants=[_tenant_from_dict(item, apps) for item in raw.get("tenants", [])])


def _parse_clock(text: str) -> time:
    return time.fromisoformat(text[:8])


def _tenant_from_dict(raw: dict[str, Any], apps: list[App]) -> Tenant:
    tenant_id = raw["id"].lower()
    people = []
    for item in raw.get("people", []):
        hours = item.get("working_hours", {})
        people.append(
            Person(
                id=item["id"].lower(),
                tenant_id=tenant_id,
                display_name=item["display_name"],
                mail=item["mail"],
                upn=item.get("upn", item["mail"]),
                time_zone=item.get("time_zone", "UTC"),
                working_hours=WorkingHours(
                    days=tuple(day.lower() for day in hours.get("days", WEEKDAYS[:5])),
                    start=_parse_clock(hours.get("start", "08:00")),
                    end=_parse_clock(hours.get("end", "17:00")),
                ),
                directory_roles={directory_role_id(role) for role in item.get("directory_roles", [])},
                out_of_office_this_week=bool(item.get("out_of_office_this_week", False)),
                custom_time_zone=item.get("custom_time_zone"),
            )
        )
    groups = [
        Group(
            id=item["id"].lower(),
            display_name=item["display_name"],
            mail=item.get("mail"),
            mail_enabled=bool(item.get("mail_enabled", False)),
            security_enabled=bool(item.get("security_enabled", True)),
            members=[member.lower() for member in item.get("members", [])],
        )
        for item in raw.get("groups", [])
    ]
    return Tenant(
        id=tenant_id,
        display_name=raw["display_name"],
        domains=[domain.lower() for domain in raw.get("domains", [])],
        allow_user_consent=bool(raw.get("allow_user_consent", False)),
        people=people,
        groups=groups,
        access_policies=[
            AccessPolicy(item["app_id"].lower(), item["scope_group_id"].lower(),
                         item.get("access_right", "RestrictAccess"))
            for item in raw.get("access_policies", [])
        ],
        admin_consented_apps={app_id.lower() for app_id in raw.get("admin_consented_apps", [])},
        external_contacts=list(raw.get("external_contacts", [])),
        app_role_assignments=[_app_role_assignment(item, apps) for item in raw.get("app_role_assignments", [])],
    )


def _app_role_assignment(raw: dict[str, Any], apps: list[App]) -> AppRoleAssignment:
    app = next((a for a in apps if a.client_id == raw["app_id"].lower()), None)
    role = app.app_role(raw["role"]) if app else None
    if app is None or role is None:
        raise ValueError(f"app role assignment names an unknown app or role: {raw}")
    return AppRoleAssignment(app.client_id, role.id, raw["principal_id"].lower())
