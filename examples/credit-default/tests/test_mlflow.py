import io
import json
import urllib.error

import pytest

import mlflow_rest
import train
from prep import synthesise, write_csv


class FakeResponse:
    status = 200

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def job_env(monkeypatch):
    uri = "azureml://westeurope.api.azureml.ms/mlflow/v1.0/ws"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_RUN_ID", "credit-train-1")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "secret-token")


@pytest.fixture
def sent(monkeypatch):
    """Requests that would have been sent; nothing leaves the process."""
    requests = []

    def urlopen(request, timeout=None):
        requests.append(request)
        return FakeResponse()

    monkeypatch.setattr(mlflow_rest.urllib.request, "urlopen", urlopen)
    return requests


def test_nothing_is_sent_outside_a_job(monkeypatch, sent):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    assert mlflow_rest.log_metrics({"auc": 0.8}) is False
    assert sent == []


def test_log_batch_request(job_env, sent):
    assert mlflow_rest.log_metrics({"auc": 0.75, "accuracy": 1}) is True
    (request,) = sent
    assert request.get_method() == "POST"
    assert request.full_url == (
        "https://westeurope.api.azureml.ms/mlflow/v1.0/ws/api/2.0/mlflow/runs/log-batch"
    )
    assert request.get_header("Authorization") == "Bearer secret-token"
    body = json.loads(request.data)
    assert body["run_id"] == "credit-train-1"
    assert [(m["key"], m["value"], m["step"]) for m in body["metrics"]] == [
        ("accuracy", 1.0, 0),
        ("auc", 0.75, 0),
    ]
    assert all(isinstance(m["timestamp"], int) for m in body["metrics"])


def test_other_schemes_are_refused(monkeypatch, sent):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "file:///tmp/mlruns")
    monkeypatch.setenv("MLFLOW_RUN_ID", "r")
    with pytest.raises(ValueError, match="not http"):
        mlflow_rest.log_metrics({"auc": 0.5})
    assert sent == []


def test_train_fails_loudly_when_metrics_are_lost(
    job_env, monkeypatch, tmp_path, capsys
):
    def refuse(request, timeout=None):
        body = io.BytesIO(b'{"error_code": "UNAUTHENTICATED"}')
        raise urllib.error.HTTPError(request.full_url, 401, "Unauthorized", {}, body)

    monkeypatch.setattr(mlflow_rest.urllib.request, "urlopen", refuse)
    data = tmp_path / "credit.csv"
    write_csv(str(data), synthesise(200))
    args = ["--training-data", str(data), "--model-output", str(tmp_path / "m")]
    args += ["--epochs", "20"]
    assert train.main(args) == 1
    err = capsys.readouterr().err
    assert "could not log metrics to MLflow" in err
    assert "answered 401" in err and "UNAUTHENTICATED" in err
    assert "secret-token" not in err


def test_train_logs_its_metrics_in_a_job(job_env, sent, tmp_path, capsys):
    data = tmp_path / "credit.csv"
    write_csv(str(data), synthesise(200))
    args = ["--training-data", str(data), "--model-output", str(tmp_path / "m")]
    assert train.main(args + ["--epochs", "20"]) == 0
    keys = [m["key"] for m in json.loads(sent[0].data)["metrics"]]
    assert keys == ["accuracy", "auc", "precision", "recall"]
    assert "metrics logged to MLflow" in capsys.readouterr().out
