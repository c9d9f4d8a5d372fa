"""Mounts each domain's router under /api."""

from fastapi import APIRouter

from backend.audit.endpoints import router as audit_router
from backend.auth.endpoints import router as auth_router
from backend.identity.endpoints import router as identity_router
from backend.organisation.endpoints import router as organisation_router
from backend.room.endpoints import router as room_router
from backend.safety.endpoints import router as safety_router

api_router = APIRouter(prefix="/api")
api_router.include_router(auth_router)
api_router.include_router(organisation_router)
api_router.include_router(identity_router)
api_router.include_router(audit_router)
api_router.include_router(safety_router)
api_router.include_router(room_router)
