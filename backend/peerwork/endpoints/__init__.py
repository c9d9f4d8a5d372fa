"""The peer-work API: one router per capability, mounted in the order they were written."""

from fastapi import APIRouter

from backend.peerwork.endpoints import availability, my_work, onboarding, pay, roster

router = APIRouter()
for part in (onboarding, availability, roster, my_work, pay):
    router.include_router(part.router)
