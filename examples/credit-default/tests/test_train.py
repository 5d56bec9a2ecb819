import json

import mlflow_rest
import train
from model import auc, evaluate, fit
from prep import split, synthesise


def test_model_learns_better_than_chance():
    train_rows, test_rows = split(synthesise(1000))
    model = fit([r[:-1] for r in train_rows], [r[-1] for r in train_rows], 0.5, 150)
    test_x, test_y = [r[:-1] for r in test_rows], [r[-1] for r in test_rows]
    metrics = evaluate(model, test_x, test_y)
    assert metrics["auc"] > 0.65
    assert 0.6 < metrics["accuracy"] <= 1.0


def test_auc_of_perfect_and_reversed_rankings():
    assert auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == 1.0
    assert auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 0.0
    assert auc([0.5, 0.5], [0, 1]) == 0.5


def test_main_writes_model_json(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    data = tmp_path / "credit.csv"
    from prep import write_csv

    write_csv(str(data), synthesise(300))
    args = ["--training-data", str(data), "--model-output", str(tmp_path / "m")]
    assert train.main(args) == 0
    saved = json.loads((tmp_path / "m" / "model.json").read_text())
    assert saved["type"] == "logistic_regression" and len(saved["weights"]) == 6
    assert "auc:" in capsys.readouterr().out


def test_tracking_uri_forms(monkeypatch):
    uri = "azureml://eastus.api.azureml.ms/mlflow/v1.0/x"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_RUN_ID", "job-1")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "t")
    expected = ("https://eastus.api.azureml.ms/mlflow/v1.0/x", "job-1", "t")
    assert mlflow_rest.tracking() == expected
    monkeypatch.delenv("MLFLOW_RUN_ID")
    assert mlflow_rest.tracking() is None
