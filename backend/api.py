"""Mounts each domain's router under /api."""

from fastapi import APIRouter

from backend.audit.endpoints import router as audit_router
from backend.auth.endpoints import router as auth_router
from backend.identity.endpoints import router as identity_router
from backend.membership.endpoints import public_router as membership_public_router
from backend.membership.endpoints import router as membership_router
from backend.mentoring.endpoints import router as mentoring_router
from backend.organisation.endpoints import router as organisation_router
from backend.peerwork.endpoints import router as peerwork_router
from backend.room.endpoints import router as room_router
from backend.safeguarding.endpoints import router as safeguarding_router
from backend.safety.endpoints import router as safety_router
from backend.sso.endpoints import router as sso_router

api_router = APIRouter(prefix="/api")
api_router.include_router(auth_router)
api_router.include_router(organisation_router)
api_router.include_router(identity_router)
api_router.include_router(audit_router)
api_router.include_router(safety_router)
api_router.include_router(membership_router)
api_router.include_router(mentoring_router)
api_router.include_router(peerwork_router)
api_router.include_router(sso_router)
api_router.include_router(safeguarding_router)

# Paths fixed by standards, outside /api.
well_known_router = membership_public_router
api_router.include_router(room_router)
