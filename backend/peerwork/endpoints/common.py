from fastapi import APIRouter, status

from backend.auth.capabilities import Capability
from backend.core.jsonbody import StrictJSONRoute

ORG = "/organisations/{organisation_id}"
SCHEDULE = Capability.PEERWORK_SCHEDULE
ONBOARD = Capability.PEERWORK_ONBOARD
TEAM = (Capability.PEERWORK_WORK, Capability.PEERWORK_PAIR)
CREATED = status.HTTP_201_CREATED


def new_router() -> APIRouter:
    return APIRouter(tags=["peer work"], route_class=StrictJSONRoute)
