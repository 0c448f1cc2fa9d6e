"""The handover as a server extension: its blueprints, and what starts and stops with `bot run`.

`bot run` finds this module when the handover package is installed (the engine runs without it)
and passes `HandoverExtension` to `create_app`. At start it plugs the handover into the loaded
agent's processor; the handover needs the SQL tracker store (SQLite embedded, PostgreSQL).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sanic import Blueprint, Sanic

from bot.server.state import server_state
from handover.admin_api import admin_blueprint
from handover.agents import AgentDirectory
from handover.api import handover_blueprint
from handover.assist import AgentAssist
from handover.assist_api import assist_blueprint
from handover.config import DEFAULT_CONFIG_FILE, HandoverConfig, TeamConfig, load_handover_config
from handover.config_api import config_blueprint
from handover.config_store import sync_config
from handover.console import console_blueprint
from handover.delivery import Outbox
from handover.invitation_gate import InvitationGate
from handover.live_config import LiveConfig
from handover.login_limits import LoginRateLimiter
from handover.openapi import SECURITY_SCHEMES, handover_paths
from handover.plugin import HandoverPlugin, HandoverSettings
from handover.realtime import create_broadcaster
from handover.runtime import HandoverRuntime
from handover.service import HandoverService
from handover.supervisor_api import supervisor_blueprint
from handover.websocket import websocket_blueprint

__all__ = ["HandoverExtension"]

logger = logging.getLogger(__name__)


class HandoverExtension:
    """Adds `/handover/...` and runs routing, the outbox and the live feed in this process."""

    name = "handover"

    def __init__(self, project_dir: str | Path = ".", settings: HandoverSettings | None = None) -> None:
        self.project_dir = Path(project_dir)
        self.settings = settings
        self._runtime: HandoverRuntime | None = None
        # Per process and kept across restarts of the handover: failed logins are counted here.
        self.login_limiter = LoginRateLimiter()

    def blueprints(self) -> list[Blueprint]:
        return [handover_blueprint(), admin_blueprint(), assist_blueprint(), supervisor_blueprint(),
                config_blueprint(), websocket_blueprint(), console_blueprint()]

    def openapi(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return handover_paths(), SECURITY_SCHEMES

    async def start(self, app: Sanic, agent: Any) -> None:
        processor = agent.processor
        tracker_store = processor.tracker_store
        if not hasattr(tracker_store, "run_in_transaction"):
            logger.warning("the human handover needs the SQL tracker store (SQLite or PostgreSQL); it is off")
            return
        config = load_handover_config(self.project_dir / DEFAULT_CONFIG_FILE)
        language = getattr(getattr(getattr(agent, "model", None), "metadata", None), "language", None)
        settings = self.settings or HandoverSettings.from_config(config, default_language=language)
        service = HandoverService(tracker_store, broadcaster=create_broadcaster(processor.lock_store))
        plugin = HandoverPlugin(service, settings)
        outputs = getattr(app.ctx.bot, "outputs", None)
        outbox = Outbox(service, outputs)
        await plugin.start()
        # Teams, SLA policies and canned replies as the file says (what the API edited stays as edited),
        # then the plugin routes and times with what the tables hold, following later edits.
        await sync_config(tracker_store, self._seed(config))
        live_config = LiveConfig(plugin)
        await live_config.start()
        outbox.start()
        processor.plugin = plugin

        def served_processor() -> Any:  # read at each use: `PUT /model` replaces the served model
            return server_state(app).require_agent().processor

        assist = AgentAssist(service, served_processor)
        plugin.customer_message_listeners.append(assist.on_customer_message)
        self._runtime = HandoverRuntime(plugin, AgentDirectory(tracker_store, clock=service.clock), outbox,
                                        processor.domain, self.login_limiter, processor=served_processor,
                                        assist=assist)
        self._runtime.live_config = live_config
        app.ctx.handover = self._runtime
        webchat = outputs.get("webchat") if outputs is not None else None
        if webchat is not None and hasattr(webchat, "invitation_gate"):  # queues and hours gate invitations
            webchat.invitation_gate = InvitationGate(plugin)

    def _seed(self, config: HandoverConfig) -> HandoverConfig:
        """What seeds the tables: handover.yml, or the teams and policies of settings given in code (tests)."""
        if self.settings is None or not self.settings.teams:
            return config
        teams = {name: team for name, team in self.settings.teams.items() if isinstance(team, TeamConfig)}
        # The file's canned replies stay (their teams are checked when the file is read).
        return config.model_copy(update={"teams": teams, "sla_policies": dict(self.settings.sla_policies)})

    async def stop(self, app: Sanic) -> None:
        outputs = getattr(app.ctx.bot, "outputs", None)
        webchat = outputs.get("webchat") if outputs is not None else None
        if webchat is not None and isinstance(getattr(webchat, "invitation_gate", None), InvitationGate):
            webchat.invitation_gate = None
        if self._runtime is not None:
            await self._runtime.live_config.stop()
            await self._runtime.outbox.stop()
            if self._runtime.assist is not None:
                await self._runtime.assist.close()
            await self._runtime.plugin.stop()
            self._runtime = None
