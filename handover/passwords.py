"""Agent passwords: Argon2id through argon2-cffi, a memory-hard hash that is slow to guess on a GPU.

The hash string carries its own parameters, so a stored hash made with older (cheaper) parameters
still verifies and `needs_rehash` says when to store a new one. Verifying costs tens of
milliseconds of CPU on purpose; callers run it in a worker thread, off the event loop.
"""

from __future__ import annotations

import threading

from argon2 import PasswordHasher as _Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH", "PasswordHasher", "password_problem"]

MIN_PASSWORD_LENGTH = 8  # NIST SP 800-63B's minimum for a chosen password
# Hashing cost grows with the input only a little, but nobody types more; the cap stops a
# megabyte "password" from being a cheap way to burn CPU.
MAX_PASSWORD_LENGTH = 1024


def password_problem(password: str) -> str | None:
    """What is wrong with a new password (too short, too long), or None (not for login attempts)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password has {len(password)} characters; at least {MIN_PASSWORD_LENGTH} are needed"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password is longer than {MAX_PASSWORD_LENGTH} characters"
    return None


class PasswordHasher:
    """Hashes and verifies passwords with Argon2id.

    The defaults are argon2-cffi's (RFC 9106's low-memory profile: 64 MiB, 3 passes, 4 lanes).
    Tests and small machines may pass cheaper parameters; hashes stored with other parameters
    keep verifying and are upgraded on the next successful login (`needs_rehash`).
    """

    def __init__(self, *, time_cost: int | None = None, memory_cost: int | None = None,
                 parallelism: int | None = None) -> None:
        defaults = _Argon2Hasher()
        self._hasher = _Argon2Hasher(
            time_cost=time_cost or defaults.time_cost,
            memory_cost=memory_cost or defaults.memory_cost,
            parallelism=parallelism or defaults.parallelism,
            type=Type.ID,
        )
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    def hash(self, password: str) -> str:
        """The encoded hash (salt and parameters included) of a password."""
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when `password` matches `stored_hash`.

        Without a stored hash (unknown user, agent without a password) it verifies against a
        dummy hash made with the same parameters, so the answer takes as long as for a real
        user and timing does not tell which usernames exist.
        """
        if len(password) > MAX_PASSWORD_LENGTH:
            return False
        target = stored_hash or self._dummy()
        try:
            matched = self._hasher.verify(target, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return bool(matched) and stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the hash was made with other parameters than this hasher's."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except (InvalidHashError, ValueError):
            return True

    def _dummy(self) -> str:
        with self._dummy_lock:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash("not a password anyone has: timing equaliser")
            return self._dummy_hash
