import uuid
from datetime import datetime
from typing import Literal, get_args

from pydantic import Field, field_validator

from backend.auth.capabilities import Role
from backend.auth.rules import PASSWORD_MAX, RuleViolation, check_pseudonym, is_time_zone
from backend.core.schemas import SUPPORTED_LANGUAGES, Input, Output

Language = Literal["en", "fr", "es", "ro", "it"]
if set(SUPPORTED_LANGUAGES) != set(get_args(Language)):
    raise RuntimeError("Language and SUPPORTED_LANGUAGES must list the same languages")

# How a client wants its session: the web keeps it in an HttpOnly cookie only, an API
# client gets the token in the body to send as "Authorization: Bearer".
ClientKind = Literal["web", "api"]


class RegisterIn(Input):
    pseudonym: str = Field(max_length=200)
    password: str = Field(max_length=PASSWORD_MAX * 4)
    language: Language = "en"
    client: ClientKind = "web"

    @field_validator("pseudonym")
    @classmethod
    def pseudonym_rules(cls, value: str) -> str:
        try:
            return check_pseudonym(value)
        except RuleViolation as exc:
            raise ValueError(str(exc)) from exc


class PreferencesIn(Input):
    """What a person changes about how Tandem speaks to her; fields left out stay as they are."""

    language: Language | None = None
    time_zone: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("time_zone")
    @classmethod
    def known_zone(cls, value: str | None) -> str | None:
        if value is not None and not is_time_zone(value):
            raise ValueError("Choose a time zone from the list, for example Europe/Rome.")
        return value


class LoginIn(Input):
    pseudonym: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX * 4)
    client: ClientKind = "web"


class ChangePasswordIn(Input):
    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX * 4)
    new_password: str = Field(max_length=PASSWORD_MAX * 4)


class RecoverIn(Input):
    pseudonym: str = Field(min_length=1, max_length=200)
    recovery_code: str = Field(min_length=1, max_length=64)
    new_password: str = Field(max_length=PASSWORD_MAX * 4)
    client: ClientKind = "web"


class ConfirmPasswordIn(Input):
    password: str = Field(min_length=1, max_length=PASSWORD_MAX * 4)


class RoleGrantIn(Input):
    role: Role
    organisation_id: uuid.UUID | None = None


class RoleGrantPublic(Output):
    id: uuid.UUID
    role: Role
    organisation_id: uuid.UUID | None
    granted_at: datetime


class AccountPublic(Output):
    """What others may see of an account."""

    id: uuid.UUID
    pseudonym: str


class MePublic(Output):
    id: uuid.UUID
    pseudonym: str
    language: str
    time_zone: str
    created_at: datetime
    roles: list[RoleGrantPublic]
    capabilities: list[str]
    community_name: str


class SessionOut(Output):
    account: MePublic
    expires_at: datetime
    token: str | None = None


class RegisteredOut(SessionOut):
    recovery_codes: list[str]
    recovery_codes_notice: str = (
        "Keep these codes somewhere safe and private. Each one lets you back in once if you "
        "forget your password. They will not be shown again."
    )


class RecoveryCodesOut(Output):
    recovery_codes: list[str]


class RecoveredOut(SessionOut):
    recovery_codes_left: int


class SessionPublic(Output):
    id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    current: bool
