"""The subscriber list: validated addresses, case-insensitive duplicates, statuses, CSV in and out."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner

from digest import subscribers as subs
from digest.cli import cli
from digest.store import State

NOW = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def state(tmp_path):
    with State.for_out_dir(tmp_path / "out") as opened:
        yield opened


def invoke(tmp_path, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["subscribers", "--out", str(tmp_path / "out"), *args], input=input,
                              catch_exceptions=False)


def test_add_normalises_and_rejects_duplicates_in_any_case(state):
    added = subs.add(state, "  Ann.Lee@Example.ORG ", name="Ann\r\nLee\x07", now=NOW)
    assert added.email == "Ann.Lee@example.org"  # the domain is lower-cased, the local part kept
    assert added.name == "Ann Lee" and added.status == "active" and added.created_at == NOW
    with pytest.raises(subs.SubscriberError, match="already on the list"):
        subs.add(state, "ann.lee@EXAMPLE.org", now=NOW)
    assert [s.email for s in subs.list_subscribers(state)] == ["Ann.Lee@example.org"]


@pytest.mark.parametrize("address, reason", [
    ("", "empty"),
    ("no-at-sign", "@-sign"),
    ("two@@example.org", "invalid email address"),
    ("trailing@example.", "invalid email address"),
    ("ünïcode@example.org", "Internationalized characters before the @-sign"),
    ("a@localhost", "invalid email address"),
    ("a b@example.org", "invalid email address"),
    ("x@example.org\r\nBcc: eve@example.org", "invalid email address"),
])
def test_invalid_addresses_are_refused_with_the_reason(state, address, reason):
    with pytest.raises(subs.SubscriberError, match=reason):
        subs.add(state, address, now=NOW)
    assert subs.list_subscribers(state) == []


def test_international_domains_are_stored_in_their_ascii_form(state):
    assert subs.add(state, "reader@bücher.example", now=NOW).email == "reader@xn--bcher-kva.example"


def test_remove_and_statuses(state):
    subs.add(state, "a@example.org", now=NOW)
    subs.add(state, "b@example.org", now=NOW)
    assert subs.set_status(state, "B@example.org", "bounced", now=NOW) == "active"
    assert [s.email for s in subs.list_subscribers(state, "active")] == ["a@example.org"]
    assert [s.email for s in subs.list_subscribers(state, "bounced")] == ["b@example.org"]
    with pytest.raises(subs.SubscriberError, match="unknown status"):
        subs.set_status(state, "a@example.org", "paused", now=NOW)
    assert subs.remove(state, "A@EXAMPLE.ORG").email == "a@example.org"
    with pytest.raises(subs.SubscriberError, match="not on the list"):
        subs.remove(state, "a@example.org")


def test_import_adds_valid_rows_and_reports_the_rest(tmp_path, state):
    subs.add(state, "old@example.org", now=NOW)
    path = tmp_path / "list.csv"
    path.write_text(
        "Name,Email,Status\n"
        "Ann,ann@example.org,\n"
        "\n"
        "Old again,OLD@example.org,active\n"
        "Nobody,not-an-address,\n"
        "Ann twice,Ann@Example.org,\n"
        '"Lee, Bo",bo@example.org,unsubscribed\n'
        "Odd,odd@example.org,paused\n",
        encoding="utf-8-sig",
    )
    report = subs.import_csv(state, path, now=NOW)
    assert report.added == ("ann@example.org", "bo@example.org")
    assert report.duplicates == ("OLD@example.org", "Ann@example.org")
    assert [line for line, _ in report.invalid] == [5, 8]
    assert "@-sign" in report.invalid[0][1] and "unknown status 'paused'" in report.invalid[1][1]
    found = {s.email: s for s in subs.list_subscribers(state)}
    assert found["bo@example.org"].name == "Lee, Bo" and found["bo@example.org"].status == "unsubscribed"


def test_import_without_a_header_and_unreadable_files(tmp_path, state):
    plain = tmp_path / "plain.csv"
    plain.write_text("a@example.org,Ann\nb@example.org\n", encoding="utf-8")
    assert subs.import_csv(state, plain, now=NOW).added == ("a@example.org", "b@example.org")
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(subs.SubscriberError, match="not a UTF-8 CSV file|binary"):
        subs.import_csv(state, binary, now=NOW)
    with pytest.raises(subs.SubscriberError, match="cannot read"):
        subs.import_csv(state, tmp_path / "missing.csv", now=NOW)


def test_cli_add_list_export_import_round_trip(tmp_path):
    assert invoke(tmp_path, "add", "Zoë@example.org").exit_code == 2  # non-ASCII local part
    result = invoke(tmp_path, "add", "ann@example.org", "--name", "Ann Ödegaard")
    assert result.exit_code == 0 and result.stdout.strip() == "Added ann@example.org"
    duplicate = invoke(tmp_path, "add", "ANN@example.org")
    assert duplicate.exit_code == 2
    assert duplicate.stderr.strip() == "digest: error: ann@example.org is already on the list"
    assert invoke(tmp_path, "add", "bob@example.org").exit_code == 0

    listed = json.loads(invoke(tmp_path, "list", "--json").stdout)
    assert [(s["email"], s["name"], s["status"]) for s in listed] == [
        ("ann@example.org", "Ann Ödegaard", "active"), ("bob@example.org", None, "active")]
    assert invoke(tmp_path, "list").stdout.splitlines() == ["ann@example.org\tactive\tAnn Ödegaard",
                                                           "bob@example.org\tactive"]

    exported = invoke(tmp_path, "export").stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["email"] for r in rows] == ["ann@example.org", "bob@example.org"]
    (tmp_path / "export.csv").write_text(exported, encoding="utf-8")
    assert invoke(tmp_path, "export", str(tmp_path / "saved.csv")).exit_code == 0
    assert (tmp_path / "saved.csv").read_text(encoding="utf-8") == exported

    assert invoke(tmp_path, "remove", "ANN@example.org").stdout.strip() == "Removed ann@example.org"
    assert invoke(tmp_path, "remove", "ann@example.org").exit_code == 2
    reimport = invoke(tmp_path, "import", str(tmp_path / "export.csv"))
    assert reimport.exit_code == 0
    assert reimport.stdout.strip() == "Added 1, skipped 1 already on the list, 0 invalid"
    assert [s["name"] for s in json.loads(invoke(tmp_path, "list", "--json").stdout)] == [None, "Ann Ödegaard"]


def test_cli_import_with_bad_rows_exits_3_and_names_each_line(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("email\nok@example.org\nbroken\n", encoding="utf-8")
    result = invoke(tmp_path, "import", str(path), "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout) == {
        "added": ["ok@example.org"], "duplicates": [],
        "invalid": [{"line": 3, "reason": json.loads(result.stdout)["invalid"][0]["reason"]}],
    }
    assert result.stderr.startswith(f"digest: error: {path}:3: invalid email address 'broken'")
