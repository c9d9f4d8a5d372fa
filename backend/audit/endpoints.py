import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlmodel import col, select

from backend.auth.capabilities import Capability
from backend.auth.dependencies import Actor, require
from backend.core import audit
from backend.core.dependencies import DbSession
from backend.core.jsonbody import StrictJSONRoute
from backend.core.schemas import Output

router = APIRouter(prefix="/audit", tags=["audit"], route_class=StrictJSONRoute)

AuditReader = Annotated[Actor, Depends(require(Capability.AUDIT_READ))]


class AuditEntryPublic(Output):
    seq: int
    at: datetime
    actor_id: uuid.UUID | None
    action: str
    subject: str
    details: dict[str, Any]
    hash: str


class ChainReportPublic(Output):
    intact: bool
    entries_checked: int
    first_broken_seq: int | None
    reason: str | None


@router.get("", response_model=list[AuditEntryPublic])
async def list_entries(
    _actor: AuditReader,
    session: DbSession,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    action: Annotated[str | None, Query(max_length=80)] = None,
) -> list[AuditEntryPublic]:
    """The newest entries first; page with ``before`` (a sequence number)."""
    statement = select(audit.AuditEntry).order_by(col(audit.AuditEntry.seq).desc()).limit(limit)
    if before is not None:
        statement = statement.where(col(audit.AuditEntry.seq) < before)
    if action is not None:
        statement = statement.where(audit.AuditEntry.action == action)
    rows = (await session.exec(statement)).all()
    return [
        AuditEntryPublic(
            seq=r.seq,
            at=r.at,
            actor_id=r.actor_id,
            action=r.action,
            subject=r.subject,
            details=json.loads(r.details),
            hash=r.hash,
        )
        for r in rows
    ]


@router.get("/verify", response_model=ChainReportPublic)
async def verify(_actor: AuditReader, session: DbSession) -> ChainReportPublic:
    """Recompute the hash chain; names the first entry that was altered or removed."""
    report = await audit.verify_chain(session)
    return ChainReportPublic(
        intact=report.intact,
        entries_checked=report.entries_checked,
        first_broken_seq=report.first_broken_seq,
        reason=report.reason,
    )
