"""The agent directory against real SQLite and PostgreSQL: accounts, passwords, tokens, sessions, presence."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
import sqlalchemy as sa

from handover import tables
from handover.agents import (
    Agent,
    AgentDirectory,
    AgentExists,
    InvalidAgentInput,
    UnknownAgent,
    has_role,
)
from handover.config import load_handover_config_text
from handover.config_store import sync_config
from handover.passwords import PasswordHasher

PASSWORD = "a long enough password"


@pytest.fixture
def directory(handover_store, fast_hasher, clock) -> AgentDirectory:
    return AgentDirectory(handover_store, clock=clock, hasher=fast_hasher)


async def _rows(store, table: sa.Table) -> list[dict]:
    return await store.run_in_transaction(lambda conn: [dict(r) for r in conn.execute(sa.select(table)).mappings()],
                                          write=False)


async def test_create_and_read_an_agent(directory: AgentDirectory) -> None:
    agent = await directory.create_agent(" Anna ", PASSWORD, role="supervisor", teams="service", skills="parcels,orders",
                                         languages=["DE", "en", "de"], capacity=4, display_name="Anna K.")
    assert agent == Agent(id=agent.id, username="anna", display_name="Anna K.", role="supervisor", teams=("service",),
                          skills=("parcels", "orders"), languages=("de", "en"), capacity=4, status="offline",
                          disabled=False, status_changed_at=directory.clock(), last_seen_at=None)
    assert await directory.get_agent("ANNA") == agent
    assert await directory.find_agent("nobody") is None
    await directory.create_agent("bob", None)
    assert [a.username for a in await directory.list_agents()] == ["anna", "bob"]
    stored = (await _rows(directory.tracker_store, tables.agents))[0]
    assert stored["password_hash"].startswith("$argon2id$") and PASSWORD not in stored["password_hash"]
    assert "password" not in str(agent.as_dict())


async def test_bad_input_is_refused_with_what_to_change(directory: AgentDirectory) -> None:
    await directory.create_agent("anna", PASSWORD)
    with pytest.raises(AgentExists, match="exists already"):
        await directory.create_agent("ANNA", PASSWORD)
    cases = [
        dict(username="has space"), dict(role="boss"), dict(capacity=-1), dict(capacity=51), dict(password="short"),
        dict(languages="Deutsch"), dict(skills=["a b"]),
    ]
    for case in cases:
        arguments = {"username": "carl", "password": PASSWORD, **case}
        with pytest.raises(InvalidAgentInput) as raised:
            await directory.create_agent(arguments.pop("username"), arguments.pop("password"), **arguments)
        assert raised.value.message, case
    assert [a.username for a in await directory.list_agents()] == ["anna"]  # nothing half-made
    with pytest.raises(UnknownAgent):
        await directory.get_agent("carl")
    with pytest.raises(UnknownAgent):
        await directory.update_agent("carl", capacity=2)


async def test_teams_must_exist_once_teams_are_defined(directory: AgentDirectory) -> None:
    await directory.create_agent("early", PASSWORD, teams=["anything"])  # no teams defined yet: accepted
    await sync_config(directory.tracker_store, load_handover_config_text("teams:\n  service: {}\n  billing: {}\n"))
    with pytest.raises(InvalidAgentInput, match="unknown team 'servce'") as raised:
        await directory.create_agent("anna", PASSWORD, teams=["servce"])
    assert "did you mean 'service'" in raised.value.hint
    agent = await directory.create_agent("anna", PASSWORD, teams=["service", "billing"])
    assert agent.teams == ("service", "billing")
    with pytest.raises(InvalidAgentInput):
        await directory.update_agent("anna", teams=["nope"])


async def test_update_changes_only_what_is_given(directory: AgentDirectory) -> None:
    await directory.create_agent("anna", PASSWORD, teams=["a"], skills=["x"], languages=["de"], capacity=3)
    agent = await directory.update_agent("anna", role="admin", languages="en,fr", capacity=0)
    assert (agent.role, agent.teams, agent.skills, agent.languages, agent.capacity) == (
        "admin", ("a",), ("x",), ("en", "fr"), 0)
    agent = await directory.update_agent("anna", teams=[], display_name="Anna")
    assert agent.teams == () and agent.display_name == "Anna" and agent.role == "admin"


async def test_authenticate(directory: AgentDirectory) -> None:
    await directory.create_agent("anna", PASSWORD, role="agent")
    agent = await directory.authenticate("Anna", PASSWORD)
    assert agent is not None and agent.username == "anna"
    assert await directory.authenticate("anna", PASSWORD + "x") is None
    assert await directory.authenticate("nobody", PASSWORD) is None
    assert await directory.authenticate("anna", "") is None
    await directory.create_agent("robot", None)
    assert await directory.authenticate("robot", "") is None  # a token-only account has no password
    await directory.disable("anna")
    assert await directory.authenticate("anna", PASSWORD) is None
    await directory.enable("anna")
    assert await directory.authenticate("anna", PASSWORD) is not None


async def test_a_login_upgrades_a_hash_made_with_older_parameters(directory: AgentDirectory, fast_hasher) -> None:
    await directory.create_agent("anna", PASSWORD)
    old_hash = (await _rows(directory.tracker_store, tables.agents))[0]["password_hash"]
    stronger = PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1)
    upgraded = AgentDirectory(directory.tracker_store, clock=directory.clock, hasher=stronger)
    assert await upgraded.authenticate("anna", "wrong password") is None
    assert (await _rows(directory.tracker_store, tables.agents))[0]["password_hash"] == old_hash  # not on failure
    assert await upgraded.authenticate("anna", PASSWORD) is not None
    new_hash = (await _rows(directory.tracker_store, tables.agents))[0]["password_hash"]
    assert new_hash != old_hash and not stronger.needs_rehash(new_hash) and "t=2" in new_hash
    assert await directory.authenticate("anna", PASSWORD) is not None  # the old hasher still reads it


async def test_set_password_ends_sessions(directory: AgentDirectory) -> None:
    agent = await directory.create_agent("anna", PASSWORD)
    session_id, _ = await directory.create_session(agent)
    await directory.set_password("anna", "another long password")
    assert await directory.authenticate("anna", PASSWORD) is None
    assert await directory.authenticate("anna", "another long password") is not None
    assert await directory.agent_for_session(session_id) is None
    with pytest.raises(InvalidAgentInput):
        await directory.set_password("anna", "short")


async def test_tokens(directory: AgentDirectory, clock) -> None:
    agent = await directory.create_agent("helpdesk", None)
    token = await directory.issue_token("helpdesk", label="zendesk")
    second = await directory.issue_token("helpdesk")
    assert token.startswith("hov_") and len(token) > 40 and token != second
    stored = await _rows(directory.tracker_store, tables.tokens)
    assert {row["token_hash"] for row in stored} == {hashlib.sha256(t.encode()).hexdigest() for t in (token, second)}
    assert all(token not in str(row) for row in stored)
    assert (await directory.agent_for_token(token)).id == agent.id
    assert await directory.agent_for_token(token + "x") is None
    assert await directory.agent_for_token("") is None
    infos = await directory.list_tokens("helpdesk")
    assert {info.label for info in infos} == {"zendesk", None}
    assert next(info for info in infos if info.label == "zendesk").last_used_at == clock.now
    await directory.disable("helpdesk")
    assert await directory.agent_for_token(token) is None
    await directory.enable("helpdesk")
    assert await directory.revoke_tokens("helpdesk", label="zendesk") == 1
    assert await directory.agent_for_token(token) is None
    assert await directory.agent_for_token(second) is not None
    assert await directory.revoke_token(second) is True
    assert await directory.revoke_token(second) is False
    assert await directory.agent_for_token(second) is None
    with pytest.raises(UnknownAgent):
        await directory.issue_token("nobody")


async def test_sessions_slide_with_use_and_end(directory: AgentDirectory, clock) -> None:
    directory.session_idle_seconds, directory.session_absolute_seconds = 3600, 4 * 3600
    agent = await directory.create_agent("anna", PASSWORD)
    session_id, csrf = await directory.create_session(agent)
    stored = (await _rows(directory.tracker_store, tables.sessions))[0]
    assert stored["session_hash"] == hashlib.sha256(session_id.encode()).hexdigest() and session_id not in str(stored)
    session = await directory.session(session_id)
    assert session.agent.username == "anna" and session.csrf_token == csrf
    assert session.expires_at == clock.now + 3600
    # used every 50 minutes, it lives on past the idle limit ...
    for _ in range(4):
        clock.advance(3000)
        assert await directory.agent_for_session(session_id) is not None
    # ... but never past the absolute limit from login
    clock.advance(3000)
    assert await directory.agent_for_session(session_id) is None
    assert await _rows(directory.tracker_store, tables.sessions) == []  # an expired session is deleted


async def test_an_idle_session_expires_and_logout_ends_one(directory: AgentDirectory, clock) -> None:
    agent = await directory.create_agent("anna", PASSWORD)
    idle, _ = await directory.create_session(agent)
    other, _ = await directory.create_session(agent)
    clock.advance(directory.session_idle_seconds + 1)
    assert await directory.session(idle) is None
    fresh, _ = await directory.create_session(agent)
    await directory.end_session(fresh)
    assert await directory.session(fresh) is None
    assert await directory.session("made-up") is None
    assert await directory.purge_expired_sessions() == 1  # `other`, expired and never looked at


async def test_disabling_ends_sessions_and_sets_offline(directory: AgentDirectory, clock) -> None:
    agent = await directory.create_agent("anna", PASSWORD)
    session_id, _ = await directory.create_session(agent)
    clock.advance(5)
    online = await directory.set_status("anna", "online")
    assert online.status == "online" and online.status_changed_at == clock.now and online.last_seen_at == clock.now
    clock.advance(5)
    assert (await directory.set_status("anna", "online")).status_changed_at == clock.now - 5  # no change, no new time
    disabled = await directory.disable("anna")
    assert disabled.disabled and disabled.status == "offline"
    assert await directory.agent_for_session(session_id) is None
    with pytest.raises(InvalidAgentInput, match="disabled"):
        await directory.set_status("anna", "online")
    with pytest.raises(InvalidAgentInput, match="unknown status"):
        await directory.set_status("anna", "busy")
    assert [a.username for a in await directory.list_agents(include_disabled=False)] == []


def test_roles_are_ordered() -> None:
    def agent(role: str) -> Agent:
        return Agent(1, "x", "x", role, (), (), (), 3, "online", False)

    assert has_role(agent("admin"), "supervisor") and has_role(agent("admin"), "agent")
    assert has_role(agent("supervisor"), "supervisor") and not has_role(agent("supervisor"), "admin")
    assert has_role(agent("agent"), "agent") and not has_role(agent("agent"), "supervisor")
    assert not has_role(agent("intruder"), "agent")
    with pytest.raises(ValueError):
        has_role(agent("admin"), "root")


async def test_two_creations_of_one_name_at_once_make_one_agent(directory: AgentDirectory) -> None:
    results = await asyncio.gather(*(directory.create_agent("anna", PASSWORD) for _ in range(3)),
                                   return_exceptions=True)
    assert sum(isinstance(result, Agent) for result in results) == 1
    assert all(isinstance(result, (Agent, AgentExists)) for result in results), results
    assert [a.username for a in await directory.list_agents()] == ["anna"]
