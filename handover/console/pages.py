"""`GET /console` and its static files, with a strict Content-Security-Policy.

    GET /console                  the agent's view (static/agent.html)
    GET /console/static/<path>    scripts, styles and the vendored ES modules (Preact, htm)

Nothing is built: the page loads ES modules straight from `static/`. The page holds no data; it
talks to the `/handover/` API and its WebSocket, which check every request themselves. Another
page (the supervisor's view) is one more entry in `CONSOLE_PAGES`, sharing the same static files.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from bot.server.errors import ApiError

__all__ = ["CONSOLE_PAGES", "STATIC", "console_blueprint", "security_headers"]

STATIC = Path(__file__).parent / "static"
# URL path -> the HTML file under static/ that it serves.
# /console/supervisor is the same page opening the supervisor's view (static/js/supervisor.js).
CONSOLE_PAGES: dict[str, str] = {"/console": "agent.html", "/console/supervisor": "agent.html"}

# No inline script or style, nothing from other origins; the WebSocket counts as 'self' (CSP level 3).
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; media-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'")
_TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".css": "text/css", ".html": "text/html",
          ".svg": "image/svg+xml", ".txt": "text/plain", ".json": "application/json"}


def security_headers() -> dict[str, str]:
    """Headers on every console response: the CSP, no sniffing, no referrer to others, no framing."""
    return {"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin"}


def _static_files() -> dict[str, tuple[bytes, str, str]]:
    """Every file under static/ by its relative path: (content, content type, ETag); read once."""
    files: dict[str, tuple[bytes, str, str]] = {}
    for path in sorted(STATIC.rglob("*")):
        if not path.is_file() or path.suffix == ".map":
            continue
        content = path.read_bytes()
        kind = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith(("json", "xml")):
            kind += "; charset=utf-8"
        etag = '"' + hashlib.sha256(content).hexdigest()[:16] + '"'
        files[path.relative_to(STATIC).as_posix()] = (content, kind, etag)
    return files


def console_blueprint() -> Blueprint:
    """The console's routes for one app (Sanic binds a blueprint to one app)."""
    files = _static_files()
    bp = Blueprint("handover_console")

    def respond(request: Request, name: str, cache: str) -> HTTPResponse:
        found = files.get(name)
        if found is None:
            raise ApiError(404, "NotFound", f"The console has no file '{name}'.")
        content, kind, etag = found
        headers = {**security_headers(), "Cache-Control": cache, "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return raw(b"", status=304, headers=headers)
        return raw(content, content_type=kind, headers=headers)

    for url, page in CONSOLE_PAGES.items():
        async def serve_page(request: Request, _page: str = page) -> HTTPResponse:
            return respond(request, _page, "no-cache")

        bp.add_route(serve_page, url, methods=["GET"], name=url.strip("/").replace("/", "_"), strict_slashes=False)

    @bp.get("/console/static/<name:path>")
    async def static(request: Request, name: str) -> HTTPResponse:
        # no-cache: the browser revalidates by ETag, so a new release is picked up at once.
        return respond(request, name, "no-cache")

    return bp
