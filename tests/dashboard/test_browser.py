"""The dashboard in a real browser: headless Chromium from Debian's packages, driven by Selenium.

The app runs in this process on a free port with a fake feed and a fake history; a record
injected into the feed must show on the page within 2 s, and a click on a region must draw its
last 24 hours. ``UPDATE_DOCS_IMAGES=1`` also writes the screenshot to docs/images/dashboard.png.
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest
import uvicorn
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver import Chrome
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from starlette.applications import Starlette

from dashboard.app import create_app
from geo import REGION_NAMES
from results.rows import ResultRow
from settings import Settings
from tests.dashboard.fakes import FakeFeed, FakeHistory, record

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "images" / "dashboard.png"
PUSH_SECONDS = 2.0  # the bound: a change shows within 2 s


def current_hour() -> datetime:
    now = datetime.now(UTC)
    return now.replace(minute=0, second=0, microsecond=0)


# A plausible December hour: colder in the north-east, warm overseas.
MEANS = {name: round(2.0 + 1.7 * position, 2) for position, name in enumerate(REGION_NAMES)}


def daily_rows(region: str, newest: datetime, hours: int = 30) -> list[ResultRow]:
    """``hours`` of ``region`` up to ``newest``: a day's swing of 3 degrees around its mean."""
    return [ResultRow(hour, region, round(MEANS[region] + 3 * math.sin(2 * math.pi * hour.hour / 24), 2), 12, None, newest)
            for hour in (newest - timedelta(hours=back) for back in range(hours))]  # fmt: skip


class ServedApp:
    """An app on 127.0.0.1 and a free port, in a thread of this process (the end-to-end variant
    serves the default app, on the real topic and Cassandra, the same way)."""

    def __init__(self, app: Starlette) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/"
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> ServedApp:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


class Served(NamedTuple):
    url: str
    hour: datetime
    feed: FakeFeed


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """The app with a fake feed holding the current hour for every region, and a fake history."""
    hour = current_hour()
    feed = FakeFeed(*(record(hour, name, MEANS[name], 20 + position) for position, name in enumerate(REGION_NAMES)))
    history = FakeHistory([row for name in REGION_NAMES for row in daily_rows(name, hour)])
    with ServedApp(create_app(Settings(), feed, history)) as app:
        yield Served(app.url, hour, feed)


@pytest.fixture(scope="module")
def browser() -> Iterator[Chrome]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.fail("headless Chromium is missing: scripts/bootstrap.sh installs Debian's chromium and chromium-driver")
    options = Options()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1500,1060", "--lang=en"):  # fmt: skip
        options.add_argument(argument)
    chrome = Chrome(service=Service(executable_path=driver), options=options)  # the system's: no download
    yield chrome
    chrome.quit()


def mean_cell(browser: WebDriver, region: str) -> WebElement:
    return browser.find_element(By.CSS_SELECTOR, f'#results tbody tr[data-region="{region}"] td.mean')


def test_a_new_mean_shows_within_2_s_and_a_click_draws_24_hours(served: Served, browser: Chrome, tmp_path: Path) -> None:
    browser.get(served.url)
    # A push re-renders the table: a cell found an instant before may be gone when it is read.
    wait = WebDriverWait(browser, 15, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda page: len(page.find_elements(By.CSS_SELECTOR, "#results tbody tr")) == len(REGION_NAMES))
    wait.until(lambda page: len(page.find_elements(By.CSS_SELECTOR, "#map path.region")) == len(REGION_NAMES))
    assert mean_cell(browser, "Bretagne").text == f"{MEANS['Bretagne']:.2f}"
    assert browser.find_element(By.ID, "status").get_attribute("data-state") == "live"
    grey = browser.find_element(By.CSS_SELECTOR, '#map path[data-region="Corse"]').get_attribute("fill")
    assert grey != "#d4d4d4", "a region with a row must be coloured"

    injected = time.monotonic()
    served.feed.inject(record(served.hour, "Bretagne", 6.37, 99))
    WebDriverWait(browser, PUSH_SECONDS, poll_frequency=0.02, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda page: mean_cell(page, "Bretagne").text == "6.37")
    shown_after = time.monotonic() - injected
    assert shown_after < PUSH_SECONDS
    label = browser.find_element(By.CSS_SELECTOR, '#map tspan.mean[data-region="Bretagne"]')
    assert label.text == "6.4 °C"

    # A click on the region (its label lets clicks through to the shape under it) draws its hours.
    ActionChains(browser).move_to_element(label).click().perform()
    wait.until(lambda page: page.find_element(By.ID, "chart-panel").is_displayed())
    assert "Bretagne" in browser.find_element(By.ID, "chart-title").text
    wait.until(lambda page: len(page.find_elements(By.CSS_SELECTOR, "#chart circle.point")) == 24)
    newest = browser.find_elements(By.CSS_SELECTOR, "#chart circle.point")[-1]
    assert "6.37" in (newest.find_element(By.TAG_NAME, "title").get_attribute("textContent") or "")  # the live hour
    shape = browser.find_element(By.CSS_SELECTOR, '#map path[data-region="Bretagne"]')
    assert "selected" in (shape.get_attribute("class") or "")

    # A click on a table row does the same for its region.
    browser.find_element(By.CSS_SELECTOR, '#results tbody tr[data-region="Corse"]').click()
    wait.until(lambda page: "Corse" in page.find_element(By.ID, "chart-title").text)
    wait.until(lambda page: len(page.find_elements(By.CSS_SELECTOR, "#chart circle.point")) == 24)
    ActionChains(browser).move_to_element(label).click().perform()
    wait.until(lambda page: "Bretagne" in page.find_element(By.ID, "chart-title").text)
    wait.until(lambda page: len(page.find_elements(By.CSS_SELECTOR, "#chart circle.point")) == 24)

    shot = tmp_path / "dashboard.png"
    assert browser.save_screenshot(str(shot)) and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("UPDATE_DOCS_IMAGES") == "1":
        shutil.copyfile(shot, SCREENSHOT)
    print(f"new mean shown {shown_after * 1000:.0f} ms after the record")


def test_the_page_loads_nothing_from_elsewhere(served: Served, browser: Chrome) -> None:
    browser.get(served.url)
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(name.startswith(served.url) for name in resources)
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors
