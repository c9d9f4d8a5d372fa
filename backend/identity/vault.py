"""Envelope encryption for sealed identities.

Each record has its own random data key (AES-256-GCM); the data key is stored wrapped by
a master key from the key file, with that key's id, so rotating the master key re-wraps
data keys without touching the records. The record's owner is bound in as associated
data: a ciphertext copied onto another account's row does not decrypt.
"""

import json
import os
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backend.core.keys import KeyRing

NONCE_BYTES = 12


class VaultError(RuntimeError):
    pass


@dataclass(frozen=True)
class SealedBox:
    key_id: str
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes


def _aad(owner: uuid.UUID, purpose: str) -> bytes:
    return f"tandem:{purpose}:{owner}".encode()


class Vault:
    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys

    def _wrap(self, key_id: str, data_key: bytes, owner: uuid.UUID) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        master = AESGCM(self.keys.master_keys[key_id])
        return nonce + master.encrypt(nonce, data_key, _aad(owner, "key:" + key_id))

    def _unwrap(self, box: SealedBox, owner: uuid.UUID) -> bytes:
        master_key = self.keys.master_keys.get(box.key_id)
        if master_key is None:
            raise VaultError(f"master key {box.key_id} is not in the key file")
        nonce, wrapped = box.wrapped_key[:NONCE_BYTES], box.wrapped_key[NONCE_BYTES:]
        try:
            return AESGCM(master_key).decrypt(nonce, wrapped, _aad(owner, "key:" + box.key_id))
        except InvalidTag as exc:
            raise VaultError("a sealed record does not open with its key") from exc

    def seal(self, owner: uuid.UUID, payload: dict[str, Any]) -> SealedBox:
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(payload, separators=(",", ":")).encode()
        ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, _aad(owner, "record"))
        key_id = self.keys.current_key_id
        return SealedBox(key_id, self._wrap(key_id, data_key, owner), nonce, ciphertext)

    def open(self, owner: uuid.UUID, box: SealedBox) -> dict[str, Any]:
        data_key = self._unwrap(box, owner)
        try:
            plaintext = AESGCM(data_key).decrypt(box.nonce, box.ciphertext, _aad(owner, "record"))
        except InvalidTag as exc:
            raise VaultError("a sealed record was altered or belongs to someone else") from exc
        payload: dict[str, Any] = json.loads(plaintext)
        return payload

    def rewrap(self, owner: uuid.UUID, box: SealedBox) -> SealedBox:
        """The same record with its data key wrapped by the current master key."""
        if box.key_id == self.keys.current_key_id:
            return box
        data_key = self._unwrap(box, owner)
        key_id = self.keys.current_key_id
        return SealedBox(key_id, self._wrap(key_id, data_key, owner), box.nonce, box.ciphertext)
