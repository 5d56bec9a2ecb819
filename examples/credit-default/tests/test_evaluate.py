import json

import pytest

import evaluate
import prep
import train


@pytest.fixture
def trained(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    prepared = tmp_path / "prepared"
    prep.main(["--output", str(prepared)])
    model = tmp_path / "model"
    args = ["--training-data", str(prepared), "--model-output", str(model)]
    assert train.main(args + ["--epochs", "50"]) == 0
    return prepared, model


def test_report_has_the_four_metrics(trained, tmp_path):
    prepared, model = trained
    report = tmp_path / "report"
    args = ["--model", str(model), "--test-data", str(prepared)]
    assert evaluate.main(args + ["--report", str(report)]) == 0
    metrics = json.loads((report / "metrics.json").read_text())
    assert sorted(metrics) == ["accuracy", "auc", "precision", "recall"]
    assert all(0.0 <= v <= 1.0 for v in metrics.values())


def test_model_is_found_one_level_below(trained, tmp_path):
    _, model = trained
    mounted = tmp_path / "mounted"
    (mounted / "1").mkdir(parents=True)
    (mounted / "1" / "model.json").write_text((model / "model.json").read_text())
    assert evaluate.find_model(str(mounted)) == str(mounted / "1" / "model.json")


def test_missing_model_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model.json"):
        evaluate.find_model(str(tmp_path))
