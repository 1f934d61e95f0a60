"""Rough edges a new user met walking through the README: each test is one of them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from digest.cli import cli

STORY = ("Title: Ferry timetable changes\n\nThe island ferry will run an extra evening crossing from Monday. "
         "The operator says demand rose all summer. Tickets go on sale this week. The last boat now leaves "
         "at ten.\n")


def test_summarize_takes_json_like_the_other_commands(tmp_path):
    # Every other command that prints data takes --json; summarize used to answer "Did you mean '--jobs'?".
    path = tmp_path / "ferry.txt"
    path.write_text(STORY, encoding="utf-8")
    short = CliRunner().invoke(cli, ["summarize", "--json", "-n", "2", str(path)])
    long = CliRunner().invoke(cli, ["summarize", "--format", "json", "-n", "2", str(path)])
    assert short.exit_code == 0, short.output
    assert short.stdout == long.stdout
    record = json.loads(short.stdout)
    assert record["title"] == "Ferry timetable changes" and len(record["sentences"]) == 2


def test_summarize_json_with_another_format_is_a_usage_error(tmp_path):
    path = tmp_path / "ferry.txt"
    path.write_text(STORY, encoding="utf-8")
    result = CliRunner().invoke(cli, ["summarize", "--json", "--format", "markdown", str(path)], prog_name="digest")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "digest: error: --json is --format json; it cannot go with --format markdown (see 'digest summarize --help')"]


def test_subscribers_export_counts_in_words(tmp_path):
    out = str(tmp_path / "out")
    assert CliRunner().invoke(cli, ["subscribers", "--out", out, "add", "ann@example.org"]).exit_code == 0
    result = CliRunner().invoke(cli, ["subscribers", "--out", out, "export", str(tmp_path / "people.csv")])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"Exported 1 subscriber to {tmp_path / 'people.csv'}"


def test_an_unknown_algorithm_on_the_command_line_is_not_called_a_config_key(tmp_path):
    # `-a magic` was reported as "summary.algorithm: unknown algorithm", the key it overrides.
    path = tmp_path / "ferry.txt"
    path.write_text(STORY, encoding="utf-8")
    result = CliRunner().invoke(cli, ["summarize", "-a", "magic", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("digest: error: unknown algorithm 'magic'; choose one of: news, lead,")
