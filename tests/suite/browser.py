"""Pages loaded in headless Chromium (Debian's package, driven by Playwright): what ran, what
was requested, what the console said, what a reader sees, on a desk, a phone and paper."""

from __future__ import annotations

import io
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
PHONE_WIDTH = 420
A4_WIDTH = 703  # 210 mm less 2 x 12 mm margins, at 96 px per inch


def chromium_path() -> str:
    """The system's Chromium; a skip where there is none, a failure under CI
    (``SPM_REQUIRE_BROWSER``, which .ci/run sets)."""
    for name in CHROMIUM:
        found = shutil.which(name)
        if found:
            return found
    message = "no Chromium on this machine (apt-get install chromium)"
    if os.environ.get("SPM_REQUIRE_BROWSER"):
        pytest.fail(message + "; SPM_REQUIRE_BROWSER is set")
    pytest.skip(message)


@dataclass
class PageVisit:
    """What loading one page gave."""

    path: Path
    title: str
    text: str
    requests: list[str] = field(default_factory=list)  # URLs other than the page and data:
    console_errors: list[str] = field(default_factory=list)
    screenshot_ink: float = 0.0  # share of the first screen that is not background
    images: list[dict] = field(default_factory=list)  # {alt, width}
    tables: list[dict] = field(default_factory=list)  # {caption, headers, scoped}
    active: list[str] = field(default_factory=list)  # javascript: links, on* attributes, scripts
    phone_overflow: int = 0  # px the page is wider than a 420 px phone
    print_overflow: list[str] = field(default_factory=list)  # tables wider than an A4 page


INSPECT = """() => ({
  title: document.title,
  text: document.body.innerText,
  images: [...document.images].map(i => ({alt: i.getAttribute('alt'), width: i.naturalWidth})),
  tables: [...document.querySelectorAll('table')].map(t => ({
    caption: t.caption ? t.caption.textContent.trim() : '',
    headers: [...t.querySelectorAll('thead th')].map(h => h.textContent.trim()),
    scoped: [...t.querySelectorAll('thead th')].every(h => h.getAttribute('scope') === 'col'),
  })),
  active: [
    ...[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
        .filter(h => h.trim().toLowerCase().startsWith('javascript:')),
    ...[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
        .filter(a => a.name.toLowerCase().startsWith('on')).map(a => e.tagName + ' ' + a.name)),
    ...[...document.scripts].map(s => 'script: ' + s.textContent.slice(0, 80)),
  ],
})"""

OVERFLOW = """(width) => [...document.querySelectorAll('table')]
  .filter(t => t.getBoundingClientRect().right > width + 1)
  .map(t => (t.caption ? t.caption.textContent : '') + ' ' + t.getBoundingClientRect().right)"""


def _ink(png: bytes) -> float:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    histogram = image.histogram()
    return 1 - sum(histogram[245:]) / max(1, sum(histogram))


def visit_all(pages: list[Path]) -> list[PageVisit]:
    """Load each page in one headless Chromium (no sandbox: CI runs as root)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    visits = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            for path in pages:
                visits.append(_visit(browser, path))
        finally:
            browser.close()
    return visits


def _visit(browser, path: Path) -> PageVisit:
    url = path.resolve().as_uri()
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    requests, errors = [], []
    page.on(
        "request",
        lambda r: (
            requests.append(r.url) if r.url != url and not r.url.startswith("data:") else None
        ),
    )
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(100)  # an onload or onerror payload would have run by now
    found = page.evaluate(INSPECT)
    ink = _ink(page.screenshot())
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 900})
    phone = page.evaluate("() => document.documentElement.scrollWidth") - PHONE_WIDTH
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_WIDTH, "height": 1000})
    printed = page.evaluate(OVERFLOW, A4_WIDTH)
    context.close()
    return PageVisit(
        path=path,
        title=found["title"],
        text=found["text"],
        requests=requests,
        console_errors=errors,
        screenshot_ink=ink,
        images=found["images"],
        tables=found["tables"],
        active=found["active"],
        phone_overflow=phone,
        print_overflow=printed,
    )
