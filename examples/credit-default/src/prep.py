"""Prepare the credit data: read (or synthesise) a CSV, split it into train/test."""
import argparse
import csv
import math
import os
import random

from model import FEATURES, LABEL


def synthesise(rows=2000, seed=42):
    """A deterministic synthetic credit book: a logistic rule plus noise."""
    rng = random.Random(seed)
    data = []
    for _ in range(rows):
        income = round(rng.lognormvariate(10.6, 0.45), 2)
        debt_ratio = round(min(max(rng.gauss(0.35, 0.15), 0.0), 1.5), 4)
        age = rng.randint(21, 75)
        late_payments = min(int(rng.expovariate(1.2)), 9)
        credit_lines = rng.randint(1, 15)
        utilization = round(min(max(rng.gauss(0.4, 0.25), 0.0), 1.0), 4)
        z = (
            -2.2
            - 0.00002 * (income - 40000)
            + 3.0 * (debt_ratio - 0.35)
            - 0.02 * (age - 45)
            + 0.7 * late_payments
            + 1.8 * (utilization - 0.4)
            + rng.gauss(0, 0.5)
        )
        label = 1 if rng.random() < 1 / (1 + math.exp(-z)) else 0
        features = [income, debt_ratio, age, late_payments, credit_lines, utilization]
        data.append(features + [label])
    return data


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        missing = [c for c in FEATURES + [LABEL] if c not in columns]
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(missing)}")
        return [[float(row[c]) for c in FEATURES] + [int(row[LABEL])] for row in reader]


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(FEATURES + [LABEL])
        writer.writerows(rows)


def split(rows, test_fraction=0.2, seed=1):
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    cut = int(len(shuffled) * (1 - test_fraction))
    return shuffled[:cut], shuffled[cut:]


def find_csv(path):
    """A CSV file, or the first CSV in a folder (uri_folder inputs are folders)."""
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.endswith(".csv"))
        if not names:
            raise FileNotFoundError(f"no .csv file in {path}")
        return os.path.join(path, names[0])
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw-data", help="CSV file or folder; synthesised if omitted")
    parser.add_argument("--output", required=True, help="folder for the split")
    parser.add_argument("--test-fraction", type=float, default=0.2)
    args = parser.parse_args(argv)
    rows = read_csv(find_csv(args.raw_data)) if args.raw_data else synthesise()
    train, test = split(rows, args.test_fraction)
    os.makedirs(args.output, exist_ok=True)
    write_csv(os.path.join(args.output, "train.csv"), train)
    write_csv(os.path.join(args.output, "test.csv"), test)
    print(f"prepared {len(train)} training and {len(test)} test rows in {args.output}")


if __name__ == "__main__":
    main()
