"""`GET /console` and its files: served by `bot run` with the handover, with strict security headers."""

from __future__ import annotations

import re

from handover.console.pages import STATIC


async def test_the_page_and_its_files_carry_a_strict_policy(console_server) -> None:
    http = console_server.http
    response = await http.get("/console")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "connect-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    # Nothing inline for the policy to allow: scripts and styles come from files.
    assert not re.search(r"<script(?![^>]*\bsrc=)", response.text) and "<style" not in response.text
    assert " style=" not in response.text

    script = await http.get("/console/static/js/agent.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    again = await http.get("/console/static/js/agent.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304
    assert (await http.get("/console/static/css/console.css")).headers["content-type"].startswith("text/css")


async def test_unknown_files_and_paths_outside_the_folder_are_404(console_server) -> None:
    http = console_server.http
    for path in ("/console/static/nothing.js", "/console/static/../pages.py", "/console/static/%2e%2e/pages.py",
                 "/console/static/js/../../pages.py"):
        response = await http.get(path)
        assert response.status_code == 404, path
        assert "json" in response.headers["content-type"]


def test_no_data_is_ever_rendered_as_markup() -> None:
    """The console's scripts build the DOM through Preact only: no innerHTML, no HTML injection."""
    for path in (STATIC / "js").glob("*.js"):
        text = path.read_text(encoding="utf-8")
        for forbidden in ("innerHTML", "outerHTML", "dangerouslySetInnerHTML", "insertAdjacentHTML", "document.write"):
            assert forbidden not in text, f"{path.name} uses {forbidden}"
