"""Log metrics over the MLflow REST API, as Azure ML jobs can without mlflow.

Azure ML sets MLFLOW_TRACKING_URI (azureml://... or https://...), MLFLOW_RUN_ID
and MLFLOW_TRACKING_TOKEN for a job's process; outside a job nothing is sent.
"""
import json
import os
import time
import urllib.error
import urllib.request


def tracking():
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    run_id = os.environ.get("MLFLOW_RUN_ID", "")
    if not uri or not run_id:
        return None
    if uri.startswith("azureml://"):
        uri = "https://" + uri[len("azureml://"):]
    if not uri.startswith(("https://", "http://")):
        raise ValueError(f"MLFLOW_TRACKING_URI is not http(s) or azureml: {uri!r}")
    return uri.rstrip("/"), run_id, os.environ.get("MLFLOW_TRACKING_TOKEN", "")


def log_metrics(metrics, step=0):
    """Sends all metrics in one runs/log-batch call; False outside a tracked run."""
    where = tracking()
    if where is None:
        return False
    base, run_id, token = where
    now = int(time.time() * 1000)
    body = {
        "run_id": run_id,
        "metrics": [
            {"key": k, "value": float(v), "timestamp": now, "step": step}
            for k, v in sorted(metrics.items())
        ],
    }
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = base + "/api/2.0/mlflow/runs/log-batch"
    request = urllib.request.Request(
        url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
    )
    # The scheme is checked in tracking(): only http(s) URLs reach urlopen.
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310
            status = response.status
    except urllib.error.HTTPError as error:
        detail = error.read(500).decode("utf-8", "replace").strip()
        raise RuntimeError(f"POST {url} answered {error.code}: {detail}") from None
    except urllib.error.URLError as error:
        raise RuntimeError(f"POST {url} failed: {error.reason}") from None
    if status >= 300:
        raise RuntimeError(f"POST {url} answered {status}")
    return True
