"""Rebuild speed with the build cache: 10,000 articles, cold, unchanged, and with one file changed.

Usage: python benchmarks/rebuild_cached.py [--files N] [--eval DIR] [--jobs N] [--keep DIR]

Writes N article files into a temp folder (or --keep DIR): text made of runs of sentences from
the articles of ../shared/eval when that folder is present (three sources per file, so the files
are different stories), else of sentences generated here from a small vocabulary. One file in
twenty is an edited copy of another, so some stories have several versions to group. Then it
times, in this process (`digest.build.build`, as `digest build` runs it):

* a cold build (empty cache: every file read, grouped, summarized, composed and rendered);
* rebuilds with nothing changed (the target: under 1 s for 10,000 articles);
* a rebuild after one file changed (its summary and the grouping are redone);
* the same unchanged rebuild as a `digest build` command in a new process (imports included);

and prints where the time of an unchanged rebuild goes. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from digest import build as buildmod  # noqa: E402
from digest import ingest, output, render  # noqa: E402
from digest.config import Settings  # noqa: E402
from digest.store.cache import BuildCache  # noqa: E402

TARGET_SECONDS = 1.0
EVAL_SETS = ("cnndm_dev.jsonl", "bbc_dev.jsonl", "cnndm_see_dev.jsonl")
DAY = dt.date(2026, 11, 21)
NOW = dt.datetime(2026, 11, 21, 7, 5, tzinfo=dt.timezone.utc)

# Words for the synthetic fallback; any text works, the cache does not read it.
_VOCABULARY = """
council ferry harbour village school river budget plan vote bridge station market storm road
museum library hospital farmers league season mayor minister court report study engineers
students residents visitors workers tenants rail bus tram port airport festival parade garden
opened closed approved rejected announced delayed extended funded repaired inspected measured
new old local regional northern coastal quiet busy early late public private small large
""".split()


def eval_sentences(eval_dir: Path) -> list[list[str]]:
    """The sentences of every evaluation article, as digest splits them."""
    from digest.summarize import article_sentences

    pools = []
    for name in EVAL_SETS:
        with open(eval_dir / name, encoding="utf-8") as handle:
            for number, line in enumerate(handle):
                if line.strip():
                    article = ingest.parse_article(json.loads(line)["article"], f"{name}:{number}")
                    sentences = article_sentences(article)
                    if len(sentences) >= 6:
                        pools.append(sentences)
    return pools


def synthetic_sentences(rng: random.Random, articles: int = 3000) -> list[list[str]]:
    """Articles of made-up sentences: random words, 8 to 24 of them, capitalised and ended."""
    pools = []
    for _ in range(articles):
        sentences = []
        for _ in range(rng.randint(8, 20)):
            words = [rng.choice(_VOCABULARY) for _ in range(rng.randint(8, 24))]
            sentences.append(" ".join(words).capitalize() + ".")
        pools.append(sentences)
    return pools


def write_corpus(folder: Path, count: int, pools: list[list[str]], rng: random.Random) -> list[Path]:
    """``count`` article files of three two-sentence paragraphs, each from another source article.

    Every run of two sentences is used once before any is used again (the evaluation sets hold
    enough for about 10,000 files), so different files are different stories, as in a real
    seeds folder; one file in twenty is an edited copy of another, to be grouped with it.
    """
    runs = [sentences[j : j + 2] for sentences in pools for j in range(0, len(sentences) - 1, 2)]
    rng.shuffle(runs)
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    originals: list[list[str]] = []
    next_run = 0
    for i in range(count):
        if i >= 20 and i % 20 == 0:
            paragraphs = list(originals[rng.randrange(len(originals))])
            del paragraphs[rng.randrange(1, len(paragraphs))]  # a shorter version of the same story
        else:
            paragraphs = []
            for _ in range(3):
                if next_run == len(runs):
                    rng.shuffle(runs)
                    next_run = 0
                paragraphs.append(" ".join(runs[next_run]))
                next_run += 1
            originals.append(paragraphs)
        title = " ".join(paragraphs[0].split()[:8]).rstrip(".,;:!?\"'") or f"Story {i}"
        day = DAY - dt.timedelta(days=i % 7)
        text = f"---\ntitle: {title}\ndate: {day.isoformat()}\nsource: Wire {i % 13}\n---\n\n" + "\n\n".join(paragraphs)
        path = folder / f"{i // 1000:02d}" / f"article-{i:05d}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def timed_build(settings: Settings) -> tuple[float, float, buildmod.BuildResult]:
    """Wall-clock and CPU seconds for one ``build()``, and its result."""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = buildmod.build(settings, day=DAY, now=NOW)
    return time.perf_counter() - start, time.process_time() - start_cpu, result


def stage_times(settings: Settings) -> dict[str, float]:
    """Where an unchanged rebuild spends its time: the steps of ``build()``, one by one."""
    times: dict[str, float] = {}
    clock = time.perf_counter
    t = clock()
    paths = ingest.find_article_files(settings.paths.seeds, settings.input.patterns)
    times["list files"] = clock() - t
    t = clock()
    cache = BuildCache.open(settings.paths.out)
    times["open cache"] = clock() - t
    t = clock()
    articles, skipped = buildmod.read_inputs(paths, settings, cache)
    times["stat + cached articles"] = clock() - t
    t = clock()
    groups = buildmod._grouped(articles, cache)
    times["grouping (cached)"] = clock() - t
    heads = [g[0] for g in groups]
    t = clock()
    key = buildmod._compose_key(groups, settings, DAY, tuple(skipped))
    digest = buildmod._cached_digest(cache.result("composed", key), heads, groups, settings, DAY, NOW, tuple(skipped))
    times["composed digest (cached)"] = clock() - t
    cache.close()
    t = clock()
    rendered = render.fit_for_email(digest, max_html_bytes=settings.output.max_html_kb * 1000)[1]
    times["fit for email + render"] = clock() - t
    t = clock()
    output.write_digest(settings.paths.out, DAY, rendered)
    output.write_atomic(Path(settings.paths.out) / "index.html",
                        render.render_index(output.archive_entries(settings.paths.out), settings.digest.title))
    times["write files"] = clock() - t
    return times


def cli_build(settings: Settings, jobs: int) -> float:
    """Wall-clock seconds of `digest build` in a new process."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("DIGEST_CONFIG", None)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "digest", "build", "--date", DAY.isoformat(), "--seeds", settings.paths.seeds,
         "--out", settings.paths.out, "--jobs", str(jobs), "-q"],
        check=True, env=env, cwd=settings.paths.out, capture_output=True,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="article files to generate (default 10000)")
    parser.add_argument("--eval", type=Path, default=PROJECT_ROOT.parent / "shared" / "eval",
                        help="evaluation sets to take sentences from (default ../shared/eval)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for the cold build (default 1)")
    parser.add_argument("--keep", type=Path, help="write the corpus and output here and keep them")
    parser.add_argument("--seed", type=int, default=3, help="random seed of the corpus")
    args = parser.parse_args()

    # 10,000 stories never fit in one email: render.py says so at every build; not news here.
    logging.getLogger("digest.render").setLevel(logging.ERROR)
    rng = random.Random(args.seed)
    if all((args.eval / name).is_file() for name in EVAL_SETS):
        pools, origin = eval_sentences(args.eval), f"sentences of {args.eval}"
    else:
        pools, origin = synthetic_sentences(rng), "generated sentences (no evaluation data found)"
    root = args.keep or Path(tempfile.mkdtemp(prefix="digest-rebuild-"))
    try:
        seeds, out = root / "seeds", root / "out"
        shutil.rmtree(out, ignore_errors=True)
        paths = write_corpus(seeds, args.files, pools, rng)
        print(f"{len(paths):,} files from {origin}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        settings = Settings().override("paths", seeds=str(seeds), out=str(out)).override("output", jobs=args.jobs)

        cold, cold_cpu, result = timed_build(settings)
        print(f"cold build (--jobs {args.jobs}):        {cold:7.2f} s ({cold_cpu:.2f} s CPU here)  "
              f"{len(result.digest.stories):,} stories ({result.digest.omitted:,} by title only, "
              f"{result.digest.unlisted:,} left out of the email)")
        warm = [timed_build(settings) for _ in range(3)]
        best = min(warm, key=lambda w: w[0])
        hits = {k: v for k, v in best[2].cache.items() if k.endswith("_hit")}
        print(f"unchanged rebuild:              {best[0]:7.2f} s ({best[1]:.2f} s CPU)  best of 3 "
              f"({', '.join(f'{w[0]:.2f}' for w in warm)}); target < {TARGET_SECONDS:.0f} s; cache hits {hits}")
        for stage, seconds in stage_times(settings).items():
            print(f"  {stage:<28} {seconds * 1000:7.0f} ms")

        changed = paths[len(paths) // 2 + 1]  # an original story, not an edited copy
        with open(changed, "a", encoding="utf-8") as handle:
            handle.write("\nThe council said on Friday that the work would be finished within a month.\n")
        one, one_cpu, result = timed_build(settings)
        misses = {k: v for k, v in result.cache.items() if k.endswith("_miss") and v}
        print(f"rebuild, one file changed:      {one:7.2f} s ({one_cpu:.2f} s CPU)  misses {misses}")
        again, again_cpu, _ = timed_build(settings)
        print(f"unchanged rebuild after that:   {again:7.2f} s ({again_cpu:.2f} s CPU)")
        print(f"`digest build`, unchanged, as a new process: {cli_build(settings, 1):.2f} s (interpreter and imports included)")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
