"""The [email] and [smtp] settings: documented, defaults shipped, `from` read under its own name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.config import Settings, describe_settings, load_settings, settings_from_mapping
from digest.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_config_has_the_default_email_and_smtp_settings():
    settings = load_settings(ROOT / "config" / "digest.toml")
    assert settings.email == Settings().email
    assert settings.smtp == Settings().smtp
    keys = [key for key, _doc, _default in describe_settings()]
    assert "email.from" in keys and "email.from_address" not in keys
    assert {"smtp.password_env", "smtp.max_per_second", "smtp.max_per_connection", "smtp.timeout"} <= set(keys)


def test_from_is_read_and_shown_under_its_toml_name(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[email]\nfrom = "Brief <brief@example.org>"\ntransport = "smtp"\n', encoding="utf-8")
    settings = load_settings(path)
    assert settings.email.from_address == "Brief <brief@example.org>"
    assert settings.override("email", from_address="X <x@example.org>").email.from_address == "X <x@example.org>"
    shown = json.loads(CliRunner().invoke(cli, ["--config", str(path), "config", "--json"]).stdout)
    assert shown["email"]["from"] == "Brief <brief@example.org>" and "from_address" not in shown["email"]


def test_bad_email_settings_are_all_reported_with_their_keys():
    with pytest.raises(ConfigError) as info:
        settings_from_mapping({
            "email": {"from": "nobody", "transport": "pigeon", "public_url": "http://plain.example.org",
                      "from_address": "x@example.org"},
            "smtp": {"security": "tls", "password_env": "not a name", "password": "hunter2"},
        })
    problems = "\n".join(info.value.problems)
    for key in ("email.from:", "email.transport:", "email.public_url:", "email.from_address: unknown setting",
                "smtp.security:", "smtp.password_env:", "smtp.password: unknown setting"):
        assert key in problems, key
