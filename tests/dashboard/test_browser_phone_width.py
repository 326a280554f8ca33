"""Every operator page at phone width (390 px): the header wraps onto its bar, and nothing is
wider than the screen (wide tables scroll inside their own box). Screenshots of each page at
1440 and 390 px are saved in the test's temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import TIMEOUT_MS, chromium
from tests.support.dashboard import LiveCollector, Seeded, browser_session_cookie

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def pages(seeded: Seeded) -> dict[str, str]:
    return {
        "overview": "/",
        "faults": "/faults",
        "fault": f"/faults/{seeded.fault_id}",
        "incidents": "/incidents",
        "incident": f"/incidents/{seeded.incident_id}",
        "host": "/hosts/pbx1",
        "customer": "/customers/acme",
        "maintenance": "/maintenance",
        "mail": "/mail",
        "oncall": "/oncall",
        "settings": "/settings",
    }


async def test_every_operator_page_fits_a_phone(
    live: LiveCollector, seeded: Seeded, tmp_path: Path
) -> None:
    cookie = await browser_session_cookie(live)
    too_wide = {}
    async with chromium() as browser:
        for width, height in ((1440, 900), (390, 844)):
            context = await browser.new_context(viewport={"width": width, "height": height})
            await context.add_cookies([cookie])  # type: ignore[list-item]
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            for name, path in pages(seeded).items():
                response = await page.goto(live.base_url + path)
                assert response is not None and response.status == 200, path
                await page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
                wide = await page.evaluate("document.documentElement.scrollWidth")
                if wide > width:
                    too_wide[f"{name}@{width}"] = wide
                logout = await page.locator("#logout").bounding_box()
                assert logout is not None and logout["x"] + logout["width"] <= width, name
            await context.close()
    assert too_wide == {}
