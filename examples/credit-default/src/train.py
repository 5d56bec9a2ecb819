"""Train the credit-default model, write model.json, log metrics to MLflow in a job."""
import argparse
import csv
import os
import sys

import mlflow_rest
from model import FEATURES, LABEL, evaluate, fit
from prep import find_csv, read_csv, split


def load_split(path):
    """train.csv and test.csv from a prepared folder, or a raw CSV split here."""
    prepared = os.path.join(path, "train.csv")
    if os.path.isdir(path) and os.path.exists(prepared):
        test = os.path.join(path, "test.csv")
        return read_prepared(prepared), read_prepared(test)
    return split(read_csv(find_csv(path)))


def read_prepared(path):
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return [
            [float(r[c]) for c in FEATURES] + [int(float(r[LABEL]))] for r in reader
        ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--training-data", required=True, help="folder or CSV")
    parser.add_argument("--model-output", required=True, help="folder for model.json")
    parser.add_argument("--learning-rate", type=float, default=0.5)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args(argv)

    train, test = load_split(args.training_data)
    features, labels = [r[:-1] for r in train], [r[-1] for r in train]
    model = fit(features, labels, args.learning_rate, args.epochs)
    metrics = evaluate(model, [r[:-1] for r in test], [r[-1] for r in test])
    os.makedirs(args.model_output, exist_ok=True)
    model.save(os.path.join(args.model_output, "model.json"))
    for name, value in sorted(metrics.items()):
        print(f"{name}: {value:.4f}")
    try:
        if mlflow_rest.log_metrics(metrics):
            print("metrics logged to MLflow")
    except Exception as error:  # a job fails loudly when its metrics are lost
        print(f"could not log metrics to MLflow: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
