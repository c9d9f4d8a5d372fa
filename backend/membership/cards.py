"""Active-member cards: issuing, revoking and verifying them, and signing them as
Ed25519 JWS (joserfc) with keys published as a JWKS.

Cards are signed under the name `EdDSA` and read under `EdDSA` or `Ed25519` (RFC 9864's
name, which cards signed before decision 0012 carry); the published keys name no `alg`,
so a verifier may use either name with them.

The private keys live in their own file beside the key file (mode 0600). New keys are
added, never replaced, so cards signed earlier keep verifying while their key is listed.
"""

import json
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwa import EdDSAAlgorithm
from joserfc.jwk import Key, KeySet, OKPKey
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.auth.models import Account
from backend.core import audit
from backend.core.errors import Conflict, NotFound
from backend.core.time import utc_now
from backend.membership import settings as membership_settings
from backend.membership.models import Card, CardStatus
from backend.notification import producers as notify

# Decision 0012: sign under the name every JOSE library with Ed25519 knows (PyJWT knows no
# other) while RFC 9864's `Ed25519` spreads; both are the same signature with the same keys.
SIGNING_ALGORITHM = "EdDSA"
ACCEPTED_ALGORITHMS = ("EdDSA", "Ed25519")
CARD_TYPE = "tandem-card+jws"


class _CardEdDSA(EdDSAAlgorithm):
    # joserfc warns on every use that RFC 9864 deprecates the name; we use it on purpose
    # (decision 0012), and our keys are Ed25519 only, the one curve the name then means.
    security_warning = None  # type: ignore[assignment]  # typed str here, str | None on the base


_REGISTRY = jws.JWSRegistry(algorithms=ACCEPTED_ALGORITHMS)
# The instance's own table: the class's is joserfc's, shared by every other registry.
_REGISTRY.algorithms = {**jws.JWSRegistry.algorithms, "EdDSA": _CardEdDSA()}


class CardKeyError(RuntimeError):
    pass


@dataclass(frozen=True)
class CardClaims:
    number: str
    pseudonym: str
    issued_at: datetime
    expires_at: datetime


def _write_private(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    os.replace(tmp, path)


def _new_key() -> OKPKey:
    kid = "card-" + utc_now().strftime("%Y%m%d") + "-" + secrets.token_hex(3)
    return OKPKey.generate_key("Ed25519", parameters={"kid": kid})


class CardSigner:
    def __init__(self, keys: list[OKPKey]) -> None:
        if not keys:
            raise CardKeyError("no card signing key")
        self.keys = keys

    @classmethod
    def load_or_create(cls, path: Path) -> "CardSigner":
        if not path.exists():
            signer = cls([_new_key()])
            signer.save(path)
            return signer
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            keys = [OKPKey.import_key(entry) for entry in data["keys"]]
        except (OSError, ValueError, KeyError, JoseError) as exc:
            raise CardKeyError(f"The card key file {path} cannot be used: {exc}") from exc
        return cls(keys)

    def save(self, path: Path) -> None:
        _write_private(path, {"keys": [k.as_dict(private=True) for k in self.keys]})

    def rotate(self, path: Path) -> str:
        key = _new_key()
        self.keys.append(key)
        self.save(path)
        return str(key.kid)

    @property
    def current(self) -> OKPKey:
        return self.keys[-1]

    def public_jwks(self) -> dict[str, Any]:
        public: dict[str, Any] = dict(KeySet(list[Key](self.keys)).as_dict(private=False))
        for entry in public["keys"]:
            # No `alg`: a key that names one is refused by jose and others for a card
            # signed under the other name (decision 0012).
            entry.pop("alg", None)
            entry["use"] = "sig"
        return public

    def sign(self, claims: CardClaims) -> str:
        payload = json.dumps(
            {
                "typ": "member-card",
                "num": claims.number,
                "psd": claims.pseudonym,
                "iat": int(claims.issued_at.timestamp()),
                "exp": int(claims.expires_at.timestamp()),
            },
            separators=(",", ":"),
        ).encode()
        header = {"alg": SIGNING_ALGORITHM, "kid": self.current.kid, "typ": CARD_TYPE}
        return jws.serialize_compact(header, payload, self.current, registry=_REGISTRY)

    def read(self, token: str) -> dict[str, Any] | None:
        """The token's claims when its signature verifies with one of our keys, else None."""
        try:
            obj = jws.deserialize_compact(token, KeySet(list[Key](self.keys)), registry=_REGISTRY)
            claims: dict[str, Any] = json.loads(obj.payload)
        except (JoseError, ValueError, TypeError):
            return None
        return claims if isinstance(claims, dict) and isinstance(claims.get("num"), str) else None


def new_card_number() -> str:
    """Random, not sequential: twelve characters from an unambiguous alphabet (60 bits)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    chars = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


# A card's holder hears this long before it expires.
CARD_EXPIRY_NOTICE = timedelta(days=30)


async def issue_card(
    session: AsyncSession, signer: CardSigner, *, actor_id: uuid.UUID | None, account_id: uuid.UUID
) -> Card:
    """A new card; any earlier valid card of hers is revoked (one card at a time)."""
    await revoke_cards_of(session, actor_id=actor_id, account_id=account_id, reason="replaced")
    now = utc_now()
    days = (await membership_settings.get_rules(session)).card_valid_days
    card = Card(
        number=new_card_number(),
        account_id=account_id,
        issued_at=now.replace(microsecond=0),
        expires_at=(now + timedelta(days=days)).replace(microsecond=0),
        key_id=str(signer.current.kid),
    )
    session.add(card)
    await session.flush()
    await audit.record(
        session,
        actor_id=actor_id,
        action="card.issued",
        subject=f"account:{account_id}",
        details={"card": card.number},
    )
    await notify.card_issued(session, account_id=account_id)
    return card


async def revoke_cards_of(
    session: AsyncSession, *, actor_id: uuid.UUID | None, account_id: uuid.UUID, reason: str
) -> int:
    statement = (
        select(Card).where(Card.account_id == account_id).where(Card.status == CardStatus.VALID)
    )
    revoked = 0
    for card in (await session.exec(statement)).all():
        card.status = CardStatus.REVOKED
        card.revoked_at = utc_now()
        card.revoked_reason = reason
        session.add(card)
        revoked += 1
        await audit.record(
            session,
            actor_id=actor_id,
            action="card.revoked",
            subject=f"account:{account_id}",
            details={"card": card.number, "reason": reason},
        )
    await session.flush()
    # A card replaced by a new one is not news: the new card's notice says it.
    if revoked and reason != "replaced":
        await notify.card_revoked(session, account_id=account_id)
    return revoked


async def revoke_card(
    session: AsyncSession, *, officer_id: uuid.UUID, number: str, reason: str
) -> Card:
    card = (await session.exec(select(Card).where(Card.number == number.upper()))).first()
    if card is None:
        raise NotFound()
    if card.status == CardStatus.REVOKED:
        raise Conflict("This card is revoked already.")
    card.status = CardStatus.REVOKED
    card.revoked_at = utc_now()
    card.revoked_reason = reason
    session.add(card)
    await audit.record(
        session,
        actor_id=officer_id,
        action="card.revoked",
        subject=f"account:{card.account_id}",
        details={"card": card.number, "reason": reason},
    )
    await notify.card_revoked(session, account_id=card.account_id)
    return card


async def remind_expiring_cards(session: AsyncSession) -> int:
    """Valid cards within 30 days of expiry: their holder hears once per card."""
    now = utc_now()
    cards = (
        await session.exec(
            select(Card)
            .where(Card.status == CardStatus.VALID)
            .where(Card.expires_at > now)
            .where(Card.expires_at <= now + CARD_EXPIRY_NOTICE)
        )
    ).all()
    told = 0
    for card in cards:
        told += len(
            await notify.card_expiring(
                session,
                account_id=card.account_id,
                card_number=card.number,
                expires_at=card.expires_at,
            )
        )
    return told


async def my_card(session: AsyncSession, account_id: uuid.UUID) -> Card | None:
    statement = (
        select(Card)
        .where(Card.account_id == account_id)
        .order_by(col(Card.issued_at).desc())
        .limit(1)
    )
    return (await session.exec(statement)).first()


def card_token(signer: CardSigner, card: Card, pseudonym: str) -> str:
    return signer.sign(
        CardClaims(
            number=card.number,
            pseudonym=pseudonym,
            issued_at=card.issued_at,
            expires_at=card.expires_at,
        )
    )


@dataclass(frozen=True)
class Verification:
    result: str
    card: Card | None = None
    pseudonym: str | None = None


async def verify_card(
    session: AsyncSession, signer: CardSigner, *, token: str | None, number: str | None
) -> Verification:
    """valid / expired / revoked / unknown. A forged or altered token reads as unknown."""
    if token:
        claims = signer.read(token)
        if claims is None:
            return Verification("unknown")
        number = str(claims["num"])
    if not number:
        return Verification("unknown")
    normalised = "".join(ch for ch in number.upper() if ch.isalnum())
    if len(normalised) != 12:
        return Verification("unknown")
    formatted = f"{normalised[:4]}-{normalised[4:8]}-{normalised[8:]}"
    statement = select(Card, Account).join(Account, col(Account.id) == col(Card.account_id))
    found = (await session.exec(statement.where(Card.number == formatted))).first()
    if found is None:
        return Verification("unknown")
    card, account = found
    if card.status == CardStatus.REVOKED:
        return Verification("revoked", card, account.pseudonym)
    if utc_now() >= card.expires_at:
        return Verification("expired", card, account.pseudonym)
    return Verification("valid", card, account.pseudonym)
