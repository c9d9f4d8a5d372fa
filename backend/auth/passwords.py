"""Argon2id hashing, bounded so a burst of logins cannot exhaust memory or the event loop."""

import asyncio
from dataclasses import dataclass

from anyio import to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


@dataclass(frozen=True)
class Argon2Parameters:
    memory_kib: int
    time_cost: int
    parallelism: int


class PasswordHashing:
    def __init__(self, parameters: Argon2Parameters, max_concurrent: int) -> None:
        self.parameters = parameters
        self._hasher = PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_kib,
            parallelism=parameters.parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        self._slots = asyncio.Semaphore(max_concurrent)
        # Verifying against this when a pseudonym is unknown makes "no such account" take
        # as long as "wrong password": the time does not tell whether an account exists.
        self._dummy_hash = self._hasher.hash("tandem-dummy-password-for-timing")

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await to_thread.run_sync(self._hash_sync, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        target = password_hash or self._dummy_hash
        async with self._slots:
            ok = await to_thread.run_sync(self._verify_sync, target, password)
        return ok and password_hash is not None

    def _hash_sync(self, password: str) -> str:
        return self._hasher.hash(password)

    def _verify_sync(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
