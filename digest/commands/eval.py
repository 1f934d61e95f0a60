"""``digest eval``: how well each summarizer does on a dataset with reference summaries."""

from __future__ import annotations

import json
from pathlib import Path

import click

from digest.commands._common import progress_bar


@click.command("eval")
@click.argument("dataset", type=click.Path(dir_okay=False))
@click.option("--algorithm", "-a", "algorithms", multiple=True, help="Algorithm to evaluate; repeat for several. Default: news, lead and every sumy algorithm.")
@click.option("--limit", type=click.IntRange(min=1), help="Use only the first N items.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Processes that evaluate: this one and N-1 workers.")
@click.option("--oracle", is_flag=True, help="Add the greedy extractive oracle (the upper bound).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per algorithm instead of a table.")
def eval_cmd(dataset, algorithms, limit, jobs, oracle, as_json) -> None:
    """Score summarizers with ROUGE on DATASET.jsonl.

    Each line: {"id", "article", "reference": [sentences], "sentences": N}. Articles go through
    the same ingest as files in seeds/. Prints ROUGE-1/2/Lsum F1 (percent, stemmed, mean over
    items) and milliseconds per article for each algorithm.
    """
    from digest.evaluate import evaluate, format_table, load_dataset

    items = load_dataset(dataset, limit)
    with progress_bar(len(items), "Evaluating") as advance:
        results = evaluate(items, algorithms or None, oracle=oracle, jobs=jobs, progress=advance)
    if as_json:
        for result in results:
            click.echo(json.dumps(result.as_json()))
    else:
        sentences = sorted({item.sentences for item in items})
        if len(sentences) == 1:
            length = f"{sentences[0]} sentence{'' if sentences[0] == 1 else 's'}"
        else:
            length = "reference-length summaries"
        articles = f"{len(items)} article{'' if len(items) == 1 else 's'}"
        click.echo(format_table(results, f"{Path(dataset).name}: {articles}, {length}"))
