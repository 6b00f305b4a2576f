"""Browser tests: Debian's chromium, headless, driven by Selenium through its own chromedriver.
Each test fails on any script error in the browser's console; pages are saved as screenshots
at a desk's size and a phone's (TEST_SCREENSHOT_DIR, default var/screenshots)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from deploy.stack import Stack

DESK = (1366, 768)
PHONE = (390, 844)
# what the console logs when the API answers 4xx on purpose (another unit's item, a refusal
# shown to the user) or the network is down on purpose: HTTP answers, not script errors
EXPECTED = (
    "Failed to load resource: the server responded with a status of 4",
    "net::ERR_INTERNET_DISCONNECTED",
)


class Browser:
    def __init__(self, driver: webdriver.Chrome, base_url: str, shots: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.shots = shots

    def open(self, hash_path: str) -> None:
        """The page at `hash_path`, loaded afresh (as someone who follows a link to it)."""
        url = f"{self.base_url}/#{hash_path}"
        if self.driver.current_url == url:
            self.driver.refresh()
        else:
            self.driver.get(url)

    def script_errors(self) -> list[str]:
        return [
            e["message"]
            for e in self.driver.get_log("browser")
            if e["level"] == "SEVERE" and not any(x in e["message"] for x in EXPECTED)
        ]

    def screenshot(self, name: str) -> None:
        """The page at both sizes, the whole page's height (a list scrolls)."""
        for label, (width, height) in (("desk", DESK), ("phone", PHONE)):
            self.driver.set_window_size(width, height)
            full = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(width, max(height, min(full, 4000)))
            self.driver.save_screenshot(str(self.shots / f"{name}-{label}.png"))
        self.driver.set_window_size(*DESK)


def chrome(width: int, height: int) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(options=options, service=service)


@pytest.fixture(scope="session")
def shots() -> Path:
    path = Path(os.environ.get("TEST_SCREENSHOT_DIR", "var/screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser_factory(stack: Stack, shots: Path) -> Iterator:
    """Browsers of their own (one per user, as on different machines); each test ends with no
    script error in any of them."""
    opened: list[Browser] = []

    def make(size: tuple[int, int] = DESK) -> Browser:
        browser = Browser(chrome(*size), stack.gateway_url, shots)
        opened.append(browser)
        return browser

    try:
        yield make
        errors = [m for b in opened for m in b.script_errors()]
        assert errors == [], errors
    finally:
        for b in opened:
            b.driver.quit()
