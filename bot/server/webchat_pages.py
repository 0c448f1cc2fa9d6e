"""The widget's script, the `/chat` demo page and the designer's response preview.

    GET /webchat/widget.js     the widget (gzip when the browser accepts it)
    GET /webchat/responses     every domain response as the widget's parts (for the preview)
    GET /chat                  a page embedding the widget with the snippet a shop pastes
"""

from __future__ import annotations

import gzip
import hashlib
import html
from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from bot.channels.rendering import message_parts
from bot.server.state import server_state

__all__ = ["WIDGET_PATH", "pages_blueprint", "widget_bytes"]

STATIC = Path(__file__).parent / "static"
WIDGET_PATH = STATIC / "webchat" / "widget.js"


def widget_bytes() -> tuple[bytes, bytes]:
    """The widget script as served: plain and gzip-compressed."""
    plain = WIDGET_PATH.read_bytes()
    return plain, gzip.compress(plain, compresslevel=9, mtime=0)


def pages_blueprint() -> Blueprint:
    """Routes for one app; the script is read once, when the blueprint is built."""
    plain, packed = widget_bytes()
    etag = '"' + hashlib.sha256(plain).hexdigest()[:16] + '"'
    page_template = (STATIC / "webchat" / "chat.html").read_text(encoding="utf-8")
    blueprint = Blueprint("webchat_pages")

    @blueprint.get("/webchat/widget.js")
    async def widget(request: Request) -> HTTPResponse:
        headers = {"Cache-Control": "public, max-age=300", "ETag": etag, "Vary": "Accept-Encoding",
                   "Access-Control-Allow-Origin": "*"}
        if request.headers.get("if-none-match") == etag:
            return raw(b"", status=304, headers=headers)
        if "gzip" in (request.headers.get("accept-encoding") or ""):
            headers["Content-Encoding"] = "gzip"
            return raw(packed, content_type="application/javascript; charset=utf-8", headers=headers)
        return raw(plain, content_type="application/javascript; charset=utf-8", headers=headers)

    @blueprint.get("/webchat/responses")
    async def responses(request: Request) -> HTTPResponse:
        """Each domain response's variations as parts, so a designer sees them rendered."""
        domain = server_state(request.app).require_agent().processor.domain
        preview = {}
        for name in sorted(domain.responses):
            preview[name] = [{"channel": variation.get("channel"), "condition": variation.get("condition"),
                              "parts": message_parts(variation)} for variation in domain.responses[name]]
        return json(preview)

    @blueprint.get("/chat")
    async def chat(request: Request) -> HTTPResponse:
        """The demo page: the widget embedded exactly as a shop would, and the snippet to copy."""
        base = f"{request.scheme}://{request.host}"
        snippet = (f'<script src="{base}/webchat/widget.js" data-title="Kundenservice" '
                   f'data-language="auto" data-position="right" data-color="#1f6feb" defer></script>')
        page = page_template.replace("{{snippet_html}}", html.escape(snippet)).replace("{{snippet}}", snippet)
        return raw(page.encode(), content_type="text/html; charset=utf-8")

    return blueprint
