"""Argon2id password hashes: verify, refuse, equal work for unknown users, rehash on new parameters."""

from __future__ import annotations

from handover.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PasswordHasher, password_problem


def test_a_hash_verifies_its_password_only(fast_hasher: PasswordHasher) -> None:
    stored = fast_hasher.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored
    assert fast_hasher.verify(stored, "correct horse battery")
    assert not fast_hasher.verify(stored, "correct horse battery!")
    assert fast_hasher.hash("correct horse battery") != stored  # a fresh salt every time


def test_no_stored_hash_is_never_a_match(fast_hasher: PasswordHasher) -> None:
    # The unknown-user path verifies against a dummy hash and must still say no, even for its text.
    assert not fast_hasher.verify(None, "")
    assert not fast_hasher.verify(None, "not a password anyone has: timing equaliser")


def test_a_damaged_hash_or_a_huge_password_is_refused_without_an_exception(fast_hasher: PasswordHasher) -> None:
    assert not fast_hasher.verify("$argon2id$garbage", "whatever password")
    stored = fast_hasher.hash("x" * MAX_PASSWORD_LENGTH)
    assert fast_hasher.verify(stored, "x" * MAX_PASSWORD_LENGTH)
    assert not fast_hasher.verify(stored, "x" * (MAX_PASSWORD_LENGTH + 1))


def test_hashes_made_with_other_parameters_need_a_rehash(fast_hasher: PasswordHasher) -> None:
    stronger = PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1)
    old = fast_hasher.hash("a long enough password")
    assert stronger.verify(old, "a long enough password")  # the parameters travel with the hash
    assert stronger.needs_rehash(old)
    assert not stronger.needs_rehash(stronger.hash("a long enough password"))
    assert stronger.needs_rehash("not a hash at all")


def test_the_defaults_are_argon2_cffis_memory_hard_ones() -> None:
    from argon2 import PasswordHasher as Reference
    from argon2 import Type

    params = PasswordHasher()._hasher
    reference = Reference()
    assert (params.time_cost, params.memory_cost, params.parallelism) == (
        reference.time_cost, reference.memory_cost, reference.parallelism)
    assert params.type is Type.ID and params.memory_cost >= 64 * 1024


def test_new_password_rules() -> None:
    assert password_problem("x" * MIN_PASSWORD_LENGTH) is None
    assert "at least" in password_problem("x" * (MIN_PASSWORD_LENGTH - 1))
    assert "longer than" in password_problem("x" * (MAX_PASSWORD_LENGTH + 1))
