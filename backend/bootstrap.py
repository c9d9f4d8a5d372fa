"""Work the CLI does outside a request: the first admin, key rotation."""

from backend.auth import service as auth_service
from backend.auth.capabilities import Role
from backend.auth.rules import RuleViolation, check_pseudonym
from backend.core.config import Settings
from backend.core.errors import InvalidInput
from backend.identity import service as identity_service
from backend.runtime import build_runtime


async def create_admin_account(settings: Settings, pseudonym: str, password: str) -> list[str]:
    """Register an account and grant it the admin role, in one transaction."""
    try:
        pseudonym = check_pseudonym(pseudonym)
    except RuleViolation as exc:
        raise InvalidInput("Choose another pseudonym.", fields={"pseudonym": str(exc)}) from exc
    runtime = build_runtime(settings)
    try:
        async with runtime.db.session() as session:
            account, codes = await auth_service.register_account(
                session,
                runtime.auth,
                pseudonym=pseudonym,
                password=password,
                language="en",
                client_key="cli",
            )
            await auth_service.grant_role(
                session, actor_id=None, account_id=account.id, role=Role.ADMIN, organisation_id=None
            )
        return codes
    finally:
        await runtime.close()


async def rewrap_vault(settings: Settings) -> int:
    runtime = build_runtime(settings)
    try:
        async with runtime.db.session() as session:
            return await identity_service.rotate_master_key(session, runtime.vault)
    finally:
        await runtime.close()
