"""The key file: the one secret kept outside the database.

It holds a random secret (for keyed hashes of tokens and recovery codes) and the vault's
master keys, each with an id so records wrapped under an older key stay readable after
``tandem rotate-keys``. It is JSON, created on first start with mode 0600.
"""

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from backend.core.time import utc_now

MIN_SECRET_BYTES = 32
MASTER_KEY_BYTES = 32


class KeyFileError(RuntimeError):
    """The key file exists but cannot be used; the application must not start."""


@dataclass(frozen=True)
class KeyRing:
    secret: bytes
    master_keys: dict[str, bytes]
    current_key_id: str

    @property
    def current_master_key(self) -> bytes:
        return self.master_keys[self.current_key_id]


def _new_key_id() -> str:
    return "k" + utc_now().strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)


def _encode(ring: KeyRing) -> str:
    return json.dumps(
        {
            "format": 1,
            "secret": base64.b64encode(ring.secret).decode(),
            "master_keys": {k: base64.b64encode(v).decode() for k, v in ring.master_keys.items()},
            "current": ring.current_key_id,
        },
        indent=2,
    )


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def create_key_file(path: Path) -> KeyRing:
    key_id = _new_key_id()
    ring = KeyRing(
        secret=secrets.token_bytes(64),
        master_keys={key_id: secrets.token_bytes(MASTER_KEY_BYTES)},
        current_key_id=key_id,
    )
    _write_private(path, _encode(ring))
    return ring


def load_key_file(path: Path) -> KeyRing:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyFileError(f"The key file {path} cannot be read ({exc.strerror}).") from exc
    try:
        data = json.loads(raw)
        secret = base64.b64decode(data["secret"], validate=True)
        master_keys = {
            str(k): base64.b64decode(v, validate=True) for k, v in data["master_keys"].items()
        }
        current = str(data["current"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyFileError(
            f"The key file {path} is not a Tandem key file. Restore it from your backup; "
            "without it sealed identities cannot be opened."
        ) from exc
    if len(secret) < MIN_SECRET_BYTES:
        raise KeyFileError(
            f"The key file {path} is too short: its secret has {len(secret)} bytes, "
            f"at least {MIN_SECRET_BYTES} are needed."
        )
    if current not in master_keys or any(len(k) != MASTER_KEY_BYTES for k in master_keys.values()):
        raise KeyFileError(f"The key file {path} has a master key that is missing or too short.")
    return KeyRing(secret=secret, master_keys=master_keys, current_key_id=current)


def load_or_create_key_file(path: Path) -> KeyRing:
    if not path.exists():
        return create_key_file(path)
    return load_key_file(path)


def add_master_key(path: Path) -> KeyRing:
    """Add a new current master key; older keys stay so existing records remain readable."""
    ring = load_key_file(path)
    key_id = _new_key_id()
    while key_id in ring.master_keys:
        key_id = _new_key_id()
    new_ring = KeyRing(
        secret=ring.secret,
        master_keys={**ring.master_keys, key_id: secrets.token_bytes(MASTER_KEY_BYTES)},
        current_key_id=key_id,
    )
    _write_private(path, _encode(new_ring))
    return new_ring
