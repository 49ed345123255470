"""Browser journeys: Debian's Chromium, driven by Playwright, against pytest-django's live server."""

import json
import os
import shutil
import warnings
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
    """Open pages in fresh contexts (own cookies) at a chosen viewport; all closed after the test.

    Every page they display is checked with axe-core (`AxeOnEveryPage`): a serious or critical
    violation on any of them fails the test, as the Content-Security-Policy's do."""
    contexts = []
    violations: list[str] = []  # what Chromium reports against the Content-Security-Policy
    axe_on_every_page = AxeOnEveryPage()

    def open_page(viewport: dict = DESKTOP, **options):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport,
            locale="en-GB",
            timezone_id="Europe/London",
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        axe_on_every_page.watch(context)
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
        axe_on_every_page.finish(context)
        context.close()
    if axe_on_every_page.unchecked:
        warnings.warn("axe-core could not check:\n" + "\n".join(axe_on_every_page.unchecked), stacklevel=1)
    assert not violations, "The Content-Security-Policy was violated:\n" + "\n".join(violations)
    assert not axe_on_every_page.found, "axe-core found serious or critical violations:\n" + "\n".join(
        axe_on_every_page.found
    )


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
# A page's structure, checked as strictly as WCAG's serious failures although axe-core files
# these as best practice of moderate impact: a main landmark, all content inside landmarks,
# and a level-one heading (page_has_one_h1 adds "only one").
AXE_STRUCTURE_RULES = ["landmark-one-main", "region", "page-has-heading-one"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": AXE_TAGS},
    "rules": {rule: {"enabled": True} for rule in AXE_STRUCTURE_RULES},
    "resultTypes": ["violations"],
}
# Run in the page after axe-core: a violation in axe-core's shape when there is more than one h1.
ONE_H1_SCRIPT = """() => {
  const count = document.querySelectorAll("h1").length;
  return count > 1 ? [{id: "page-has-one-h1", impact: "serious", nodes: [{target: ["h1"]}],
                       help: `A page should have one level-one heading, not ${count}`}] : [];
}"""


def axe_violations(page) -> list[str]:
    """axe-core (shipped by axe-playwright-python) on the page as it is now: its serious or
    critical violations of WCAG 2.2 A/AA, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    # Not while the check of the page's load (AxeOnEveryPage) is still running: one axe at a time.
    page.wait_for_function("() => window.__axeLoadChecked !== false")
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"] + page.evaluate(ONE_H1_SCRIPT)
    return _serious(violations)


def _serious(violations: list[dict]) -> list[str]:
    """The serious and critical ones of axe-core's violations, and any of the structure
    rules', one line each."""
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        + "".join(f"\n    {' '.join(node.get('failureSummary', '').split())}" for node in violation["nodes"][:1])
        for violation in violations
        if violation["impact"] in ("serious", "critical") or violation["id"] in AXE_STRUCTURE_RULES
    ]


class AxeOnEveryPage:
    """axe-core on every HTML page a browser context displays, however the test got there (a
    goto, a link, a form, a script, a redirect).

    Playwright cannot evaluate in a page from a "load" listener without racing the test's next
    step, nor from a route handler while a navigation waits. So axe runs inside the page: an init
    script (CDP injects it, so the Content-Security-Policy does not apply) tells us when an HTML
    document starts, runs axe-core on its "load" event and sends the result through a binding.
    A route handler holds the page's next main-frame navigation until that result is in, so axe
    always sees the page while it is on screen; the last page is waited for at the end. (A slow
    check may see what the test does next on the same page, a menu it opens, say: that too is a
    state of the page a person can reach.)

    A page that is not checked within AXE_WAIT_MS (one that never finishes loading, say) lets
    its navigation go and is named in a warning: the test goes on and fails, if it does, for its
    own reason rather than for a held click."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.unchecked: list[str] = []
        self._checking: dict = {}  # page -> the URL of the document axe-core has yet to report on
        self._held: dict = {}  # page -> its navigation requests waiting for that report

    def watch(self, context) -> None:
        from axe_playwright_python.base import AXE_SCRIPT

        context.expose_binding("__axeReport", self._report)
        runner = AXE_ON_LOAD_SCRIPT % {"options": json.dumps(AXE_OPTIONS), "one_h1": ONE_H1_SCRIPT, "wait": AXE_WAIT_MS}
        context.add_init_script(AXE_SCRIPT + "\n" + runner)
        context.route("**/*", self._before_request)

    def finish(self, context) -> None:
        """Wait for the pages still being checked, then let nothing in flight fail the test."""
        for page in context.pages:
            if page in self._checking and not page.is_closed():
                page.wait_for_function("() => window.__axeLoadChecked === true || window.__axeTimedOut === true")
        context.unroute_all(behavior="ignoreErrors")

    def _report(self, source: dict, stage: str, url: str, detail=None) -> None:
        page = source["page"]
        if stage == "start":
            self._checking[page] = url
            return
        if stage == "done":
            self.found.extend(f"{url}: {line}" for line in _serious(detail))
        elif self._checking.get(page) == url:  # "timeout"; a late "done" still counts
            self.unchecked.append(f"{url} (document {detail} after {AXE_WAIT_MS} ms)")
        self._checking.pop(page, None)
        for route in self._held.pop(page, []):
            route.fallback()

    def _before_request(self, route) -> None:
        request = route.request
        if request.is_navigation_request() and request.frame.parent_frame is None:
            page = request.frame.page
            if page in self._checking:
                self._held.setdefault(page, []).append(route)
                return
        route.fallback()


# How long a page's check may hold the test's next navigation: under TIMEOUT_MS, so a page that
# cannot be checked shows up as such and not as a click that timed out.
AXE_WAIT_MS = 8_000
# Runs at the start of every document, after axe-core's own source.
AXE_ON_LOAD_SCRIPT = """
if (window.top === window && /^https?:$/.test(location.protocol) && document.contentType === "text/html") {
  window.__axeLoadChecked = false;
  window.__axeReport("start", location.href);
  const watchdog = setTimeout(() => {
    window.__axeTimedOut = true;
    window.__axeReport("timeout", location.href, document.readyState);
  }, %(wait)d);
  window.addEventListener("load", () => {
    axe.run(document, %(options)s)
      .then(
        (results) => results.violations.concat((%(one_h1)s)()),
        (error) => [{id: "axe-core-error", impact: "critical", help: String(error), nodes: []}],
      )
      .then((violations) => { clearTimeout(watchdog); return window.__axeReport("done", location.href, violations); })
      .then(() => { window.__axeLoadChecked = true; });
  });
}
"""


@pytest.fixture
def assert_accessible():
    """Check the page as it is now (after opening a menu, say): no serious or critical
    violation of WCAG 2.2 A/AA. Every page is checked on load anyway (`new_page`)."""

    def check(page) -> None:
        found = axe_violations(page)
        assert not found, f"axe-core on {page.url}:\n" + "\n".join(found)

    return check
