"""Evaluate a trained model on the prepared test split and write metrics.json."""
import argparse
import json
import os
import sys

import mlflow_rest
from model import Model, evaluate
from train import read_prepared


def find_model(folder):
    """model.json in the folder or one level below it (<name>/<file> mounts)."""
    direct = os.path.join(folder, "model.json")
    if os.path.exists(direct):
        return direct
    for name in sorted(os.listdir(folder)):
        candidate = os.path.join(folder, name, "model.json")
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError(f"no model.json in {folder}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--test-data", required=True, help="folder with test.csv")
    parser.add_argument("--report", required=True, help="folder for metrics.json")
    args = parser.parse_args(argv)
    model = Model.load(find_model(args.model))
    rows = read_prepared(os.path.join(args.test_data, "test.csv"))
    metrics = evaluate(model, [r[:-1] for r in rows], [r[-1] for r in rows])
    os.makedirs(args.report, exist_ok=True)
    report = os.path.join(args.report, "metrics.json")
    with open(report, "w", encoding="utf-8") as fh:
        json.dump(metrics, fh, indent=2)
    print(json.dumps(metrics))
    mlflow_rest.log_metrics({f"test_{k}": v for k, v in metrics.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
