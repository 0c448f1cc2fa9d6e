# Custom actions, written with the Rasa SDK (https://rasa.com/docs/rasa/custom-actions).
# Uncomment, list the action's name under `actions:` in domain.yml and use it in a story or rule.
#
# from typing import Any
#
# from rasa_sdk import Action, Tracker
# from rasa_sdk.executor import CollectingDispatcher
#
#
# class ActionHelloWorld(Action):
#     def name(self) -> str:
#         return "action_hello_world"
#
#     def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
#         dispatcher.utter_message(text="Hello World!")
#         return []
