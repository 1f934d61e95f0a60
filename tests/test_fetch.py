"""digest fetch: feeds and pages from a real HTTP server on 127.0.0.1 → .md files in the seeds folder.

The server (http.server in a thread) serves the fixture feeds and pages in
tests/fixtures/formats/web, answers conditional GETs with 304, has a slow endpoint for the
timeout and a few broken ones. Everything stays on the loopback address and stops by itself.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest import ingest
from digest.cli import cli
from digest.errors import FetchError
from digest.fetch import USER_AGENT, fetch, http_get, slugify
from digest.store import State
from digest.store.fetched import FetchedStore

WEB = Path(__file__).parent / "fixtures" / "formats" / "web"
NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.timezone.utc)
FEED_ETAG = '"gazette-v1"'
FEED_MODIFIED = "Sat, 21 Nov 2026 10:00:00 GMT"
#: The slow endpoint answers after this long; tests give up much sooner.
SLOW_SECONDS = 1.5


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.requests.append((self.path, dict(self.headers)))
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/slow":
            deadline = time.monotonic() + SLOW_SECONDS
            while time.monotonic() < deadline and not self.server.stopping.is_set():
                time.sleep(0.05)
            return self._send(200, b"<rss version='2.0'><channel><title>late</title></channel></rss>", "application/rss+xml")
        if self.path == "/huge":
            return self._send(200, b"<html><body><p>" + b"x" * 300_000 + b"</p></body></html>", "text/html")
        if self.path == "/data.json":
            return self._send(200, b'{"not": "a feed"}', "application/json")
        if self.path == "/broken.rss":
            return self._send(200, b"<?xml version='1.0'?><rss><channel><title>Broken</ti", "application/rss+xml")
        if self.path == "/feed.rss" and self.headers.get("If-None-Match") == FEED_ETAG:
            return self._send(304, b"", None)
        file = (WEB / self.path.lstrip("/")).resolve()
        if WEB not in file.parents or not file.is_file():
            return self._send(404, b"not found", "text/plain")
        body = file.read_bytes().replace(b"{{BASE}}", base.encode())
        kind = {".rss": "application/rss+xml", ".atom": "application/atom+xml"}.get(file.suffix, "text/html; charset=utf-8")
        extra = {"ETag": FEED_ETAG, "Last-Modified": FEED_MODIFIED} if self.path == "/feed.rss" else {}
        self._send(200, body, kind, extra)

    def _send(self, status: int, body: bytes, kind: str | None, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if kind:
            self.send_header("Content-Type", kind)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test); nothing to clean up


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[tuple[str, dict[str, str]]]
    stopping: threading.Event


@pytest.fixture
def server():
    """A feed server on 127.0.0.1 (random port) for one test; its base URL and request log."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.requests = []
    httpd.stopping = threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def run_fetch(urls, tmp_path: Path, **options):
    with State.for_out_dir(tmp_path / "out") as state:
        return fetch(urls, into=tmp_path / "seeds", state=state, now=NOW, timeout=options.pop("timeout", 5),
                     **options)


def front_matter(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    block = text.split("---\n")[1]
    return dict(line.split(": ", 1) for line in block.strip().splitlines())


# -- feeds → files ----------------------------------------------------------------------------------


def test_rss_items_are_saved_with_their_metadata_and_page_text(server, tmp_path):
    httpd, base = server
    report = run_fetch([f"{base}/feed.rss"], tmp_path)
    assert not report.errors
    names = sorted(p.name for p in (tmp_path / "seeds").iterdir())
    assert names == [
        "2026-11-19-choir-raises-money-for-a-new-church-roof.md",
        "2026-11-20-bakery-wins-regional-bread-award.md",
        "2026-11-21-quarry-road-to-close-for-resurfacing.md",
    ]
    bakery = tmp_path / "seeds" / "2026-11-20-bakery-wins-regional-bread-award.md"
    meta = front_matter(bakery)
    assert meta["title"] == "Bakery wins regional bread award"
    assert meta["date"] == "2026-11-20"
    assert meta["source"] == "Brackwater Gazette"
    assert meta["author"] == "Tomas Ferreira"
    assert meta["url"] == f"{base}/pages/bakery.html"
    assert meta["guid"] == "gazette-101"

    # The saved file reads back as the article, full page text and no page chrome.
    article = ingest.read_article(bakery)
    assert article.title == "Bakery wins regional bread award"
    assert article.date == dt.date(2026, 11, 20) and article.date_source == "front-matter"
    assert article.source == "Brackwater Gazette"
    assert article.url == f"{base}/pages/bakery.html"
    assert "dark rye loaf" in article.body and "second deck oven" in article.body
    for chrome in ("cookies", "Accept all", "Letters to the Editor", "Parish council", "Copyright", "gazetteTracker"):
        assert chrome not in bakery.read_text(encoding="utf-8")


def test_polite_requests_name_digest_and_revalidate_with_etag(server, tmp_path):
    httpd, base = server
    first = run_fetch([f"{base}/feed.rss"], tmp_path)
    assert len(first.saved) == 3
    feed_requests = [headers for path, headers in httpd.requests if path == "/feed.rss"]
    assert feed_requests[0]["User-Agent"] == USER_AGENT and USER_AGENT.startswith("digest/")
    assert "If-None-Match" not in feed_requests[0]

    with State.for_out_dir(tmp_path / "out") as state:
        assert FetchedStore(state).validators(f"{base}/feed.rss") == (FEED_ETAG, FEED_MODIFIED)

    second = run_fetch([f"{base}/feed.rss"], tmp_path)
    feed_requests = [headers for path, headers in httpd.requests if path == "/feed.rss"]
    assert feed_requests[1]["If-None-Match"] == FEED_ETAG
    assert feed_requests[1]["If-Modified-Since"] == FEED_MODIFIED
    assert second.not_modified == (f"{base}/feed.rss",)
    assert second.saved == () and not second.errors
    assert len(list((tmp_path / "seeds").iterdir())) == 3


def test_second_fetch_saves_nothing_twice(server, tmp_path):
    httpd, base = server
    run_fetch([f"{base}/feed.atom"], tmp_path, pages=False)
    again = run_fetch([f"{base}/feed.atom"], tmp_path, pages=False)  # no ETag on this feed: a full GET
    assert again.saved == () and again.already_fetched == 2
    assert len(list((tmp_path / "seeds").iterdir())) == 2
    # The same page reached through a feed and on its own is one item.
    run_fetch([f"{base}/feed.rss"], tmp_path)
    page_again = run_fetch([f"{base}/pages/quarry.html"], tmp_path)
    assert page_again.saved == () and page_again.already_fetched == 1


def test_atom_feed_text_is_used_without_pages(server, tmp_path):
    httpd, base = server
    report = run_fetch([f"{base}/feed.atom"], tmp_path, pages=False)
    assert not report.errors
    assert not any(path.startswith("/notes/") for path, _ in httpd.requests)  # no page downloads
    museum = ingest.read_article(tmp_path / "seeds" / "2026-11-21-lighthouse-keeper-s-cottage-opens-as-a-museum.md")
    assert museum.title == "Lighthouse keeper's cottage opens as a museum"
    assert museum.source == "Esker Island Notes"
    assert museum.author == "Esker Heritage Trust"
    assert "brass fog horn" in museum.body
    assert "trackVisit" not in museum.body
    ferry = ingest.read_article(tmp_path / "seeds" / "2026-11-20-ferry-timetable-changes-for-december.md")
    assert ferry.date == dt.date(2026, 11, 20)
    assert "twenty past seven" in ferry.body


def test_a_page_url_is_saved_as_one_item(server, tmp_path):
    httpd, base = server
    report = run_fetch([f"{base}/pages/choir.html"], tmp_path)
    assert [s.title for s in report.saved] == ["Choir raises money for a new church roof"]
    article = ingest.read_article(report.saved[0].path)
    assert article.date == dt.date(2026, 11, 19)
    assert article.source == "Brackwater Gazette"
    assert "twelve hours" in article.body


# -- failures are reported with the URL and the reason, and the rest goes on ------------------------


def test_slow_feed_times_out_and_the_others_are_fetched(server, tmp_path):
    httpd, base = server
    started = time.monotonic()
    report = run_fetch([f"{base}/slow", f"{base}/feed.atom"], tmp_path, timeout=0.3, pages=False)
    assert time.monotonic() - started < SLOW_SECONDS  # gave up on /slow without waiting for it
    assert [(e.url, e.reason) for e in report.errors] == [(f"{base}/slow", "timed out after 0.3 s")]
    assert len(report.saved) == 2


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing.rss", "HTTP 404 Not Found"),
        ("/huge", "too large (0.3 MB; limit 0.1 MB)"),
        ("/data.json", "neither a feed nor a web page (content type application/json)"),
        ("/broken.rss", "not a readable RSS/Atom feed"),
    ],
)
def test_bad_urls_are_reported(server, tmp_path, path, reason):
    httpd, base = server
    report = run_fetch([f"{base}{path}"], tmp_path, max_bytes=100_000)
    assert len(report.errors) == 1
    assert report.errors[0].url == f"{base}{path}"
    assert report.errors[0].reason.startswith(reason)
    assert report.saved == ()


def test_unreachable_and_non_http_urls(tmp_path):
    with pytest.raises(FetchError, match="only http:// and https://"):
        http_get("file:///etc/passwd", timeout=1, max_bytes=1000)
    # A port nothing listens on, on the loopback address.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match="cannot connect"):
        http_get(f"http://127.0.0.1:{port}/feed.rss", timeout=1, max_bytes=1000)


def test_item_whose_page_is_missing_falls_back_to_feed_text(server, tmp_path):
    httpd, base = server
    report = run_fetch([f"{base}/feed.atom"], tmp_path, pages=True)  # /notes/17 and /notes/18 are 404
    assert sorted(e.reason for e in report.errors) == ["HTTP 404 Not Found"] * 2
    assert len(report.saved) == 2  # saved from the text the feed carries
    assert all("fog horn" in s.path.read_text() or "safety checks" in s.path.read_text() for s in report.saved)


def test_slugify():
    assert slugify("Night ferry returns — at last!") == "night-ferry-returns-at-last"
    assert slugify("Café société") == "cafe-societe"
    assert slugify("¿¡!") == "item"
    assert len(slugify("word " * 40)) <= 60


# -- the command line and the build -----------------------------------------------------------------


def test_cli_fetch_then_build_shows_the_items(server, tmp_path):
    httpd, base = server
    seeds, out = tmp_path / "seeds", tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(cli, ["fetch", f"{base}/feed.rss", "--into", str(seeds), "--out", str(out), "--json"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["saved"]) == 3 and data["errors"] == []

    again = runner.invoke(cli, ["fetch", f"{base}/feed.rss", "--into", str(seeds), "--out", str(out)])
    assert again.exit_code == 0
    assert again.stdout.strip() == f"Fetched 0 new items into {seeds} (0 already fetched, 1 feed unchanged)"

    # --max-items and --timeout override [feeds] on the command line (they used to fail on [feeds] urls).
    one = runner.invoke(cli, ["fetch", f"{base}/feed.rss", "--into", str(tmp_path / "other"),
                              "--out", str(tmp_path / "out2"), "--max-items", "1", "--timeout", "5", "--no-pages"])
    assert one.exit_code == 0, one.output
    assert one.stdout.startswith(f"Fetched 1 new item into {tmp_path / 'other'} (")
    assert len(list((tmp_path / "other").iterdir())) == 1

    built = runner.invoke(cli, ["build", "--seeds", str(seeds), "--out", str(out), "--date", "2026-11-21"])
    assert built.exit_code == 0, built.output
    text = (out / "digest-2026-11-21.txt").read_text(encoding="utf-8")
    for title in ("Bakery wins regional bread award", "Quarry road to close for resurfacing",
                  "Choir raises money for a new church roof"):
        assert title in text
    assert "Brackwater Gazette" in text
    assert f"{base}/pages/bakery.html" in text
    assert "cookies" not in text and "Copyright" not in text


def test_cli_fetch_errors_exit_3_with_one_line_each(server, tmp_path):
    httpd, base = server
    result = CliRunner().invoke(cli, ["fetch", f"{base}/missing.rss", f"{base}/feed.atom", "--no-pages",
                                      "--into", str(tmp_path / "seeds"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert errors == [f"digest: error: fetch failed: {base}/missing.rss: HTTP 404 Not Found"]
    assert "Fetched 2 new items" in result.stdout


def test_cli_fetch_uses_configured_feeds(server, tmp_path):
    httpd, base = server
    config = tmp_path / "digest.toml"
    config.write_text(
        f'[paths]\nseeds = "{tmp_path / "seeds"}"\nout = "{tmp_path / "out"}"\n'
        f'[feeds]\nurls = ["{base}/feed.atom"]\npages = false\ntimeout = 2\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "fetch", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert len(list((tmp_path / "seeds").glob("*.md"))) == 2


def test_cli_fetch_without_urls_is_a_usage_error(tmp_path):
    config = tmp_path / "digest.toml"
    config.write_text("[feeds]\nurls = []\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "fetch"])
    assert result.exit_code == 2
    assert "no URLs" in result.stderr


def test_config_rejects_non_http_feed_urls(tmp_path):
    config = tmp_path / "digest.toml"
    config.write_text('[feeds]\nurls = ["ftp://example.org/feed"]\ntimeout = 0\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "fetch"])
    assert result.exit_code == 2
    assert "feeds.urls: expected http:// or https:// URLs" in result.stderr
    assert "feeds.timeout: must be greater than 0" in result.stderr
