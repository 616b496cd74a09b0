"""The browser tests: headless Chromium from Debian, driven by Selenium, against the test bed's NetBox.

They run in their own step (``scripts/test --only browser``), not with pytest's: they need
``chromium`` and ``chromium-driver`` (``scripts/setup`` installs them) and take a few minutes.
With ``HHNBS_SCREENSHOTS=<dir>`` each test also saves what it looked at there (the README's pictures).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent.parent
# The integration tests' helpers (the recorded VLAB, the UI part applied to it).
sys.path.insert(0, str(TESTS_DIR / "integration"))

CHROMIUM = os.environ.get("HHNBS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HHNBS_CHROMEDRIVER", "/usr/bin/chromedriver")
# This machine's network is closed and the profile is thrown away: nothing may phone home or wait for it.
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run", "--window-size=1400,1800")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real browser (scripts/test --only browser)")


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium under Selenium, with a fresh profile of its own."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        pytest.fail("%s not installed: run scripts/setup (Debian chromium and chromium-driver)"
                    % ", ".join(missing), pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="hhnbs-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + ("--user-data-dir=" + profile,):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshot():
    """``screenshot(name, element=None)``: saves the page (or one element) under $HHNBS_SCREENSHOTS, if set."""
    folder = os.environ.get("HHNBS_SCREENSHOTS")

    def take(name, driver_or_element):
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            driver_or_element.screenshot(str(Path(folder) / (name + ".png")))
    return take
