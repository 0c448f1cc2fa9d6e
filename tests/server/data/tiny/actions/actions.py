"""A deliberately slow action: lets the server test stop the server while a message is in flight."""

import asyncio
import os

from rasa_sdk import Action


class ActionSlow(Action):
    def name(self) -> str:
        return "action_slow"

    async def run(self, dispatcher, tracker, domain):
        await asyncio.sleep(float(os.environ.get("SLOW_ACTION_SECONDS", "1.5")))
        dispatcher.utter_message(text="done waiting")
        return []
