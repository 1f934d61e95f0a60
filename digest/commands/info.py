"""``digest algorithms`` and ``digest config``: what is available and what is configured."""

from __future__ import annotations

import json

import click

from digest.commands._common import settings_from
from digest.config import describe_settings, section_items, section_types


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def algorithms(as_json: bool) -> None:
    """List the summarization algorithms."""
    from digest.summarize import DEFAULT_ALGORITHM, algorithm_names

    names = algorithm_names()
    if as_json:
        click.echo(json.dumps({"default": DEFAULT_ALGORITHM, "algorithms": names}))
        return
    for name in names:
        click.echo(f"{name}{'  (default)' if name == DEFAULT_ALGORITHM else ''}")


@click.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print the effective settings (with --keys: every setting) as JSON.")
@click.option("--keys", is_flag=True, help="List every setting with its meaning and default.")
@click.pass_context
def config_cmd(ctx: click.Context, as_json: bool, keys: bool) -> None:
    """Check the settings file and print the effective settings."""
    if keys and as_json:
        click.echo(json.dumps([
            {"key": key, "doc": doc, "default": list(default) if isinstance(default, tuple) else default}
            for key, doc, default in describe_settings()
        ], indent=2, ensure_ascii=False))
        return
    if keys:
        for key, doc, default in describe_settings():
            click.echo(f"{key} = {json.dumps(default if not isinstance(default, tuple) else list(default), ensure_ascii=False)}\n    {doc}")
        return
    settings = settings_from(ctx)
    data = {
        name: {k: (list(v) if isinstance(v, tuple) else v) for k, v in section_items(section).items()}
        for name, section in ((n, getattr(settings, n)) for n in section_types())
    }
    if as_json:
        click.echo(json.dumps({"source": settings.source, **data}, indent=2, ensure_ascii=False))
        return
    click.echo(f"# settings from {settings.source or 'built-in defaults'}: valid")
    for name, values in data.items():
        click.echo(f"[{name}]")
        for key, value in values.items():
            click.echo(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        click.echo()
