"""Password hashing with argon2id. Hashing is deliberately slow (and takes 64 MiB while it runs), so it runs off the
event loop in a pool of its own with one thread per core: a flood of sign-ins queues for the pool instead of
hashing forty at once (the server went from 327 to 712 MiB)."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
HASHING = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="argon2")
# Verifying against this keeps a wrong username as slow as a wrong password (no user enumeration by timing).
_DUMMY = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def hash_password_async(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(HASHING, hash_password, password)


async def verify_password_async(stored: str | None, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(HASHING, verify_password, stored, password)
