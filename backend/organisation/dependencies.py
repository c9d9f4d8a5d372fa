from typing import Annotated

from fastapi import Depends

from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor, require

OrganisationReader = Annotated[Actor, Depends(require(Capability.ORGANISATIONS_READ))]
OrganisationManager = Annotated[Actor, Depends(require(Capability.ORGANISATIONS_MANAGE))]
