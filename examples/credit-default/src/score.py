"""Scoring script for an Azure ML online deployment (init/run inference contract)."""
import json
import math
import os

from evaluate import find_model
from model import Model

model = None


def init():
    """Called once when the deployment starts; the model folder is AZUREML_MODEL_DIR."""
    global model
    folder = os.environ.get("AZUREML_MODEL_DIR", "")
    if not folder:
        raise RuntimeError("AZUREML_MODEL_DIR is not set")
    model = Model.load(find_model(folder))


def _rows(payload):
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list) or not data:
        raise ValueError('expected {"data": [[...feature values...], ...]}')
    rows = []
    for item in data:
        if isinstance(item, dict):
            missing = [f for f in model.features if f not in item]
            if missing:
                raise ValueError(f"row is missing {', '.join(missing)}")
            item = [item[f] for f in model.features]
        if len(item) != len(model.features):
            names = ", ".join(model.features)
            raise ValueError(f"each row needs {len(model.features)} values: {names}")
        values = [float(v) for v in item]
        if not all(math.isfinite(v) for v in values):
            raise ValueError("feature values must be finite numbers")
        rows.append(values)
    return rows


def run(raw_data):
    """Scores rows; bad input gets an error object, not a failed request."""
    if model is None:
        return {"error": "the model is not loaded: init() has not run"}
    try:
        rows = _rows(json.loads(raw_data))
    except (ValueError, TypeError) as error:
        return {"error": str(error)}
    probabilities = [round(model.probability(r), 6) for r in rows]
    predictions = [1 if p >= 0.5 else 0 for p in probabilities]
    return {"predictions": predictions, "probabilities": probabilities}
