"""Accounts, sessions, recovery codes and role grants: the rules behind the auth endpoints."""

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.capabilities import ORGANISATION_ROLES, Grants, Role, grants_from_roles
from backend.auth.lookup import HeldRole, LiveSession
from backend.auth.models import Account, AuthSession, DuressSecret, RecoveryCode, RoleGrant
from backend.auth.passwords import PasswordHashing
from backend.auth.rules import RuleViolation, check_password, pseudonym_key
from backend.core import audit
from backend.core.config import Settings
from backend.core.errors import Conflict, InvalidInput, NotFound, TooManyAttempts, Unauthenticated
from backend.core.ratelimit import RateLimiter
from backend.core.throttle import FailureCounter
from backend.core.time import utc_now
from moderation import restrictions as restriction_effects
from moderation.restrictions import Effect

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
# Refreshing last_seen on every request would turn every read into a write.
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)
LOGIN_REFUSED = "That pseudonym and password do not match an account."


DuressAlert = Callable[[AsyncSession, uuid.UUID], Awaitable[None]]


@dataclass
class AuthServices:
    """What the auth rules need from the running application."""

    settings: Settings
    hashing: PasswordHashing
    secret: bytes
    failures_by_account: FailureCounter
    failures_by_client: FailureCounter
    taken_by_client: FailureCounter
    # Called in the login's transaction when someone signs in with her duress password;
    # the safeguarding domain registers itself here (auth cannot import it).
    duress_alerts: list[DuressAlert] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        settings: Settings,
        hashing: PasswordHashing,
        secret: bytes,
        limiter: RateLimiter,
        *,
        duress_alerts: Sequence[DuressAlert] = (),
    ) -> "AuthServices":
        window = timedelta(minutes=settings.login_failure_window_minutes)
        return cls(
            settings=settings,
            hashing=hashing,
            secret=secret,
            failures_by_account=FailureCounter(
                limiter, "login-pseudonym", settings.login_failures_per_account, window
            ),
            failures_by_client=FailureCounter(
                limiter, "login-client", settings.login_failures_per_client, window
            ),
            taken_by_client=FailureCounter(
                limiter,
                "registration-taken",
                settings.registration_taken_per_client,
                timedelta(hours=1),
            ),
            duress_alerts=list(duress_alerts),
        )


@dataclass(frozen=True)
class IssuedSession:
    token: str
    session: AuthSession


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_recovery_code(secret: bytes, code: str) -> str:
    # Keyed, so a copy of the database alone does not let anyone try codes offline.
    digest = hmac.new(secret, _normalise_recovery_code(code).encode(), hashlib.sha256)
    return digest.hexdigest()


def _new_recovery_code() -> str:
    chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
    return f"{chars[0:4]}-{chars[4:8]}-{chars[8:12]}"


def _password_rules(password: str, pseudonym: str, field: str) -> None:
    try:
        check_password(password, pseudonym=pseudonym)
    except RuleViolation as exc:
        raise InvalidInput("Choose another password.", fields={field: str(exc)}) from exc


async def _account(session: AsyncSession, account_id: uuid.UUID) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound()
    return account


async def update_preferences(
    session: AsyncSession,
    account_id: uuid.UUID,
    *,
    language: str | None = None,
    time_zone: str | None = None,
) -> Account:
    """Her language and time zone: how Tandem's pages, dates and notices speak to her."""
    account = await _account(session, account_id)
    if language is not None:
        account.language = language
    if time_zone is not None:
        account.time_zone = time_zone
    session.add(account)
    await session.flush()
    return account


async def get_account_by_pseudonym(session: AsyncSession, pseudonym: str) -> Account | None:
    statement = select(Account).where(Account.pseudonym_key == pseudonym_key(pseudonym))
    return (await session.exec(statement)).first()


async def _replace_recovery_codes(
    session: AsyncSession, services: AuthServices, account_id: uuid.UUID
) -> list[str]:
    await session.exec(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    now = utc_now()
    for code in codes:
        session.add(
            RecoveryCode(
                account_id=account_id,
                code_hash=hash_recovery_code(services.secret, code),
                created_at=now,
            )
        )
    await session.flush()
    return codes


async def open_session(
    session: AsyncSession, services: AuthServices, account: Account, *, duress: bool = False
) -> IssuedSession:
    token = secrets.token_urlsafe(32)
    now = utc_now()
    row = AuthSession(
        account_id=account.id,
        token_hash=hash_token(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=services.settings.session_absolute_hours),
        duress=duress,
    )
    session.add(row)
    await session.flush()
    return IssuedSession(token=token, session=row)


async def register_account(
    session: AsyncSession,
    services: AuthServices,
    *,
    pseudonym: str,
    password: str,
    language: str,
    client_key: str,
) -> tuple[Account, list[str]]:
    """Create an account from a pseudonym and a password: no e-mail, phone or legal name."""
    if await services.taken_by_client.is_blocked(client_key):
        raise TooManyAttempts(
            "Too many attempts from here. Please wait a while before trying again.",
            headers={
                "Retry-After": str(await services.taken_by_client.retry_after_seconds(client_key))
            },
        )
    _password_rules(password, pseudonym, "password")
    if await get_account_by_pseudonym(session, pseudonym) is not None:
        await services.taken_by_client.add_failure(client_key)
        raise Conflict(
            "This pseudonym is taken. Please choose another one.",
            code="pseudonym_taken",
            fields={"pseudonym": "This pseudonym is taken."},
        )
    now = utc_now()
    account = Account(
        pseudonym=pseudonym,
        pseudonym_key=pseudonym_key(pseudonym),
        password_hash=await services.hashing.hash(password),
        language=language,
        created_at=now,
        password_changed_at=now,
    )
    session.add(account)
    try:
        await session.flush()
    except IntegrityError as exc:
        # Someone registered the same pseudonym between our check and our insert.
        raise Conflict(
            "This pseudonym is taken. Please choose another one.",
            code="pseudonym_taken",
            fields={"pseudonym": "This pseudonym is taken."},
        ) from exc
    codes = await _replace_recovery_codes(session, services, account.id)
    await audit.record(
        session, actor_id=account.id, action="account.registered", subject=f"account:{account.id}"
    )
    return account, codes


def _throttle_keys(pseudonym: str, client_key: str) -> tuple[str, str]:
    return pseudonym_key(pseudonym), client_key


async def _check_throttle(services: AuthServices, pseudonym: str, client_key: str) -> None:
    account_key, client = _throttle_keys(pseudonym, client_key)
    blocked_for = max(
        await services.failures_by_account.retry_after_seconds(account_key),
        await services.failures_by_client.retry_after_seconds(client),
    )
    if blocked_for:
        raise TooManyAttempts(
            "Too many failed attempts. Please wait a few minutes and try again.",
            headers={"Retry-After": str(blocked_for)},
        )


async def _count_failure(services: AuthServices, pseudonym: str, client_key: str) -> None:
    account_key, client = _throttle_keys(pseudonym, client_key)
    await services.failures_by_account.add_failure(account_key)
    await services.failures_by_client.add_failure(client)


async def log_in(
    session: AsyncSession,
    services: AuthServices,
    *,
    pseudonym: str,
    password: str,
    client_key: str,
) -> tuple[Account, IssuedSession]:
    """Check the password; unknown pseudonym and wrong password look and take the same."""
    await _check_throttle(services, pseudonym, client_key)
    account = await get_account_by_pseudonym(session, pseudonym)
    ok = await services.hashing.verify(account.password_hash if account else None, password)
    # Always a second check, against a dummy when she set no duress password: timing must
    # not tell anyone whether one exists.
    duress_secret = await session.get(DuressSecret, account.id) if account else None
    under_duress = await services.hashing.verify(
        duress_secret.password_hash if duress_secret else None, password
    )
    under_duress = under_duress and duress_secret is not None and not ok
    if account is None or not (ok or under_duress):
        await _count_failure(services, pseudonym, client_key)
        raise Unauthenticated(LOGIN_REFUSED, code="login_refused")
    await services.failures_by_account.clear(pseudonym_key(pseudonym))
    if under_duress:
        for alert in services.duress_alerts:
            await alert(session, account.id)
        return account, await open_session(session, services, account, duress=True)
    if services.hashing.needs_rehash(account.password_hash):
        account.password_hash = await services.hashing.hash(password)
        session.add(account)
    issued = await open_session(session, services, account)
    return account, issued


async def confirm_password(
    session: AsyncSession,
    services: AuthServices,
    *,
    account_id: uuid.UUID,
    password: str,
    client_key: str,
) -> Account:
    """Her password again, before an action that cannot be undone (erasing her account).
    Wrong answers count as failed logins."""
    account = await _account(session, account_id)
    await _check_throttle(services, account.pseudonym, client_key)
    if not await services.hashing.verify(account.password_hash, password):
        await _count_failure(services, account.pseudonym, client_key)
        raise InvalidInput(
            "Your password is not right.",
            code="wrong_password",
            fields={"password": "This is not your password."},
        )
    return account


async def set_duress_password(
    session: AsyncSession,
    services: AuthServices,
    *,
    account_id: uuid.UUID,
    current_password: str,
    duress_password: str | None,
) -> None:
    """Set (or remove, with None) her duress password; her real password confirms it."""
    account = await _account(session, account_id)
    if not await services.hashing.verify(account.password_hash, current_password):
        raise InvalidInput(
            "Your current password is not right.",
            code="wrong_password",
            fields={"current_password": "This is not your current password."},
        )
    existing = await session.get(DuressSecret, account_id)
    if duress_password is None:
        if existing is not None:
            await session.delete(existing)
            await session.flush()
        return
    if duress_password == current_password:
        raise InvalidInput(
            "Choose a duress password different from your password.",
            fields={"duress_password": "It must differ from your password."},
        )
    _password_rules(duress_password, account.pseudonym, "duress_password")
    row = existing or DuressSecret(account_id=account_id, password_hash="", set_at=utc_now())
    row.password_hash = await services.hashing.hash(duress_password)
    row.set_at = utc_now()
    session.add(row)
    await session.flush()


async def has_duress_password(session: AsyncSession, account_id: uuid.UUID) -> bool:
    return await session.get(DuressSecret, account_id) is not None


def grants_of(
    role_grants: Sequence[RoleGrant | HeldRole], restrictions: str = "", *, duress: bool = False
) -> Grants:
    """What she may do: her roles, less what restrictions (or a duress login) take away."""
    effects = restriction_effects.parse(restrictions)
    if duress:
        effects |= {Effect.DURESS}
    # HeldRole reads the role as text (auth/lookup.py): parse it here.
    return grants_from_roles([(Role(g.role), g.organisation_id) for g in role_grants], effects)


def needs_touch(auth_session: LiveSession | AuthSession, now: datetime) -> bool:
    return now - auth_session.last_seen_at >= SESSION_TOUCH_INTERVAL


async def touch_session(session: AsyncSession, session_id: uuid.UUID) -> None:
    await session.exec(
        update(AuthSession).where(col(AuthSession.id) == session_id).values(last_seen_at=utc_now())
    )


async def revoke_session(session: AsyncSession, auth_session: LiveSession | AuthSession) -> None:
    await session.exec(
        update(AuthSession)
        .where(col(AuthSession.id) == auth_session.id)
        .values(revoked_at=utc_now())
    )


async def revoke_all_sessions(
    session: AsyncSession, account_id: uuid.UUID, *, keep: uuid.UUID | None = None
) -> int:
    statement = (
        update(AuthSession)
        .where(col(AuthSession.account_id) == account_id)
        .where(col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utc_now())
    )
    if keep is not None:
        statement = statement.where(col(AuthSession.id) != keep)
    result = await session.exec(statement)
    return int(result.rowcount)


async def log_out_everywhere(session: AsyncSession, account_id: uuid.UUID) -> int:
    revoked = await revoke_all_sessions(session, account_id)
    await audit.record(
        session,
        actor_id=account_id,
        action="account.logged_out_everywhere",
        subject=f"account:{account_id}",
        details={"sessions_revoked": revoked},
    )
    return revoked


async def list_sessions(session: AsyncSession, account_id: uuid.UUID) -> list[AuthSession]:
    now = utc_now()
    statement = (
        select(AuthSession)
        .where(AuthSession.account_id == account_id)
        .where(col(AuthSession.revoked_at).is_(None))
        .where(col(AuthSession.expires_at) > now)
        .order_by(col(AuthSession.created_at).desc())
    )
    return list((await session.exec(statement)).all())


async def change_password(
    session: AsyncSession,
    services: AuthServices,
    *,
    account_id: uuid.UUID,
    keep_session_id: uuid.UUID,
    current_password: str,
    new_password: str,
    client_key: str,
) -> None:
    """Set a new password and end every other session (someone else may hold one)."""
    account = await _account(session, account_id)
    await _check_throttle(services, account.pseudonym, client_key)
    if not await services.hashing.verify(account.password_hash, current_password):
        await _count_failure(services, account.pseudonym, client_key)
        raise InvalidInput(
            "Your current password is not right.",
            code="wrong_password",
            fields={"current_password": "This is not your current password."},
        )
    _password_rules(new_password, account.pseudonym, "new_password")
    account.password_hash = await services.hashing.hash(new_password)
    account.password_changed_at = utc_now()
    session.add(account)
    await revoke_all_sessions(session, account.id, keep=keep_session_id)
    await audit.record(
        session,
        actor_id=account.id,
        action="account.password_changed",
        subject=f"account:{account.id}",
    )


async def regenerate_recovery_codes(
    session: AsyncSession,
    services: AuthServices,
    *,
    account_id: uuid.UUID,
    password: str,
    client_key: str,
) -> list[str]:
    account = await _account(session, account_id)
    await _check_throttle(services, account.pseudonym, client_key)
    if not await services.hashing.verify(account.password_hash, password):
        await _count_failure(services, account.pseudonym, client_key)
        raise InvalidInput(
            "Your password is not right.",
            code="wrong_password",
            fields={"password": "This is not your password."},
        )
    codes = await _replace_recovery_codes(session, services, account.id)
    await audit.record(
        session,
        actor_id=account.id,
        action="account.recovery_codes_replaced",
        subject=f"account:{account.id}",
    )
    return codes


async def recover_account(
    session: AsyncSession,
    services: AuthServices,
    *,
    pseudonym: str,
    recovery_code: str,
    new_password: str,
    client_key: str,
) -> tuple[Account, IssuedSession, int]:
    """Use one recovery code to set a new password; every existing session ends."""
    await _check_throttle(services, pseudonym, client_key)
    statement = (
        select(RecoveryCode, Account)
        .join(Account, col(Account.id) == col(RecoveryCode.account_id))
        .where(RecoveryCode.code_hash == hash_recovery_code(services.secret, recovery_code))
        .where(Account.pseudonym_key == pseudonym_key(pseudonym))
        .where(col(RecoveryCode.used_at).is_(None))
    )
    found = (await session.exec(statement)).first()
    if found is None:
        await _count_failure(services, pseudonym, client_key)
        raise Unauthenticated(
            "That pseudonym and recovery code do not match, or the code was already used.",
            code="recovery_refused",
        )
    code, account = found
    _password_rules(new_password, account.pseudonym, "new_password")
    code.used_at = utc_now()
    session.add(code)
    account.password_hash = await services.hashing.hash(new_password)
    account.password_changed_at = utc_now()
    session.add(account)
    await revoke_all_sessions(session, account.id)
    issued = await open_session(session, services, account)
    remaining = (
        await session.exec(
            select(RecoveryCode)
            .where(RecoveryCode.account_id == account.id)
            .where(col(RecoveryCode.used_at).is_(None))
        )
    ).all()
    await audit.record(
        session,
        actor_id=account.id,
        action="account.recovered",
        subject=f"account:{account.id}",
        details={"recovery_codes_left": len(remaining)},
    )
    return account, issued, len(remaining)


async def list_role_grants(session: AsyncSession, account_id: uuid.UUID) -> list[RoleGrant]:
    statement = select(RoleGrant).where(RoleGrant.account_id == account_id)
    return list((await session.exec(statement)).all())


async def load_grants(session: AsyncSession, account_id: uuid.UUID) -> Grants:
    account = await session.get(Account, account_id)
    restrictions = account.restrictions if account is not None else ""
    return grants_of(await list_role_grants(session, account_id), restrictions)


async def grant_role(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID | None,
    account_id: uuid.UUID,
    role: Role,
    organisation_id: uuid.UUID | None,
) -> RoleGrant:
    if role in ORGANISATION_ROLES and organisation_id is None:
        raise InvalidInput(
            f"The role {role} is held within an organisation: say which one.",
            fields={"organisation_id": "Required for this role."},
        )
    if role not in ORGANISATION_ROLES and organisation_id is not None:
        raise InvalidInput(
            f"The role {role} is held for the whole community, not an organisation.",
            fields={"organisation_id": "Leave empty for this role."},
        )
    if await session.get(Account, account_id) is None:
        raise NotFound()
    existing = (
        await session.exec(
            select(RoleGrant)
            .where(RoleGrant.account_id == account_id)
            .where(RoleGrant.role == role)
            .where(RoleGrant.organisation_id == organisation_id)
        )
    ).first()
    if existing is not None:
        return existing
    grant = RoleGrant(
        account_id=account_id,
        role=role,
        organisation_id=organisation_id,
        granted_by=actor_id,
        granted_at=utc_now(),
    )
    session.add(grant)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise NotFound("That organisation does not exist.") from exc
    await audit.record(
        session,
        actor_id=actor_id,
        action="role.granted",
        subject=f"account:{account_id}",
        details={
            "role": role,
            "organisation": str(organisation_id) if organisation_id else None,
        },
    )
    return grant


async def revoke_role(
    session: AsyncSession, *, actor_id: uuid.UUID, account_id: uuid.UUID, grant_id: uuid.UUID
) -> None:
    grant = await session.get(RoleGrant, grant_id)
    if grant is None or grant.account_id != account_id:
        raise NotFound()
    await session.delete(grant)
    await audit.record(
        session,
        actor_id=actor_id,
        action="role.revoked",
        subject=f"account:{account_id}",
        details={
            "role": grant.role,
            "organisation": str(grant.organisation_id) if grant.organisation_id else None,
        },
    )


async def set_community_roles(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID | None,
    account_id: uuid.UUID,
    wanted: set[Role],
    managed: set[Role],
) -> None:
    """Make the account hold exactly ``wanted`` among the ``managed`` community-wide roles.

    Used by domains whose state implies roles (a member's status), so the two never drift.
    """
    held = {
        g.role: g
        for g in await list_role_grants(session, account_id)
        if g.organisation_id is None and g.role in managed
    }
    for role in wanted - held.keys():
        await grant_role(
            session, actor_id=actor_id, account_id=account_id, role=role, organisation_id=None
        )
    for role in held.keys() - wanted:
        await session.delete(held[role])
        await audit.record(
            session,
            actor_id=actor_id,
            action="role.revoked",
            subject=f"account:{account_id}",
            details={"role": role, "organisation": None},
        )
    await session.flush()


# Never a valid Argon2 hash, so no password ever matches it.
NEVER_MATCHES = "!sign-in-elsewhere"


async def create_account_without_password(
    session: AsyncSession, *, pseudonym: str, actor_id: uuid.UUID | None, via: str
) -> Account:
    """An account that signs in only through another way (``via``, e.g. an organisation's
    identity provider). Its pseudonym is generated by the caller and must be free."""
    now = utc_now()
    account = Account(
        pseudonym=pseudonym,
        pseudonym_key=pseudonym_key(pseudonym),
        password_hash=NEVER_MATCHES,
        language="en",
        created_at=now,
        password_changed_at=now,
    )
    session.add(account)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="account.registered",
        subject=f"account:{account.id}",
        details={"via": via},
    )
    return account
