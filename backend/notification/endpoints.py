"""/api/notifications: her feed, read marks, preferences and Web Push endpoints."""

import uuid

from fastapi import APIRouter, Query, Request, Response, status

from backend.auth.dependencies import SelfActor
from backend.core.dependencies import DbSession
from backend.core.errors import Conflict
from backend.core.jsonbody import StrictJSONRoute
from backend.core.time import utc_now
from backend.notification import service
from backend.notification.catalogue import SAFETY_KINDS, Kind
from backend.notification.models import Notification
from backend.notification.push import PushSender
from backend.notification.schemas import (
    FeedPublic,
    KindPublic,
    NotificationPublic,
    PreferencesIn,
    PreferencesPublic,
    PushKeyPublic,
    PushSubscriptionIn,
    PushSubscriptionPublic,
    ReadAllIn,
    ReadAllPublic,
    UnreadPublic,
)

router = APIRouter(prefix="/notifications", tags=["notifications"], route_class=StrictJSONRoute)


def _public(item: Notification, reader: service.Reader) -> NotificationPublic:
    return NotificationPublic(
        seq=item.seq,
        id=item.id,
        kind=item.kind,
        text=service.text_of(item, reader),
        link=item.link,
        created_at=item.created_at,
        read_at=item.read_at,
    )


@router.get("", response_model=FeedPublic)
async def list_feed(
    actor: SelfActor,
    session: DbSession,
    before_seq: int | None = Query(default=None, ge=1),
    limit: int = Query(default=30, ge=1, le=service.PAGE_MAX),
    unread_only: bool = False,
) -> FeedPublic:
    """Newest first, in her language and time zone as they are now."""
    account_id = actor.account.id
    items = await service.list_feed(
        session, account_id, before_seq=before_seq, limit=limit, unread_only=unread_only
    )
    reader = await service.reader_of(session, account_id)
    return FeedPublic(
        items=[_public(i, reader) for i in items],
        unread=await service.unread_count(session, account_id),
        head_seq=await service.head_of(session, account_id),
        next_before_seq=items[-1].seq if len(items) == limit else None,
    )


@router.get("/unread", response_model=UnreadPublic)
async def unread(actor: SelfActor, session: DbSession) -> UnreadPublic:
    return UnreadPublic(
        unread=await service.unread_count(session, actor.account.id),
        head_seq=await service.head_of(session, actor.account.id),
    )


@router.post("/{seq}/read", response_model=NotificationPublic)
async def mark_read(seq: int, actor: SelfActor, session: DbSession) -> NotificationPublic:
    item = await service.mark_read(session, actor.account.id, seq)
    return _public(item, await service.reader_of(session, actor.account.id))


@router.post("/read-all", response_model=ReadAllPublic)
async def mark_all_read(body: ReadAllIn, actor: SelfActor, session: DbSession) -> ReadAllPublic:
    marked = await service.mark_all_read(session, actor.account.id, up_to_seq=body.up_to_seq)
    return ReadAllPublic(
        marked=marked, unread=await service.unread_count(session, actor.account.id)
    )


def _preferences_public(prefs: service.Preferences, time_zone: str) -> PreferencesPublic:
    return PreferencesPublic(
        kinds=[
            KindPublic(
                kind=k,
                enabled=prefs.is_enabled(k),
                can_switch_off=k not in SAFETY_KINDS,
            )
            for k in Kind
        ],
        quiet_start_minute=prefs.quiet_start_minute,
        quiet_end_minute=prefs.quiet_end_minute,
        paused_until=prefs.paused_until,
        quiet_now=prefs.is_quiet(utc_now(), time_zone),
    )


@router.get("/preferences", response_model=PreferencesPublic)
async def get_preferences(actor: SelfActor, session: DbSession) -> PreferencesPublic:
    prefs = await service.get_preferences(session, actor.account.id)
    return _preferences_public(prefs, actor.account.time_zone)


@router.put("/preferences", response_model=PreferencesPublic)
async def set_preferences(
    body: PreferencesIn, actor: SelfActor, session: DbSession
) -> PreferencesPublic:
    """Kinds switched off are not kept at all; quiet hours and pause only silence what
    leaves the app (push, the live alert): the items are still in the feed."""
    prefs = await service.set_preferences(
        session,
        actor.account.id,
        disabled_kinds=body.disabled_kinds,
        quiet_start_minute=body.quiet_start_minute,
        quiet_end_minute=body.quiet_end_minute,
        paused_until=body.paused_until,
    )
    return _preferences_public(prefs, actor.account.time_zone)


def _push_sender(request: Request) -> PushSender | None:
    sender: PushSender | None = request.app.state.runtime.push
    return sender


@router.get("/push-key", response_model=PushKeyPublic)
async def push_key(request: Request, _actor: SelfActor) -> PushKeyPublic:
    """The application server key to subscribe with, when this instance sends pushes."""
    sender = _push_sender(request)
    return PushKeyPublic(
        enabled=sender is not None, public_key=sender.public_key if sender else None
    )


@router.post(
    "/push-subscriptions",
    response_model=PushSubscriptionPublic,
    status_code=status.HTTP_201_CREATED,
)
async def add_push_subscription(
    request: Request, body: PushSubscriptionIn, actor: SelfActor, session: DbSession
) -> PushSubscriptionPublic:
    if _push_sender(request) is None:
        raise Conflict("This community does not send notifications outside the app.")
    row = await service.add_push_subscription(
        session,
        actor.account.id,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
    )
    return PushSubscriptionPublic(id=row.id, created_at=row.created_at)


@router.delete("/push-subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_push_subscription(
    subscription_id: uuid.UUID, actor: SelfActor, session: DbSession
) -> Response:
    await service.remove_push_subscription(session, actor.account.id, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
