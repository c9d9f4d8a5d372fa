from typing import Annotated

from fastapi import Depends, Request

from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor, require
from backend.identity.vault import Vault


async def get_vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


VaultDep = Annotated[Vault, Depends(get_vault)]
Unsealer = Annotated[Actor, Depends(require(Capability.IDENTITY_UNSEAL))]
