"""``digest eval``: ROUGE tables and JSON over a dataset, through the product's own ingest."""

from __future__ import annotations

import json

import pytest

from conftest import run_digest, shared_path
from digest.evaluate import DatasetError, evaluate, greedy_oracle, load_dataset, rouge

ARTICLE = (
    "Title: Reservoir levels recover\n\n"
    "Water in the Halvern reservoir rose to 80% of capacity after a wet October. "
    "Engineers had warned in August that levels were the lowest for twenty years. "
    "Hosepipe restrictions will end on Monday, the water company said. "
    "Farmers said the rain came too late for the summer crops. "
    "The company will still ask customers to fix leaking taps."
)
RECORD = {"id": "r1", "article": ARTICLE, "reference": ["Reservoir back to 80% after wet October.", "Hosepipe restrictions end Monday."], "sentences": 2}


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps({**RECORD, "id": f"r{i}"}) for i in range(3)) + "\n", encoding="utf-8")
    return path


def test_rouge_identical_and_disjoint():
    assert rouge(["the cat sat"], ["the cat sat"])["rouge1"] == pytest.approx(1.0)
    assert rouge(["the cat sat"], ["dogs bark loudly"])["rouge2"] == 0.0


def test_oracle_picks_the_reference_sentences():
    sentences = ["Alpha beta gamma.", "Nothing in common here.", "Delta epsilon zeta."]
    assert greedy_oracle(sentences, ["alpha beta gamma", "delta epsilon zeta"], 2) == [0, 2]


def test_evaluate_lead_scores_and_oracle(dataset):
    items = load_dataset(dataset)
    results = {r.algorithm: r for r in evaluate(items, ["lead", "news"], oracle=True)}
    assert set(results) == {"lead", "news", "oracle"}
    assert results["lead"].n == 3
    # the oracle is an upper bound for any 2-sentence extract
    assert results["oracle"].rouge1 >= results["lead"].rouge1 > 0
    assert results["oracle"].rouge1 >= results["news"].rouge1


def test_eval_cli_json(dataset):
    done = run_digest("eval", str(dataset), "-a", "lead", "-a", "lexrank", "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [r["algorithm"] for r in rows] == ["lead", "lexrank"]
    for row in rows:
        assert set(row) == {"algorithm", "n", "rouge1", "rouge2", "rougeLsum", "ms_per_article"}
        assert row["n"] == 3 and 0 < row["rouge1"] <= 100


def test_eval_cli_table(dataset):
    done = run_digest("eval", str(dataset), "-a", "lead", "--oracle", "--limit", "2")
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert "tiny.jsonl: 2 articles, 2 sentences" in out
    assert "ROUGE-1" in out and "\nlead " in out and "\noracle " in out


def test_eval_bad_dataset(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    done = run_digest("eval", str(bad))
    assert done.returncode == 2
    assert "bad.jsonl:1: not an evaluation record" in done.stderr.decode()
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset(tmp_path / "none.jsonl")


def test_eval_unknown_algorithm(dataset):
    done = run_digest("eval", str(dataset), "-a", "best")
    assert done.returncode == 2
    assert "unknown algorithm 'best'" in done.stderr.decode()


def test_eval_on_shared_dev_sample():
    path = shared_path("eval", "cnndm_dev.jsonl")
    results = {r.algorithm: r for r in evaluate(load_dataset(path, limit=20), ["lead", "news"])}
    assert results["lead"].n == 20
    assert results["news"].rouge1 > 30 and results["lead"].rouge1 > 30
