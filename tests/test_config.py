"""Config: TOML → Settings, every problem reported at once with its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import Settings, describe_settings, load_settings, settings_from_mapping
from digest.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_config_is_valid_and_matches_defaults():
    settings = load_settings(ROOT / "config" / "digest.toml")
    defaults = Settings()
    for section in ("digest", "paths", "input", "summary", "output"):
        assert getattr(settings, section) == getattr(defaults, section), section


def test_shipped_config_documents_every_key():
    text = (ROOT / "config" / "digest.toml").read_text(encoding="utf-8")
    for key, doc, _default in describe_settings():
        section, name = key.split(".")
        assert f"[{section}]" in text
        assert f"\n{name} = " in text, f"{key} missing from config/digest.toml"
        assert doc, f"{key} has no description"


def test_values_are_read(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[digest]\ntitle = "Morning brief"\ntimezone = "Europe/London"\n'
        '[summary]\nalgorithm = "lexrank"\nsentences = 2\n[input]\npatterns = "*.txt"\n',
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.digest.title == "Morning brief"
    assert settings.digest.timezone == "Europe/London"
    assert settings.summary.algorithm == "lexrank"
    assert settings.summary.sentences == 2
    assert settings.input.patterns == ("*.txt",)
    assert settings.source == str(path)


def test_all_problems_reported_at_once():
    with pytest.raises(ConfigError) as info:
        settings_from_mapping(
            {
                "digest": {"timezone": "Mars/Olympus", "colour": "blue"},
                "summary": {"sentences": 0, "algorithm": "magic", "words": "many"},
                "output": {"jobs": True},
                "extras": {},
            }
        )
    problems = info.value.problems
    keys = sorted(p.split(":")[0] for p in problems)
    assert keys == [
        "[extras]", "digest.colour", "digest.timezone", "output.jobs",
        "summary.algorithm", "summary.sentences", "summary.words",
    ]
    assert any("unknown timezone 'Mars/Olympus'" in p for p in problems)
    assert any("unknown algorithm 'magic'" in p and "lexrank" in p for p in problems)


def test_invalid_toml(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[digest\ntitle = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(path)


def test_missing_explicit_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_missing_default_file_gives_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIGEST_CONFIG", raising=False)
    assert load_settings() == Settings()


def test_override_validates_and_ignores_none():
    settings = Settings()
    assert settings.override("paths", seeds=None) is settings
    assert settings.override("paths", seeds="elsewhere").paths.seeds == "elsewhere"
    with pytest.raises(ConfigError, match="summary.algorithm"):
        settings.override("summary", algorithm="nonsense")


def test_dev_null_is_an_empty_settings_file():
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null on this system")
    settings = load_settings("/dev/null")
    assert settings == Settings(source="/dev/null")


def test_a_folder_named_as_the_settings_file(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=f"config file is a folder: {tmp_path}$"):
        load_settings(tmp_path)
    monkeypatch.setenv("DIGEST_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match=r"config file not found: .*gone.toml \(from \$DIGEST_CONFIG\)"):
        load_settings()


def test_non_utf8_settings_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_bytes('[digest]\ntitle = "Caf\xe9 news"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="the file is not UTF-8 text"):
        load_settings(path)


@pytest.mark.parametrize("toml, key", [
    ("[input]\nmax_file_mb = inf\n", "input.max_file_mb"),           # overflowed int(): traceback
    ("[watch]\nsettle_seconds = 1e300\n", "watch.settle_seconds"),   # overflowed the daemon's timer
    ("[smtp]\ntimeout = nan\n", "smtp.timeout"),
    ("[summary]\nwords = 9999999999999999999\n", "summary.words"),   # too large for SQLite
    ("[schedule]\nmisfire_grace_seconds = 99999999999\n", "schedule.misfire_grace_seconds"),
])
def test_numbers_beyond_any_sensible_value_are_config_errors(tmp_path, toml, key):
    path = tmp_path / "c.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=f"{key}: expected a number no larger than 1,000,000,000, got "):
        load_settings(path)


def test_port_and_hours_have_their_own_limits():
    with pytest.raises(ConfigError, match="smtp.port: must be a port number from 0 to 65535"):
        settings_from_mapping({"smtp": {"port": 70000}})
    with pytest.raises(ConfigError, match="schedule.hours: must be from 1 to 1,000,000"):
        settings_from_mapping({"schedule": {"hours": 20_000_000}})  # `now - hours` would be before year 1
    ok = settings_from_mapping({"smtp": {"port": 2525, "timeout": 1e9}, "schedule": {"hours": 48}})
    assert (ok.smtp.port, ok.smtp.timeout, ok.schedule.hours) == (2525, 1e9, 48)


def test_a_leading_tilde_in_a_path_setting_is_the_home_folder(tmp_path, monkeypatch):
    # TOML has no shell: before, out = "~/site" made a folder named "~" in the working directory.
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "c.toml"
    path.write_text('[paths]\nseeds = "~/news"\nout = "~/site"\ntemplates = "~"\n[schedule]\nlog_file = "~/digest.log"\n'
                    '[digest]\ntitle = "~/not a path"\n', encoding="utf-8")
    settings = load_settings(path)
    assert settings.paths.seeds == str(tmp_path / "news") and settings.paths.out == str(tmp_path / "site")
    assert settings.paths.templates == str(tmp_path) and settings.schedule.log_file == str(tmp_path / "digest.log")
    assert settings.digest.title == "~/not a path"
    assert settings.override("paths", out="~/elsewhere").paths.out == str(tmp_path / "elsewhere")


def test_override_keeps_a_sections_lists():
    # `digest fetch --max-items 1` overrides [feeds], whose urls are a tuple once loaded: kept as they are.
    loaded = settings_from_mapping({"feeds": {"urls": ["https://example.org/rss.xml"]}})
    settings = loaded.override("feeds", max_items=1, timeout=5.0)
    assert settings.feeds.max_items == 1 and settings.feeds.timeout == 5.0
    assert settings.feeds.urls == ("https://example.org/rss.xml",)
    assert loaded.override("input", max_file_mb=1.0).input.patterns == loaded.input.patterns
