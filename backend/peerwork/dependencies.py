from typing import Annotated

from fastapi import Depends

from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor, require
from backend.core.db import Database
from backend.core.dependencies import get_database

# Each holds in at least one organisation; access.py checks the one a request is about.
Scheduler = Annotated[Actor, Depends(require(Capability.PEERWORK_SCHEDULE))]
Onboarder = Annotated[Actor, Depends(require(Capability.PEERWORK_ONBOARD))]
PayrollReader = Annotated[Actor, Depends(require(Capability.PEERWORK_PAYROLL))]
PeerWorkerActor = Annotated[Actor, Depends(require(Capability.PEERWORK_WORK))]

# For operations that open their own sessions, such as roster generation.
DatabaseDep = Annotated[Database, Depends(get_database)]
