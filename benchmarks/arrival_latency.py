"""Arrival latency of `digest run`: from a file's rename into seeds/ to the updated digest on disk.

Usage: python benchmarks/arrival_latency.py [--arrivals 50] [--burst 1000] [--settle 1.0]
                                            [--debounce 0.5] [--polling]

Starts the real daemon as a subprocess on a temp folder (the settings you give; defaults are
the shipped ones), then
  1. renames ``--arrivals`` articles into seeds/ one at a time, each once the previous one is in
     the digest, and prints p50/p95 of the time until the digest on disk lists it, against the
     target p95 <= settle + 1 s;
  2. renames ``--burst`` articles into seeds/ at once and prints how many rebuilds they caused
     and the time until the digest listed all of them.
Prints numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from textgen import article_text  # noqa: E402  (distinct prose: near-duplicates would be merged into one story)


def article(n: int) -> str:
    """A short, distinct article of our own words."""
    return article_text(f"Story {n:05d} about town")


def digest_file(out: Path) -> Path | None:
    files = sorted(out.glob("digest-*.txt"))
    return files[-1] if files else None


def wait_for(condition, timeout: float, poll: float = 0.005) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return False


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrivals", type=int, default=50, help="articles renamed in one at a time")
    parser.add_argument("--burst", type=int, default=1000, help="articles renamed in at once")
    parser.add_argument("--settle", type=float, default=1.0, help="[watch] settle_seconds")
    parser.add_argument("--debounce", type=float, default=0.5, help="[watch] debounce_seconds")
    parser.add_argument("--polling", action="store_true", help="[watch] polling = true (network file systems)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="digest-latency-") as tmp:
        folder = Path(tmp)
        seeds, stage, out = folder / "seeds", folder / "stage", folder / "out"
        seeds.mkdir()
        stage.mkdir()
        (folder / "digest.toml").write_text(
            f'[paths]\nseeds = "seeds"\nout = "out"\n[schedule]\ncron = ""\n'
            f"[watch]\nsettle_seconds = {args.settle}\ndebounce_seconds = {args.debounce}\n"
            f"polling = {'true' if args.polling else 'false'}\npoll_interval_seconds = 0.25\n",
            encoding="utf-8",
        )
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
        env.pop("DIGEST_CONFIG", None)
        log_path = folder / "run.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "digest", "--config", "digest.toml", "run"],
                                    cwd=folder, stderr=log, stdout=subprocess.DEVNULL, env=env)
        log_text = lambda: log_path.read_text(encoding="utf-8", errors="replace")  # noqa: E731
        try:
            if not wait_for(lambda: "watching seeds" in log_text(), 30):
                print("daemon did not start:\n" + log_text())
                return 1
            mode = "polling" if args.polling else "file-system events"
            print(f"digest run: {mode}, settle {args.settle:g} s, debounce {args.debounce:g} s")

            latencies: list[float] = []
            for n in range(args.arrivals):
                (stage / f"a{n:05d}.txt").write_text(article(n), encoding="utf-8")
                needle = f". Story {n:05d} about"
                start = time.perf_counter()
                os.replace(stage / f"a{n:05d}.txt", seeds / f"a{n:05d}.txt")

                def listed(needle: str = needle) -> bool:
                    path = digest_file(out)
                    try:
                        return path is not None and needle in path.read_text(encoding="utf-8")
                    except FileNotFoundError:
                        return False

                if not wait_for(listed, args.settle + 30):
                    print(f"arrival {n} never reached the digest")
                    return 1
                latencies.append(time.perf_counter() - start)
            target = args.settle + 1.0
            p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
            print(f"{len(latencies)} arrivals, rename -> digest on disk: p50 {p50:.3f} s, p95 {p95:.3f} s, "
                  f"max {max(latencies):.3f} s, mean {statistics.mean(latencies):.3f} s")
            print(f"  target p95 <= settle + 1 s = {target:.2f} s: p95 is {p95 / target:.0%} of target "
                  f"({'met' if p95 <= target else 'MISSED'})")

            rebuilds_before = len(re.findall(r"\(arrival\)", log_text()))
            for n in range(args.burst):
                (stage / f"b{n:05d}.txt").write_text(article(100_000 + n), encoding="utf-8")
            total = args.arrivals + args.burst
            start = time.perf_counter()
            for n in range(args.burst):
                os.replace(stage / f"b{n:05d}.txt", seeds / f"b{n:05d}.txt")
            renamed = time.perf_counter() - start
            if not wait_for(lambda: f": {total} stories" in log_text(), 300, poll=0.02):
                print("the burst never fully reached the digest")
                return 1
            elapsed = time.perf_counter() - start
            rebuilds = len(re.findall(r"\(arrival\)", log_text())) - rebuilds_before
            build_times = [float(t) for t in re.findall(rf": {total} stories, \d+ skipped, in ([\d.]+) s", log_text())]
            print(f"burst of {args.burst} files (renamed in {renamed:.3f} s): {rebuilds} rebuild(s); "
                  f"all {total} stories on disk after {elapsed:.2f} s "
                  f"(last rebuild {build_times[-1]:.2f} s of that)")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = "killed"
            print(f"daemon stopped on SIGTERM: exit {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
