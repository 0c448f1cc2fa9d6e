"""One mapping from a bot message (a domain response, a custom action's message, an agent's reply)
to platform-neutral parts that every channel renders in its own wire format.

A bot message arrives in the REST channel's shape: `text`, `buttons`, `quick_replies`, `image`,
`attachment`, `elements`, `custom`, and optionally `metadata` (e.g. `{"agent": {...}}`). The
parts come in Rasa's order (its `OutputChannel.send_response`): quick replies, else buttons, else
text; then custom, image, attachment, elements. Each part is a small dict:

    {"type": "text", "text": ...}
    {"type": "buttons", "text": ..., "buttons": [{"title", "payload"} | {"title", "url"}]}
    {"type": "quick_replies", "text": ..., "buttons": [{"title", "payload"}]}
    {"type": "image", "url": ...}
    {"type": "file", "url": ..., "name": ...}         (an attachment that is a link to a file)
    {"type": "carousel", "elements": [{"title", "subtitle", "image_url", "buttons"}]}
    {"type": "custom", "custom": {...}}                (what the designer wrote, untouched)

Links and images are kept only with http(s) URLs: a `javascript:` URL in a response never
reaches a customer's browser. The web chat sends parts as they are; the socket.io channel and
the platform adapters map them to their platform's messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["message_parts", "safe_url"]

_MAX_BUTTONS = 20  # more is a mistake in a response, and no platform shows them


def message_parts(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The parts of one bot message, in Rasa's order; empty when nothing is renderable."""
    parts: list[dict[str, Any]] = []
    text = message.get("text") if isinstance(message.get("text"), str) else None
    quick_replies = _buttons(message.get("quick_replies"))
    buttons = _buttons(message.get("buttons"))
    if quick_replies:
        parts.append({"type": "quick_replies", "text": text or "", "buttons": quick_replies})
    elif buttons:
        parts.append({"type": "buttons", "text": text or "", "buttons": buttons})
    elif text:
        parts.append({"type": "text", "text": text})
    custom = message.get("custom")
    if isinstance(custom, Mapping) and custom:
        parts.append({"type": "custom", "custom": dict(custom)})
    image = safe_url(message.get("image"))
    if image:
        parts.append({"type": "image", "url": image})
    attachment = _attachment(message.get("attachment"))
    if attachment and attachment.get("url") != image:  # Rasa copies `image` into `attachment`
        parts.append(attachment)
    elements = _elements(message.get("elements"))
    if elements:
        parts.append({"type": "carousel", "elements": elements})
    return parts


def safe_url(value: Any) -> str | None:
    """`value` if it is an http(s) URL, else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    return url if url.lower().startswith(("https://", "http://")) else None


def _buttons(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        return []
    buttons: list[dict[str, str]] = []
    for button in value[:_MAX_BUTTONS]:
        if not isinstance(button, Mapping) or not isinstance(button.get("title"), str):
            continue
        url = safe_url(button.get("url"))
        payload = button.get("payload")
        if url is not None:
            buttons.append({"title": button["title"], "url": url})
        elif isinstance(payload, str):
            buttons.append({"title": button["title"], "payload": payload})
        else:  # Rasa sends the title when a button has no payload
            buttons.append({"title": button["title"], "payload": button["title"]})
    return buttons


def _attachment(value: Any) -> dict[str, Any] | None:
    """A file or image part from Rasa's attachment shapes: a URL, or {type, payload: {src|url}}."""
    if isinstance(value, str):
        url = safe_url(value)
        return {"type": "file", "url": url, "name": url.rsplit("/", 1)[-1]} if url else None
    if not isinstance(value, Mapping):
        return None
    payload = value.get("payload") if isinstance(value.get("payload"), Mapping) else value
    url = safe_url(payload.get("src")) or safe_url(payload.get("url"))
    if url is None:
        return None
    if value.get("type") == "image":
        return {"type": "image", "url": url}
    name = payload.get("name") if isinstance(payload.get("name"), str) else url.rsplit("/", 1)[-1]
    return {"type": "file", "url": url, "name": name}


def _elements(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    elements: list[dict[str, Any]] = []
    for element in value:
        if not isinstance(element, Mapping):
            continue
        item: dict[str, Any] = {"title": element.get("title") if isinstance(element.get("title"), str) else ""}
        if isinstance(element.get("subtitle"), str):
            item["subtitle"] = element["subtitle"]
        image = safe_url(element.get("image_url"))
        if image:
            item["image_url"] = image
        item["buttons"] = _buttons(element.get("buttons"))
        elements.append(item)
    return elements
