"""The HTML digest in a real headless Chromium: no sideways scrolling on a phone, dark mode
applied, screenshots to look at.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
messages ending in NUL on file descriptors 3 and 4), so nothing beyond the standard library
and Debian's ``chromium`` package is needed. The command-line ``--window-size`` cannot go
below 500px in headless mode; ``Emulation.setDeviceMetricsOverride`` can.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import itertools
import json
import os
import select
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from digest.models import Article, Digest, Sentence, Story, Summary
from digest.render import render_digest

TIMEOUT = 60  # seconds, for starting Chromium and for every command sent to it

LONG_WORD = "Rheinschifffahrtsgesellschaftsvorstandsvorsitzendenstellvertreterwahlergebnis"
LONG_URL = "https://example.com/archive/2026/11/21/" + "a-long-slug-without-spaces-" * 5 + "end"

#: (width, colour scheme) pairs; 600 is the container's own width, 800 a desktop window.
VIEWS = [(375, "light"), (375, "dark"), (600, "light"), (600, "dark"), (800, "light")]

CARD_BACKGROUND = {"light": "rgb(255, 255, 255)", "dark": "rgb(24, 28, 35)"}


def chromium_binary() -> str | None:
    """The Chromium to test with: $CHROMIUM, else the first one on PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


class Chromium:
    """A headless Chromium spoken to over the DevTools pipe; one tab per ``open`` call."""

    def __init__(self, binary: str, profile: Path, log_path: Path):
        self.log_path = log_path
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()

        def on_fds_3_and_4():  # runs in the child: Chromium reads fd 3 and writes fd 4
            read_copy, write_copy = os.dup(commands_read), os.dup(replies_write)
            os.dup2(read_copy, 3)
            os.dup2(write_copy, 4)

        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--no-default-browser-check",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-extensions",
                    "--hide-scrollbars", "--mute-audio", f"--user-data-dir={profile}",
                    "--remote-debugging-pipe", "about:blank",
                ],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                pass_fds=(3, 4), preexec_fn=on_fds_3_and_4,
            )
        os.close(commands_read)
        os.close(replies_write)
        self._ids = itertools.count(1)
        self._buffer = b""
        self._events: list[dict] = []
        self.send("Browser.getVersion")  # proves the pipe works within TIMEOUT

    def send(self, method: str, session: str | None = None, **params) -> dict:
        """Send one command and return its result; raise on a protocol error or a timeout."""
        message = {"id": next(self._ids), "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        reply = self._receive(lambda m: m.get("id") == message["id"], method)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def wait_for(self, event: str, session: str) -> dict:
        """Wait for an event of ``session``, including one that already arrived."""
        return self._receive(lambda m: m.get("method") == event and m.get("sessionId") == session,
                             event, from_events=True)

    def _receive(self, wanted, what: str, from_events: bool = False) -> dict:
        if from_events:
            for event in self._events:
                if wanted(event):
                    self._events.remove(event)
                    return event
        while True:
            while b"\0" not in self._buffer:
                ready, _, _ = select.select([self._replies], [], [], TIMEOUT)
                chunk = os.read(self._replies, 1 << 20) if ready else b""
                if not chunk:
                    raise TimeoutError(f"no answer from Chromium to {what} within {TIMEOUT}s; "
                                       f"its log: {self.log_tail()}")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            message = json.loads(raw)
            if wanted(message):
                return message
            if "method" in message:
                self._events.append(message)

    def open(self, url: str, width: int, scheme: str) -> str:
        """Load ``url`` in a new tab ``width`` CSS pixels wide; return the tab's session id."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable", session)
        self.send("Emulation.setDeviceMetricsOverride", session,
                  width=width, height=800, deviceScaleFactor=1, mobile=False)
        self.send("Emulation.setEmulatedMedia", session,
                  features=[{"name": "prefers-color-scheme", "value": scheme}])
        self.send("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired", session)
        return session

    def evaluate(self, session: str, expression: str):
        """The JSON value of a JavaScript expression in the tab."""
        result = self.send("Runtime.evaluate", session, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"]["value"]

    def screenshot(self, session: str, width: int, path: Path) -> None:
        """Save the whole page, top to bottom, as a PNG."""
        height = self.evaluate(session, "document.documentElement.scrollHeight")
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        shot = self.send("Page.captureScreenshot", session, format="png",
                         captureBeyondViewport=True, clip=clip)
        path.write_bytes(base64.b64decode(shot["data"]))

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        os.close(self._commands)
        os.close(self._replies)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium not found: CI must install Debian's chromium package")
        pytest.skip("chromium not found (apt-get install -y chromium); CI runs these tests")
    folder = tmp_path_factory.mktemp("chromium")
    chromium = Chromium(binary, folder / "profile", folder / "chromium.log")
    yield chromium
    chromium.close()


def sample_digest() -> Digest:
    def story(n: int, title: str, summary: str, url: str | None = None, **fields) -> Story:
        article = Article(path=f"/inbox/sample-{n}.txt", title=title, body="word " * 700,
                          date=dt.date(2026, 11, 21), url=url, **fields)
        sentences = tuple(Sentence(text, i, 1.0) for i, text in enumerate(summary.split("|")))
        return Story(article=article, summary=Summary("lead", sentences))

    second_source = Article(path="/inbox/valley-post/ferry-timetable-update.md", title="Ferry",
                            body="x", date=dt.date(2026, 11, 20), source="Valley Post",
                            url=LONG_URL)
    first = story(1, "Ferry timetable changes for the winter season", "The morning ferry leaves "
                  "twenty minutes earlier from Monday.|The evening crossing is unchanged.",
                  url="https://example.com/ferry", source="Harbour Gazette", place="Bergen")
    first = dataclasses.replace(first, sources=(first.article, second_source))
    return Digest(
        date=dt.date(2026, 11, 21),
        title="Morning Brief",
        heading="Daily digest — Saturday, 21 November 2026",
        stories=(
            first,
            story(2, f"Committee elects a new {LONG_WORD}",
                  f"The post of {LONG_WORD} was filled on the first ballot.|Details are at "
                  f"{LONG_URL} for anyone curious.", url=LONG_URL, source="Valley Post"),
            story(3, "Library extends weekend opening hours",
                  "Saturday opening now runs until six.|Volunteers will staff the extra hours.",
                  source="Town Notes", place="Ås"),
            story(4, "Short item", "One sentence only.", source="Harbour Gazette"),
            # Listed by title only, as fit_for_email leaves the stories that do not fit.
            *(dataclasses.replace(s, title_only=True) for s in (
                story(5, "Bridge repainting finishes a week early", "Unused.",
                      url="https://example.com/bridge", source="Town Notes"),
                story(6, f"Another {LONG_WORD} at the end of the list", "Unused.", url=LONG_URL),
            )),
        ),
        generated_at=dt.datetime(2026, 11, 21, 7, 5),
        preheader="Winter ferry times, a very long job title and later library hours",
    )


@pytest.fixture(scope="module")
def digest_page(tmp_path_factory) -> Path:
    page = tmp_path_factory.mktemp("page") / "digest-2026-11-21.html"
    page.write_text(render_digest(sample_digest(), unsubscribe_url="https://example.com/u?t=1").html,
                    encoding="utf-8")
    return page


MEASURE = """JSON.stringify({
  scrollWidth: document.documentElement.scrollWidth,
  clientWidth: document.documentElement.clientWidth,
  widest: Math.max(...[...document.body.querySelectorAll("*")]
                      .map(element => element.getBoundingClientRect().right)),
  card: getComputedStyle(document.querySelector(".card")).backgroundColor,
  dark: matchMedia("(prefers-color-scheme: dark)").matches,
  preheaderHeight: document.querySelector(".preheader").getBoundingClientRect().height,
  wrapperPadding: getComputedStyle(document.querySelector(".wrapper-cell")).paddingLeft,
})"""


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize(("width", "scheme"), VIEWS, ids=[f"{w}px-{s}" for w, s in VIEWS])
def test_digest_fits_the_screen_without_sideways_scrolling(browser, digest_page, tmp_path,
                                                           width, scheme):
    session = browser.open(digest_page.as_uri(), width, scheme)
    page = json.loads(browser.evaluate(session, MEASURE))

    assert page["clientWidth"] == width  # the emulated width really applies
    assert page["scrollWidth"] <= width, page
    assert page["widest"] <= width, page
    assert page["dark"] is (scheme == "dark")
    assert page["card"] == CARD_BACKGROUND[scheme]  # the dark-mode @media block survived
    assert page["preheaderHeight"] == 0
    # The small-screen @media block: the card goes edge to edge below 620px.
    assert page["wrapperPadding"] == ("0px" if width < 620 else "12px")

    shot = tmp_path / f"digest-{width}-{scheme}.png"
    browser.screenshot(session, width, shot)
    assert shot.stat().st_size > 0
    assert png_size(shot)[0] == width


def test_the_overflow_check_catches_unwrapped_text(browser, digest_page, tmp_path):
    """Without the wrapping rules the long word overflows, so the check above is not vacuous."""
    html = digest_page.read_text(encoding="utf-8")
    unwrapped = tmp_path / "unwrapped.html"
    for rule in ("word-break:break-word", "overflow-wrap:anywhere"):
        html = html.replace(rule, "")
    unwrapped.write_text(html, encoding="utf-8")
    session = browser.open(unwrapped.as_uri(), 375, "light")
    assert json.loads(browser.evaluate(session, MEASURE))["scrollWidth"] > 375
