"""Headless Debian Chromium driven by Playwright (async API), for browser tests.

Playwright's own browser downloads are not used: the system's ``/usr/bin/chromium`` is, so the
tests need no network. A missing browser or Playwright fails under CI (the image must have
them) and skips elsewhere.

    async with chromium() as browser:
        page = await browser.new_page()
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
#: No sandbox: tests may run as root in a container, where Chromium's sandbox cannot start.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: Milliseconds Playwright waits for a page or element before failing the test.
TIMEOUT_MS = 20_000
#: Where browser tests keep the screenshots people look at: test-artifacts/ of the checkout.
SCREENSHOTS = Path(
    os.environ.get("FAULTDESK_SCREENSHOTS", Path(__file__).parents[2] / "test-artifacts" / "portal")
)


def screenshot_folder() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def require_chromium() -> None:
    """Fail under CI=true, skip otherwise, unless Chromium and Playwright are installed."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install playwright)")
    if not missing:
        return
    message = "browser tests need " + " and ".join(missing)
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium for the duration of the block; closed afterwards, whatever happens."""
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS, timeout=TIMEOUT_MS
        )
        try:
            yield browser
        finally:
            await browser.close()
