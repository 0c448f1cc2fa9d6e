"""Rasa 3.6's testing routes: /model/test/intents, /model/test/stories, /model/predict, GET .../story."""

from __future__ import annotations

import pytest

from tests.server.conftest import TOKEN

AUTH = {"token": TOKEN}

NLU_TEST = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
- intent: goodbye
  examples: |
    - bye
"""

STORIES_TEST = """version: "3.1"
stories:
- story: greet
  steps:
  - user: |
      hello
    intent: greet
  - action: utter_greet
"""


async def test_test_intents_evaluates_yaml_and_json(app):
    _, response = await app.asgi_client.post("/model/test/intents", params=AUTH, content=NLU_TEST)
    assert response.status == 200, response.text
    evaluation = response.json["intent_evaluation"]
    assert set(evaluation) >= {"report", "accuracy", "f1_score", "precision", "predictions", "errors"}
    assert len(evaluation["predictions"]) == 3 and evaluation["report"]["greet"]["support"] == 2
    as_json = '{"rasa_nlu_data": {"common_examples": [{"text": "hello", "intent": "greet", "entities": []}]}}'
    _, response = await app.asgi_client.post("/model/test/intents", params=AUTH, content=as_json)
    assert response.status == 200 and response.json["intent_evaluation"]["predictions"][0]["intent"] == "greet"


async def test_test_stories_reports_like_bot_test(app):
    _, response = await app.asgi_client.post("/model/test/stories", params=AUTH, content=STORIES_TEST)
    assert response.status == 200, response.text
    assert response.json["conversation_accuracy"]["total"] == 1 and "accuracy" in response.json


async def test_predict_on_events_and_story_of_a_conversation(app):
    events = [{"event": "action", "name": "action_listen"},
              {"event": "user", "text": "hello", "parse_data": {"intent": {"name": "greet", "confidence": 1.0},
                                                                "entities": []}}]
    _, response = await app.asgi_client.post("/model/predict", params=AUTH, json=events)
    assert response.status == 200, response.text
    assert response.json["scores"][0]["action"] == "utter_greet"
    _, said = await app.asgi_client.post("/webhooks/rest/webhook", json={"sender": "anna", "message": "hello"})
    assert said.status == 200
    _, story = await app.asgi_client.get("/conversations/anna/story", params=AUTH)
    assert story.status == 200 and "- intent: greet" in story.text and "- action: utter_greet" in story.text


@pytest.mark.parametrize(("path", "body", "words"), [
    ("/model/test/intents", "", "empty"),
    ("/model/test/intents", "nlu:\n- intent: greet\n  examples: oops\n", "cannot be read"),
    ("/model/test/stories", "stories: 5\n", "cannot be read"),
    ("/model/predict", '{"event": "user"}', "JSON list of events"),
    ("/model/predict", '[{"event": "nonsense"}]', "Unknown event name 'nonsense'"),
    ("/model/predict", '[{"event": "user", "timestamp": "noon"}]', "'body[0].timestamp'"),
    ("/model/test/intents", '{"rasa_nlu_data": {"common_examples": [{"text": "hi", "entities": [{"entity": "x"}]}]}}',
     "'rasa_nlu_data.common_examples[0].entities[0].start'"),
    ("/model/test/intents", '{"rasa_nlu_data": []}', "'rasa_nlu_data'"),
])
async def test_bad_input_is_a_400_naming_the_problem(app, path, body, words):
    _, response = await app.asgi_client.post(path, params=AUTH, content=body)
    assert response.status == 400 and words in response.json["error"], response.json
    _, unauthenticated = await app.asgi_client.post(path, content=body)
    assert unauthenticated.status == 401


async def test_openapi_describes_the_testing_bodies(app):
    _, response = await app.asgi_client.get("/openapi.json")
    document = response.json
    paths, schemas = document["paths"], document["components"]["schemas"]
    intents = paths["/model/test/intents"]["post"]["requestBody"]["content"]
    assert intents["application/json"]["schema"] == {"$ref": "#/components/schemas/NluTestData"}
    assert "nlu:" in intents["application/x-yaml"]["schema"]["description"]
    assert paths["/model/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EventsBody"}
    assert schemas["EventsBody"]["items"] == {"$ref": "#/components/schemas/EventBody"}
    assert "start" in schemas["NluJsonEntity"]["required"]
    replace = paths["/conversations/{conversation_id}/tracker/events"]["put"]
    assert replace["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/EventsBody")
