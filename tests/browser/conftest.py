"""Browser journeys: Debian's Chromium, driven by Playwright, against pytest-django's live server."""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

# Playwright's sync API keeps an asyncio loop running in the test thread, and Django refuses
# ORM calls from a thread with a running loop. The test's ORM calls are plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--lang=en-GB",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Generous for a cold live server, short enough that a missing element fails fast.
TIMEOUT_MS = 10_000


def _chromium_executable() -> str | None:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.access(path, os.X_OK) else None


@pytest.fixture(scope="session")
def browser():
    executable = _chromium_executable()
    if executable is None:
        message = (
            "Chromium is not installed (looked for `chromium` on PATH and /usr/bin/chromium); apt-get install chromium"
        )
        # CI must run the journeys: a missing browser there is a broken build, not a skip.
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh contexts (own cookies) at a chosen viewport; all closed after the test."""
    contexts = []
    violations: list[str] = []  # what Chromium reports against the Content-Security-Policy

    def open_page(viewport: dict = DESKTOP, **options):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport,
            locale="en-GB",
            timezone_id="Europe/London",
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        opened = context.new_page()
        opened.on(
            "console",
            lambda message: (
                violations.append(f"{opened.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return opened

    yield open_page
    for context in contexts:
        context.close()
    assert not violations, "The Content-Security-Policy was violated:\n" + "\n".join(violations)


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def screenshot():
    """Save a full-page PNG to docs/screenshots/<name>.png, the pages' visual record."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, full_page=True, animations="disabled")
        return path

    return save


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def assert_accessible():
    """axe-core (shipped by axe-playwright-python) on the page as it is now: no serious or
    critical violation of WCAG 2.2 A/AA."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page) -> None:
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
        found = [
            f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            for violation in results.response["violations"]
            if violation["impact"] in ("serious", "critical")
        ]
        assert not found, f"axe-core on {page.url}:\n" + "\n".join(found)

    return check
