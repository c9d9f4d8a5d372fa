import re
import uuid
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from backend.core.schemas import Input, Output

STAFF_ROLE_NAMES = ("coordinator", "professional", "payroll")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class SsoConfigure(Input):
    """``client_secret`` may be left out to keep the one already stored."""

    issuer: str = Field(max_length=255)
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str | None = Field(default=None, min_length=1, max_length=1024)
    allowed_domain: str = Field(max_length=253)
    roles: list[str] = Field(min_length=1, max_length=3)

    @field_validator("issuer")
    @classmethod
    def check_issuer(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.query or parts.fragment or not parts.hostname:
            raise ValueError("An issuer is an https URL without query or fragment.")
        if parts.scheme != "https" and not (
            parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS
        ):
            raise ValueError("An issuer is an https URL.")
        return value

    @field_validator("allowed_domain")
    @classmethod
    def check_domain(cls, value: str) -> str:
        domain = value.strip().lower().removeprefix("@")
        if not _DOMAIN.match(domain):
            raise ValueError("Give a domain such as example.org.")
        return domain

    @field_validator("roles")
    @classmethod
    def check_roles(cls, value: list[str]) -> list[str]:
        if any(role not in STAFF_ROLE_NAMES for role in value):
            raise ValueError("Roles are coordinator, professional or payroll.")
        return sorted(set(value))


class SsoPublic(Output):
    organisation_id: uuid.UUID
    issuer: str
    client_id: str
    has_client_secret: bool
    allowed_domain: str
    roles: list[str]
    configured_at: datetime
