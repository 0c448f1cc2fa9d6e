"""The HTTP API's request bodies as pydantic models: they give the 400s and `/openapi.json`'s schemas.

One definition serves both, so the document cannot promise what the server refuses or the other
way round. Every string a request carries is also checked for what no store can keep (lone UTF-16
surrogates, NUL: PostgreSQL refuses both) and JSON's non-standard NaN/Infinity are refused while
decoding (`bot.server.errors.json_body`), so a malformed request is a 400 naming its field, never a 500.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from bot.server.errors import ApiError, bad_request, unstorable

__all__ = [
    "MAX_CONVERSATION_ID_LENGTH", "EventBody", "EventsBody", "ExecuteBody", "MessageBody", "NluTestData",
    "ParseBody", "ParseData", "TriggerIntentBody", "conversation_id", "events_from_body", "request_schemas",
    "validated",
]

# Longer ids do not fit the tracker store's key column (the REST channel caps senders the same way).
MAX_CONVERSATION_ID_LENGTH = 255

FiniteNumber = Annotated[float, Field(allow_inf_nan=False)]


class _Open(BaseModel):
    """Rasa's shapes carry keys of their own: known keys are checked, others pass through."""

    model_config = ConfigDict(extra="allow")


class Intent(_Open):
    """One intent of a parse: name and confidence."""

    name: str | None = None
    confidence: FiniteNumber | None = None


class Entity(_Open):
    """One entity of a parse (Rasa's keys; role, group, extractor ... pass through)."""

    entity: str
    value: Any = None
    start: int | None = None
    end: int | None = None
    confidence: FiniteNumber | None = None


class ParseData(_Open):
    """NLU output as a client may send it: `intent` as an object or just its name."""

    text: str | None = None
    intent: Intent | str | None = None
    entities: list[Entity] = Field(default_factory=list)
    intent_ranking: list[Intent] = Field(default_factory=list)


class EventBody(_Open):
    """One tracker event (Rasa's JSON); the fields events share are typed, the rest pass through."""

    event: str = Field(description="the event type: user, bot, action, slot, session_started, ...")
    timestamp: FiniteNumber | None = Field(default=None, description="Unix time in seconds")
    name: str | None = None
    text: str | None = None
    parse_data: ParseData | None = None
    input_channel: str | None = None
    message_id: str | None = None
    metadata: dict[str, Any] | None = None
    policy: str | None = None
    confidence: FiniteNumber | None = None


class ParseBody(BaseModel):
    """`POST /model/parse`."""

    text: str
    message_id: str | None = None


class MessageBody(BaseModel):
    """`POST /conversations/{id}/messages`: a user message to store without running actions."""

    text: str = Field(min_length=1)
    sender: Literal["user"] = Field(description="only user messages can be added")
    parse_data: ParseData | None = None


class TriggerIntentBody(BaseModel):
    """`POST /conversations/{id}/trigger_intent`."""

    name: str
    entities: dict[str, Any] | None = None


class ExecuteBody(BaseModel):
    """`POST /conversations/{id}/execute`."""

    name: str
    policy: str | None = None
    confidence: FiniteNumber | None = None


class EventsBody(RootModel[list[EventBody]]):
    """A conversation as a list of events: `PUT /conversations/{id}/tracker/events` (its new history;
    [] empties it) and `POST /model/predict`."""


class NluJsonEntity(_Open):
    """An annotated entity of Rasa's JSON training format: character offsets into the example's text."""

    entity: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    value: Any = None
    role: str | None = None
    group: str | None = None


class NluJsonExample(_Open):
    """One example of Rasa's JSON format (`common_examples`)."""

    text: str = Field(min_length=1)
    intent: str | None = None
    entities: list[NluJsonEntity] = Field(default_factory=list)


class NluJsonSynonym(_Open):
    """`{"value": "credit", "synonyms": ["credit card account"]}`."""

    value: str
    synonyms: list[str] = Field(default_factory=list)


class NluJsonRegex(_Open):
    """`{"name": "zipcode", "pattern": "[0-9]{5}"}`."""

    name: str
    pattern: str


class NluJsonLookup(_Open):
    """`{"name": "city", "elements": ["Berlin", "Paris"]}`."""

    name: str
    elements: list[str] = Field(default_factory=list)


class NluJsonData(_Open):
    """`rasa_nlu_data`: examples, plus synonyms, regexes and lookup tables as Rasa writes them."""

    common_examples: list[NluJsonExample] = Field(default_factory=list)
    entity_synonyms: list[NluJsonSynonym] = Field(default_factory=list)
    regex_features: list[NluJsonRegex] = Field(default_factory=list)
    lookup_tables: list[NluJsonLookup] = Field(default_factory=list)


class NluTestData(_Open):
    """`POST /model/test/intents` as JSON: Rasa's JSON training format (YAML bodies are read as NLU YAML)."""

    rasa_nlu_data: NluJsonData


Model = TypeVar("Model", bound=BaseModel)


def validated(model: type[Model], data: Any, where: str = "body", prefix: str = "") -> Model:
    """`data` as `model`; a 400 naming the first wrong field ("parse_data.entities[0].entity")."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        path = prefix + _path(first["loc"])
        field = f"The field '{path}'" if path and path != "body" else "The request body"
        raise bad_request(f"{field} is wrong: {first['msg']}.", path or "body", where) from None


def events_from_body(body: Any, *, allow_empty: bool = False) -> list[Any]:
    """`Event`s from a body of one event object or a list of them (non-empty unless `allow_empty`);
    a 400 naming the first bad one ("body[2].timestamp")."""
    from bot.shared.core.events import Event, InvalidEvent

    items = body if isinstance(body, list) else [body]
    if not items and not allow_empty:
        raise bad_request("The request body holds no events.", "body")
    events = []
    for index, item in enumerate(items):
        where = "body" if not isinstance(body, list) else f"body[{index}]"
        if not isinstance(item, dict):
            raise bad_request('An event must be an object with an "event" key.', where)
        validated(EventBody, item, prefix=f"{where}.")
        try:
            events.append(Event.from_dict(dict(item)))
        except InvalidEvent as error:
            raise ApiError(HTTPStatus.BAD_REQUEST, "BadRequest", error.message,
                           {"parameter": where, "in": "body", "hint": error.hint}) from None
        except (TypeError, ValueError) as error:  # a field of the wrong type
            raise bad_request(f"The event is malformed: {error}.", where) from None
    return events


def _path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def conversation_id(raw: str) -> str:
    """The conversation id of an API path: percent-decoded once, 1 to 255 characters, storable."""
    try:
        decoded = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise _bad_id("is not valid UTF-8 after percent-decoding") from None
    if not decoded or len(decoded) > MAX_CONVERSATION_ID_LENGTH:
        raise _bad_id(f"must have 1 to {MAX_CONVERSATION_ID_LENGTH} characters, not {len(decoded)}")
    if unstorable(decoded):
        raise _bad_id("holds a NUL character or an unpaired surrogate")
    return decoded


def _bad_id(problem: str) -> ApiError:
    return bad_request(f"The conversation id {problem}.", "conversation_id", "path")


def request_schemas() -> dict[str, Any]:
    """JSON schemas of the request bodies (and what they use), for `/openapi.json`'s components."""
    schemas: dict[str, Any] = {}
    for model in (ParseBody, MessageBody, TriggerIntentBody, ExecuteBody, EventBody, EventsBody, NluTestData):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas
