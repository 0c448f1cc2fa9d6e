"""A slow action that reports what it saw, so the test can check locking across processes.

Each run sleeps RECORD_ACTION_SECONDS (so messages of one conversation queue up on the lock),
appends one JSON line {pid, text, started, ended} to RECORD_ACTION_LOG, and answers with the
message text and how many user messages its tracker held: a process that read a stale tracker
from the shared store would give a wrong count.
"""

import asyncio
import json
import os
import time

from rasa_sdk import Action


class ActionRecord(Action):
    def name(self) -> str:
        return "action_record"

    async def run(self, dispatcher, tracker, domain):
        started = time.time()
        await asyncio.sleep(float(os.environ.get("RECORD_ACTION_SECONDS", "0.2")))
        text = tracker.latest_message.get("text")
        seen = sum(1 for event in tracker.events if event.get("event") == "user")
        log = os.environ.get("RECORD_ACTION_LOG")
        if log:
            line = json.dumps({"pid": os.getpid(), "text": text, "started": started, "ended": time.time()})
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        dispatcher.utter_message(text=f"got {text} | seen {seen}")
        return []
