"""The command line: every command documented, every user mistake a one-line error and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import ROOT, run_digest, shared_path
from digest import __version__
from digest.cli import cli

GOOD = "Title: Night buses return\n\nNight buses return to the city on Friday after a two-year gap. " \
       "The service runs every half hour. Fares match the day rate. Drivers voted for the new rota.\n"


def invoke(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def one_error_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def _all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


def test_every_command_and_option_has_help():
    result = invoke("--help")
    assert result.exit_code == 0
    for path, command in _all_commands(cli):
        assert command.help, f"{' '.join(path)} has no help text"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{' '.join(path)} {param.opts} has no help"
        result = invoke(*path, "--help")
        assert result.exit_code == 0, path
        assert "Usage:" in result.output


def test_version():
    assert invoke("--version").output.startswith("digest, version ")


def test_version_says_which_summarizer_core_runs():
    from digest import setchoice

    expected = "summarizer core in C" if setchoice.native is not None else "summarizer core in pure Python"
    assert expected in run_digest("--version").stdout.decode()
    assert "pure Python: DIGEST_PURE_PYTHON is set" in run_digest("--version", env={"DIGEST_PURE_PYTHON": "1"}).stdout.decode()
    assert expected in run_digest("--version", env={"DIGEST_PURE_PYTHON": "0"}).stdout.decode()  # 0: not set


def test_version_says_so_where_the_extension_is_not_built():
    # Where the C extension was never built (no compiler), both the summarizer and --version
    # must see it: sys.modules holding None makes its import fail as a missing module does.
    script = (
        "import sys\n"
        "sys.modules['digest._setchoice'] = None\n"
        "from digest import setchoice\n"
        "print('native:', setchoice.native)\n"
        "sys.argv = ['digest', '--version']\n"
        "from digest.__main__ import main\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DIGEST_PURE_PYTHON", None)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "native: None", f"digest, version {__version__} (summarizer core in pure Python: the C extension is not built)"]


# -- summarize ------------------------------------------------------------------------------------


def test_summarize_text(tmp_path):
    path = tmp_path / "bus.txt"
    path.write_text(GOOD, encoding="utf-8")
    result = invoke("summarize", "-n", "2", str(path))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "Night buses return"
    assert lines[2].startswith("  Night buses return to the city")
    assert len([ln for ln in lines if ln.startswith("  ")]) == 2


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_summarize_lede_gives_the_digest_entry_not_an_abridgement(jobs):
    # Three sentences of this 9-sentence story is an abridgement by default; --lede asks for the
    # story's opening, which is what the digest shows for it (tests/golden).
    story = str(ROOT / "tests" / "fixtures" / "golden_seeds" / "2026-11-21-solar-ferry.txt")
    other = str(ROOT / "tests" / "fixtures" / "golden_seeds" / "2026-11-21-city-bikes.txt")

    def indexes(*extra: str) -> list[int]:
        result = invoke("summarize", "--format", "json", "-n", "3", "--jobs", jobs, *extra, story, other)
        assert result.exit_code == 0, result.output
        return [s["index"] for s in json.loads(result.output.splitlines()[0])["sentences"]]

    assert indexes("--lede") == [0, 1, 2]
    assert indexes() != [0, 1, 2] and len(indexes()) == 3
    golden = (ROOT / "tests" / "golden" / "digest-2026-11-21.txt").read_text(encoding="utf-8")
    assert "The 38-metre vessel replaced" in golden  # sentence 2 of the story: its entry is the lede


def test_summarize_json_and_stdin():
    result = invoke("summarize", "--format", "json", "-n", "1", "-", input=GOOD.encode())
    assert result.exit_code == 0
    record = json.loads(result.output)
    assert record["path"] == "-"
    assert record["title"] == "Night buses return"
    assert record["date"] is None and record["date_source"] == "none"
    assert set(record) >= {"path", "title", "date", "date_source", "source", "sentences"}
    assert record["sentences"][0]["index"] == 0
    assert isinstance(record["sentences"][0]["score"], float)


def test_summarize_markdown_and_words(tmp_path):
    path = tmp_path / "bus.txt"
    path.write_text(GOOD, encoding="utf-8")
    result = invoke("summarize", "--format", "markdown", "--words", "12", "--algorithm", "lead", str(path))
    assert result.exit_code == 0
    assert result.output.startswith("## Night buses return\n")
    bullets = [ln[2:] for ln in result.output.splitlines() if ln.startswith("- ")]
    assert sum(len(b.split()) for b in bullets) <= 12


def test_summarize_user_seeds():
    paths = [str(shared_path("seeds", n)) for n in ("000_286a19878007b156.txt", "004_171397d32f588afb.txt")]
    result = invoke("summarize", "--format", "json", *paths)
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["date_source"] for r in records] == ["prefix", "mtime"]
    assert records[1]["source"] == "CNN Business"
    for record in records:
        assert len(record["sentences"]) == 3
        for s in record["sentences"]:
            assert "CNN Business" not in s["text"] and "contributed reporting" not in s["text"]


@pytest.mark.parametrize(
    "content, message",
    [(None, "no such file"), (b"", "empty file"), (b"\x00\x01\x02binary\x00", "binary file")],
)
def test_summarize_bad_input_is_one_line(tmp_path, content, message):
    path = tmp_path / "input.txt"
    if content is not None:
        path.write_bytes(content)
    done = run_digest("summarize", str(path))
    assert done.returncode == 3
    line = one_error_line(done.stderr.decode())
    assert line == f"digest: error: {path}: {message}" or line.startswith(f"digest: error: {path}: {message}")
    assert done.stdout == b""


def test_one_bad_file_among_many_is_skipped(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    done = run_digest("summarize", str(tmp_path / "missing.txt"), str(good))
    assert done.returncode == 3
    assert "Night buses return" in done.stdout.decode()
    assert one_error_line(done.stderr.decode()).endswith("missing.txt: no such file")


def test_unknown_algorithm(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    done = run_digest("summarize", "--algorithm", "magic", str(good))
    assert done.returncode == 2
    line = one_error_line(done.stderr.decode())
    assert "unknown algorithm 'magic'" in line and "lexrank" in line


def test_sentences_and_words_together_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["summarize", "-n", "2", "--words", "10", "x.txt"])
    assert result.exit_code == 2
    assert "either -n/--sentences or --words" in result.output


def test_bad_config_value_names_the_keys(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[summary]\nsentences = -1\n[digest]\ntimezone = "Nowhere/City"\n', encoding="utf-8")
    done = run_digest("--config", str(config), "summarize", "-")
    assert done.returncode == 2
    line = one_error_line(done.stderr.decode())
    assert "summary.sentences" in line and "digest.timezone" in line and str(config) in line


def test_missing_config_file(tmp_path):
    done = run_digest("--config", str(tmp_path / "none.toml"), "build")
    assert done.returncode == 2
    assert "config file not found" in one_error_line(done.stderr.decode())


# -- build ----------------------------------------------------------------------------------------


def test_build_writes_every_output(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "bus.txt").write_text(GOOD, encoding="utf-8")
    (seeds / "broken.txt").write_bytes(b"")
    out = tmp_path / "out"
    done = run_digest("build", "--date", "2026-11-21", "--seeds", str(seeds), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["date"] == "2026-11-21" and result["stories"] == 1
    assert result["skipped"] == [{"path": str(seeds / "broken.txt"), "reason": "empty file"}]
    assert "broken.txt: empty file" in done.stderr.decode()
    names = sorted(p.name for p in out.iterdir())
    assert names == ["digest-2026-11-21.html", "digest-2026-11-21.md", "digest-2026-11-21.txt", "index.html",
                     "latest.html", "state"]  # state/: the build cache
    assert (out / "latest.html").read_bytes() == (out / "digest-2026-11-21.html").read_bytes()
    assert "Saturday, 21 November 2026" in (out / "digest-2026-11-21.txt").read_text(encoding="utf-8")
    # a second day: the archive page links both, newest first
    assert run_digest("build", "--date", "2026-11-22", "--seeds", str(seeds), "--out", str(out), "-q").returncode == 0
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.index("digest-2026-11-22.html") < index.index("digest-2026-11-21.html")
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_build_uses_config_paths(tmp_path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "bus.txt").write_text(GOOD, encoding="utf-8")
    config = tmp_path / "digest.toml"
    config.write_text('[paths]\nseeds = "articles"\nout = "site"\n[digest]\ntitle = "Bus news"\n', encoding="utf-8")
    done = run_digest("--config", str(config), "build", "--date", "2026-01-02", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "site" / "digest-2026-01-02.txt").read_text(encoding="utf-8")
    assert text.startswith("Bus news — Friday, 2 January 2026")


def test_build_missing_seeds(tmp_path):
    done = run_digest("build", "--seeds", str(tmp_path / "nothing"), "--out", str(tmp_path / "out"))
    assert done.returncode == 3
    assert one_error_line(done.stderr.decode()) == f"digest: error: {tmp_path / 'nothing'}: seeds folder not found"


def test_build_unwritable_out(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "bus.txt").write_text(GOOD, encoding="utf-8")
    blocker = tmp_path / "out"
    blocker.write_text("a file where the out folder should be", encoding="utf-8")
    done = run_digest("build", "--seeds", str(seeds), "--out", str(blocker / "sub"))
    assert done.returncode == 1
    assert one_error_line(done.stderr.decode()).startswith("digest: error: cannot write")


def test_build_bad_date():
    result = CliRunner().invoke(cli, ["build", "--date", "21/11/2026"])
    assert result.exit_code == 2
    assert "Invalid value for '--date'" in result.output


def test_config_command(tmp_path):
    result = invoke("--config", str(ROOT / "config" / "digest.toml"), "config", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["summary"]["algorithm"] == "news"
    keys = invoke("config", "--keys").output
    assert "summary.sentences = 3" in keys


def test_algorithms_command():
    data = json.loads(invoke("algorithms", "--json").output)
    assert data["default"] == "news" and "reduction" in data["algorithms"]


# -- user mistakes: one line on stderr, a meaningful exit code, never a traceback ----------------


@pytest.mark.parametrize("args, command", [
    (["--bogus", "build"], "digest"),
    (["bogus"], "digest"),
    (["build", "--bogus"], "digest build"),
    (["build", "--date", "2026-13-01"], "digest build"),
    (["build", "--jobs", "0"], "digest build"),
    (["summarize"], "digest summarize"),
    (["summarize", "-n", "2", "--words", "10", "x.txt"], "digest summarize"),
    (["serve", "--port", "99999"], "digest serve"),
    (["subscribers", "add"], "digest subscribers add"),
    (["eval"], "digest eval"),
])
def test_usage_errors_are_one_line(args, command):
    result = CliRunner().invoke(cli, args, prog_name="digest")
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert line.startswith("digest: error: ") and line.endswith(f"(see '{command} --help')"), line
    assert result.stdout == ""


def test_a_file_where_a_folder_option_is_expected_is_one_line(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(cli, ["subscribers", "--out", str(blocker), "list"])
    assert result.exit_code == 2
    assert "Directory" in one_error_line(result.stderr) and "is a file" in result.stderr


def test_no_arguments_still_prints_the_help():
    for args in ([], ["subscribers"]):
        result = CliRunner().invoke(cli, args)
        assert "Usage:" in result.output and "Commands:" in result.output
        assert "digest: error" not in result.output


def test_an_unexpected_os_error_is_one_line_not_a_traceback(tmp_path):
    # Writing to a full disk: /dev/full fails every write with ENOSPC.
    if not Path("/dev/full").exists():
        pytest.skip("/dev/full is not available on this system")
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "digest", "algorithms"], stdout=full, stderr=subprocess.PIPE,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 1
    assert one_error_line(done.stderr.decode()) == "digest: error: No space left on device"


def test_library_warnings_are_prefixed_lines(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "bus.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "out" / "state" / "digest.sqlite3").mkdir(parents=True)  # the cache cannot open
    done = run_digest("build", "--seeds", str(seeds), "--out", str(tmp_path / "out"), "-q")
    assert done.returncode == 0
    line = one_error_line(done.stderr.decode())
    assert line.startswith("digest: warning: build cache unusable: ") and line.endswith("building without it")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_a_pipe_in_the_seeds_folder_is_skipped_not_waited_on(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "bus.txt").write_text(GOOD, encoding="utf-8")
    os.mkfifo(seeds / "pipe.txt")  # no writer: reading it would block for ever
    done = run_digest("build", "--seeds", str(seeds), "--out", str(tmp_path / "out"), "--json", timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["stories"] == 1
    assert result["skipped"] == [{"path": str(seeds / "pipe.txt"), "reason": "not a regular file (a pipe, socket or device)"}]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_summarize_reads_a_pipe_named_on_the_command_line(tmp_path, jobs):
    # As in `digest summarize <(curl ...)`: the pipe is read like standard input.
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)

    def feed() -> None:
        with open(pipe, "w", encoding="utf-8") as handle:
            handle.write(GOOD)

    threading.Thread(target=feed, daemon=True).start()
    other = tmp_path / "other.txt"
    other.write_text("Title: Ferry fares\n\nFerry fares rise in May. The rise is the first in four years.\n",
                     encoding="utf-8")
    done = run_digest("summarize", "--jobs", jobs, str(pipe), str(other), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Night buses return" in done.stdout.decode() and "Ferry fares" in done.stdout.decode()


def test_status_with_a_damaged_state_database_is_one_line(tmp_path):
    state = tmp_path / "out" / "state"
    state.mkdir(parents=True)
    (state / "digest.sqlite3").write_bytes(b"this is not a SQLite database, whatever its name says\n" * 20)
    for args in ([], ["--json"]):
        done = run_digest("status", "--seeds", str(tmp_path), "--out", str(tmp_path / "out"), *args)
        assert done.returncode == 5
        line = one_error_line(done.stderr.decode())
        assert line == f"digest: error: cannot open state database {state / 'digest.sqlite3'}: file is not a database"


def test_a_file_in_the_way_of_an_output_folder_is_named(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "bus.txt").write_text(GOOD, encoding="utf-8")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be", encoding="utf-8")
    config = tmp_path / "digest.toml"
    config.write_text(f'[paths]\nseeds = "{seeds}"\nout = "{blocker}"\n', encoding="utf-8")
    done = run_digest("--config", str(config), "build", "--date", "2026-11-21")
    assert done.returncode == 1
    assert one_error_line(done.stderr.decode()) == (
        f"digest: error: cannot write {blocker / 'digest-2026-11-21.html'}: {blocker} is a file, not a folder")
    result = invoke("subscribers", "--out", str(tmp_path / "out"), "export", str(blocker / "sub" / "list.csv"))
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        f"digest: error: cannot write {blocker / 'sub' / 'list.csv'}: {blocker} is a file, not a folder")


def test_an_unusable_state_folder_is_explained_without_errno_noise(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(cli, ["subscribers", "--out", str(blocker / "sub"), "list"])
    assert result.exit_code == 5
    line = one_error_line(result.stderr)
    assert line == f"digest: error: cannot open state database {blocker / 'sub' / 'state' / 'digest.sqlite3'}: Not a directory"


def test_config_keys_as_json_and_text_without_escapes():
    keys = json.loads(invoke("config", "--keys", "--json").output)
    subject = next(k for k in keys if k["key"] == "email.subject")
    assert subject["default"] == "{title} — {date}" and subject["doc"]
    assert {k["key"] for k in keys} >= {"digest.title", "summary.sentences", "input.patterns"}
    assert 'email.subject = "{title} — {date}"' in invoke("config", "--keys").output
    assert 'subject = "{title} — {date}"' in invoke("--config", str(ROOT / "config" / "digest.toml"), "config").output


def test_build_from_an_empty_seeds_folder_writes_an_empty_digest(tmp_path):
    (tmp_path / "seeds").mkdir()
    done = run_digest("build", "--date", "2026-11-21", "--seeds", str(tmp_path / "seeds"), "--out", str(tmp_path / "out"))
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout.decode().startswith("Built Daily digest — Saturday, 21 November 2026: 0 stories → ")
    text = (tmp_path / "out" / "digest-2026-11-21.txt").read_text(encoding="utf-8")
    assert text.splitlines()[:4] == ["Daily digest — Saturday, 21 November 2026", "=" * 41, "Daily digest",
                                     "No stories in this digest."]
    assert "No stories in this digest." in (tmp_path / "out" / "latest.html").read_text(encoding="utf-8")


def test_build_reads_a_file_whose_name_is_not_utf8_and_keeps_its_cache(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    raw = os.path.join(os.fsencode(seeds), b"caf\xe9.txt")
    try:
        with open(raw, "w", encoding="utf-8") as handle:
            handle.write(GOOD)
    except OSError:
        pytest.skip("this file system refuses file names that are not UTF-8")
    (seeds / "copy.txt").write_text(GOOD + "Night buses also stop at the station.\n", encoding="utf-8")
    out = tmp_path / "out"
    for run in ("cold", "cached"):
        done = run_digest("build", "--date", "2026-11-21", "--seeds", str(seeds), "--out", str(out), "--json")
        assert done.returncode == 0 and done.stderr == b"", done.stderr  # the cache stayed usable
        result = json.loads(done.stdout)
        assert result["stories"] == 1 and result["skipped"] == []
    assert result["cache"]["composed_hit"] == 1
    text = (out / "digest-2026-11-21.txt").read_text(encoding="utf-8")
    assert "2 sources:" in text and "caf\ufffd.txt" in text  # the two versions of one story
    done = run_digest("summarize", "--format", "json", os.fsdecode(raw))
    assert json.loads(done.stdout)["path"] == f"{seeds}/caf\ufffd.txt"


def test_status_with_last_hours_far_back_is_a_config_error_not_a_traceback(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[schedule]\nselect = "last-hours"\nhours = 99999999999\n', encoding="utf-8")
    done = run_digest("--config", str(config), "status", "--seeds", str(tmp_path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "schedule.hours" in one_error_line(done.stderr.decode())


def test_status_says_when_the_seeds_folder_is_missing(tmp_path):
    args = ("status", "--seeds", str(tmp_path / "nothing"), "--out", str(tmp_path / "out"))
    assert json.loads(run_digest(*args, "--json").stdout)["seeds_missing"] is True
    assert f"seeds folder {tmp_path / 'nothing'} not found" in run_digest(*args).stdout.decode()
    (tmp_path / "nothing").mkdir()
    assert json.loads(run_digest(*args, "--json").stdout)["seeds_missing"] is False
    assert "not found" not in run_digest(*args).stdout.decode()


def test_eval_of_one_item_reads_well(tmp_path):
    dataset = tmp_path / "one.jsonl"
    dataset.write_text(json.dumps({"id": "a", "article": GOOD, "reference": ["Night buses return on Friday."],
                                   "sentences": 1}) + "\n", encoding="utf-8")
    result = invoke("eval", str(dataset), "-a", "lead")
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "one.jsonl: 1 article, 1 sentence"


def test_building_an_earlier_day_keeps_latest_html_on_the_latest_day(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "bus.txt").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    for day in ("2026-11-22", "2026-11-20"):  # a backfill after the newest
        done = run_digest("build", "--date", day, "--seeds", str(seeds), "--out", str(out), "--json")
        assert done.returncode == 0, done.stderr
    assert (out / "latest.html").read_bytes() == (out / "digest-2026-11-22.html").read_bytes()
    assert str(out / "latest.html") not in json.loads(done.stdout)["written"]
    run_digest("build", "--date", "2026-11-22", "--seeds", str(seeds), "--out", str(out), "-q")  # the same day again
    assert (out / "latest.html").read_bytes() == (out / "digest-2026-11-22.html").read_bytes()
