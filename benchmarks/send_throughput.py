"""Sending throughput: 10,000 subscribers to a local aiosmtpd sink; messages/s and peak memory.

Usage: python benchmarks/send_throughput.py [--subscribers N] [--seeds DIR] [--per-connection N]

The sink runs in its own process on 127.0.0.1 (so it does not share our interpreter lock) and
only counts what it receives. Measured in the same run, as a peer: plain smtplib sending one
pre-built message N times over one connection — the floor any sender pays for the SMTP dialogue
with this sink. Prints numbers only (target: >= 200 messages/s with digest.deliver.send_digest).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import resource
import smtplib
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

DAY = dt.date(2026, 11, 21)
NOW = dt.datetime(2026, 11, 21, 7, 0, tzinfo=dt.timezone.utc)


def _sink(port_out, stop, counter) -> None:
    """Run an aiosmtpd server that counts messages, until ``stop`` is set."""
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    class FreePort(Controller):
        def _trigger_server(self):
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    controller = FreePort(Count(), hostname="127.0.0.1", port=0, server_hostname="localhost")
    controller.start()
    port_out.send(controller.port)
    stop.wait(600)
    controller.stop()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000, help="How many subscribers (default 10,000).")
    parser.add_argument("--seeds", default=str(PROJECT_ROOT / "seeds"), help="Seeds folder for the digest.")
    parser.add_argument("--per-connection", type=int, default=100, help="smtp.max_per_connection (0 = one connection).")
    args = parser.parse_args()

    from digest import subscribers as subs
    from digest.config import settings_from_mapping
    from digest.deliver import send_digest
    from digest.store import State
    from digest.transport import SmtpTransport

    receive_port, send_port = multiprocessing.Pipe(duplex=False)
    stop = multiprocessing.Event()
    counter = multiprocessing.Value("q", 0)
    sink = multiprocessing.Process(target=_sink, args=(send_port, stop, counter), daemon=True)
    sink.start()
    try:
        if not receive_port.poll(30):
            print("the SMTP sink did not start", file=sys.stderr)
            return 1
        port = receive_port.recv()
        with tempfile.TemporaryDirectory() as tmp:
            settings = settings_from_mapping({
                "paths": {"seeds": args.seeds, "out": str(Path(tmp) / "out")},
                "email": {"transport": "smtp", "from": "Bench <bench@example.org>",
                          "public_url": "https://digest.example.org"},
                "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "max_per_second": 0,
                         "max_per_connection": args.per_connection, "timeout": 30.0},
            })
            csv_path = Path(tmp) / "list.csv"
            csv_path.write_text("email,name\n" + "".join(
                f"reader{i:05d}@example.org,Reader {i}\n" for i in range(args.subscribers)), encoding="utf-8")
            start = time.perf_counter()
            with State.for_out_dir(settings.paths.out) as state:
                report = subs.import_csv(state, csv_path, now=NOW)
            imported = time.perf_counter() - start
            print(f"import: {len(report.added):,} subscribers in {imported:.2f} s "
                  f"({len(report.added) / imported:,.0f}/s, email-validator syntax checks)")

            transport = SmtpTransport(settings)
            start = time.perf_counter()
            result = send_digest(settings, DAY, now=NOW, transport=transport)
            elapsed = time.perf_counter() - start
            sent = len(result.sent)
            html_kb = (Path(settings.paths.out) / "digest-2026-11-21.html").stat().st_size / 1000
            print(f"send_digest: {sent:,} sent, {len(result.failed)} failed, in {elapsed:.2f} s "
                  f"(includes building the digest, {html_kb:.1f} KB of HTML)")
            print(f"  {sent / elapsed:,.0f} messages/s over {transport.connections} connections "
                  f"({args.per_connection or 'unlimited'} per connection), target >= 200")
            print(f"  sink counted {counter.value:,} messages; peak RSS {peak_rss_mb():.0f} MB")

            # Peer: the same number of pre-built messages through bare smtplib on one connection.
            payload = _one_message(settings)
            start = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as conn:
                for i in range(args.subscribers):
                    conn.sendmail("bench@example.org", [f"reader{i:05d}@example.org"], payload)
            raw = time.perf_counter() - start
            print(f"peer, bare smtplib on one connection: {args.subscribers / raw:,.0f} messages/s; "
                  f"send_digest reaches {(sent / elapsed) / (args.subscribers / raw):.0%} of it")
    finally:
        stop.set()
        sink.join(10)
    return 0


def _one_message(settings) -> bytes:
    """One realistic message of this digest, as sent to one subscriber."""
    from digest.deliver import day_digest
    from digest.message import MessageFactory, make_letter
    from digest.models import Subscriber

    _digest, letter = make_letter(day_digest(settings, DAY, now=NOW), settings)
    factory = MessageFactory(letter, settings, now=NOW)
    return factory.build(Subscriber("reader00000@example.org"), token="abc.def", message_id="<m@example.org>")


if __name__ == "__main__":
    sys.exit(main())
