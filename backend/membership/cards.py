"""Signing active-member cards: Ed25519 JWS (joserfc), keys published as a JWKS.

The private keys live in their own file beside the key file (mode 0600). New keys are
added, never replaced, so cards signed earlier keep verifying while their key is listed.
"""

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet, OKPKey

from backend.core.time import utc_now

ALGORITHM = "Ed25519"  # RFC 9864's fully specified name for EdDSA over Ed25519
CARD_TYPE = "tandem-card+jws"


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
            entry.setdefault("alg", ALGORITHM)
            entry.setdefault("use", "sig")
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
        header = {"alg": ALGORITHM, "kid": self.current.kid, "typ": CARD_TYPE}
        return jws.serialize_compact(header, payload, self.current, algorithms=[ALGORITHM])

    def read(self, token: str) -> dict[str, Any] | None:
        """The token's claims when its signature verifies with one of our keys, else None."""
        try:
            obj = jws.deserialize_compact(
                token, KeySet(list[Key](self.keys)), algorithms=[ALGORITHM]
            )
            claims: dict[str, Any] = json.loads(obj.payload)
        except (JoseError, ValueError, TypeError):
            return None
        return claims if isinstance(claims, dict) and isinstance(claims.get("num"), str) else None


def new_card_number() -> str:
    """Random, not sequential: twelve characters from an unambiguous alphabet (60 bits)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    chars = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"
