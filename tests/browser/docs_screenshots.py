"""Screenshots of the dashboard for the README: the overview and the hot wallet's
balance page at 1280 x 800, in Debian's Chromium, once the demo has shown its first
movements.

Usage: docs_screenshots.py DASHBOARD_URL OUTPUT_DIR (scripts/dashboard-screenshots runs
the README's demo for it)."""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from conftest import CHROMIUM, CHROMIUM_FLAGS, DESKTOP, open_page, wait_until

SHOTS = [
    ("dashboard-overview.png", "/"),
    ("dashboard-balance.png", "/balances/1"),
]


def main(url: str, output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="dashboard-docs-"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS, viewport=DESKTOP, locale="en-GB", timezone_id="UTC")
        page = context.new_page()
        for name, path in SHOTS:
            open_page(page, url.rstrip("/") + path)
            if path.startswith("/balances/"):
                # The chart drawn, with the recorded history and the forecast ahead.
                wait_until(page, "() => (document.querySelector('#balance-chart').data || [])"
                                 ".some(trace => trace.name === 'Forecast')", timeout=60)
            page.screenshot(path=str(output / name), full_page=True)
            print(output / name)
        context.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], Path(sys.argv[2]))
