"""Fixtures for the dashboard's browser tests: Debian's Chromium driven by Playwright
(never `playwright install`), a fresh profile per run, and every console error or
uncaught exception of a page failing its test.

scripts/dashboard-check starts the local cluster with the demo treasury and the server,
then runs these with DASHBOARD_URL, RPC_URL, TREASURY, DEMO_DIR, SCREENSHOTS and the
server's operator tokens (API_TOKEN may write, API_READ_TOKEN only read) set. The
session's browser holds the write token (an operator who entered it); a test about the
token itself opens a browser that holds none."""

import http.server
import os
import re
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from chain import Rpc
from operator_api import OperatorApi

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise pytest.UsageError(f"{name} is not set: run the browser tests through scripts/dashboard-check")
    return value


@pytest.fixture(scope="session")
def base_url() -> str:
    return env("DASHBOARD_URL").rstrip("/")


@pytest.fixture(scope="session")
def rpc() -> Rpc:
    return Rpc(env("RPC_URL"))


@pytest.fixture(scope="session")
def treasury() -> str:
    return env("TREASURY")


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    return Path(env("DEMO_DIR"))


@pytest.fixture(scope="session")
def screenshots() -> Path:
    path = Path(env("SCREENSHOTS"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def api(base_url) -> OperatorApi:
    """The operator API with the write token, as a script would call it."""
    return OperatorApi(base_url, env("API_TOKEN"))


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as playwright:
        yield playwright


def launch(playwright):
    """Chromium with a fresh profile: nothing stored from an earlier page."""
    return playwright.chromium.launch_persistent_context(
        tempfile.mkdtemp(prefix="dashboard-chromium-"), executable_path=CHROMIUM, headless=True,
        args=CHROMIUM_FLAGS, viewport=DESKTOP, locale="en-GB", timezone_id="UTC",
    )


@pytest.fixture(scope="session")
def browser(playwright):
    """The session's browser: every page opens with the write token in its session
    storage, where the token dialog puts it."""
    context = launch(playwright)
    context.add_init_script(f"sessionStorage.setItem('smart-treasury.token', {env('API_TOKEN')!r});")
    yield context
    context.close()


class Console:
    """Every console error and uncaught exception a page raised; a test names the ones it
    provokes on purpose (a refused request the page shows next to its field)."""

    def __init__(self, page: Page):
        self.errors: list[str] = []
        self.expected: list[re.Pattern] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def expect(self, pattern: str) -> None:
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [error for error in self.errors if not any(pattern.search(error) for pattern in self.expected)]


def watched_page(context):
    """A page of `context` and its console; fails the test on an unexpected console error."""
    page = context.new_page()
    console = Console(page)
    page.set_default_timeout(15_000)
    yield console, page
    page.close()
    assert console.unexpected() == [], f"console errors: {console.unexpected()}"


@pytest.fixture
def console_and_page(browser):
    yield from watched_page(browser)


@pytest.fixture
def tokenless(playwright):
    """(console, page) in a browser of its own that holds no API token: an operator
    opening the dashboard for the first time."""
    context = launch(playwright)
    yield from watched_page(context)
    context.close()


@pytest.fixture
def page(console_and_page) -> Page:
    return console_and_page[1]


@pytest.fixture
def console(console_and_page) -> Console:
    return console_and_page[0]


@pytest.fixture
def keeper_paused():
    """Stops the keeper process (SIGSTOP) for the test: nothing cranks on its own, as
    when a keeper is down; it resumes (SIGCONT) afterwards."""
    pid = int(env("KEEPER_PID"))
    os.kill(pid, signal.SIGSTOP)
    # A crank sent just before the stop still lands: let it, and the page read it.
    time.sleep(2.0)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


class Receiver:
    """A webhook receiver on loopback: answers `status` (204, or a failure a test sets)
    and keeps what it got with the status it answered."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes, int]] = []
        self.status = 204
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.status
                receiver.requests.append((dict(self.headers), body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver(api):
    """A receiver; at the end its destinations are removed, so no later test's events
    pile up as dead letters for an address nothing listens on."""
    receiver = Receiver()
    yield receiver
    for destination in api.get("/hook/destination"):
        if destination["url"] == receiver.url:
            api.call("DELETE", f"/hook/destination/{destination['id']}")
    receiver.close()


def wait_until(page: Page, expression: str, arg=None, timeout: float = 15.0):
    """Polls `expression` (a JavaScript function of `arg`) until it returns something
    truthy. Playwright's wait_for_function compiles its predicate in the page, which the
    dashboard's Content-Security-Policy rightly forbids; evaluate goes through the
    browser's debugging protocol instead."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {expression}")
        time.sleep(0.05)


def wait_for_chain(read, check, timeout: float = 15.0):
    """Polls `read()` (a read over JSON-RPC) until `check` holds for what it returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"the chain never showed it; last read: {value}")
        time.sleep(0.2)


def open_page(page: Page, url: str) -> Page:
    """Loads a dashboard page and waits until its script has shown data from the API."""
    page.goto(url)
    wait_until(page, "() => document.querySelector('#live')?.textContent.startsWith('Live')")
    return page


def top_up_from_the_page(page: Page, base_url: str, amount: str) -> dict:
    """A manual top-up of managed balance 1 through its page's form; the API's answer,
    which must say the change was applied."""
    open_page(page, base_url + "/balances/1")
    field = page.locator("#adjust-form").get_by_label("Amount", exact=True)
    field.fill(amount)
    with page.expect_response(lambda response: "/api/v1/balance-adjustment" in response.url) as answer:
        field.press("Enter")
    result = answer.value.json()
    assert result["status"] == "APPLIED", result
    return result


def assert_operation_log_fits(page) -> None:
    """At a laptop's width every column of the operation log, the transaction's
    included, is in view: a long source name wraps instead of widening the table."""
    hidden = page.evaluate("""() => {
        const wrap = document.querySelector('#oplog-table').closest('.table-wrap');
        return wrap.scrollWidth - wrap.clientWidth;
    }""")
    assert hidden <= 0, f"the operation log hides {hidden}px to the right"
