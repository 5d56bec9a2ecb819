"""Logistic regression with the standard library only: fit, predict, save, load."""
import json
import math
import random

FEATURES = [
    "income", "debt_ratio", "age", "late_payments", "credit_lines", "utilization",
]
LABEL = "default"


def _sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def standardise(rows):
    """Per-feature mean and standard deviation of a list of feature rows."""
    n = len(rows)
    means = [sum(r[i] for r in rows) / n for i in range(len(rows[0]))]
    stds = []
    for i, m in enumerate(means):
        var = sum((r[i] - m) ** 2 for r in rows) / n
        stds.append(math.sqrt(var) or 1.0)
    return means, stds


class Model:
    def __init__(self, weights, bias, means, stds, features=None):
        self.weights = weights
        self.bias = bias
        self.means = means
        self.stds = stds
        self.features = features or list(FEATURES)

    def _scaled(self, row):
        return [(x - m) / s for x, m, s in zip(row, self.means, self.stds)]

    def probability(self, row):
        z = self.bias + sum(w * x for w, x in zip(self.weights, self._scaled(row)))
        return _sigmoid(z)

    def predict(self, row, threshold=0.5):
        return 1 if self.probability(row) >= threshold else 0

    def to_dict(self):
        return {
            "type": "logistic_regression",
            "features": self.features,
            "weights": self.weights,
            "bias": self.bias,
            "means": self.means,
            "stds": self.stds,
        }

    def save(self, path):
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=2)

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as fh:
            d = json.load(fh)
        return cls(d["weights"], d["bias"], d["means"], d["stds"], d["features"])


def fit(rows, labels, learning_rate=0.1, epochs=300, seed=7):
    """Batch gradient descent on the log loss."""
    means, stds = standardise(rows)
    model = Model([0.0] * len(rows[0]), 0.0, means, stds)
    scaled = [model._scaled(r) for r in rows]
    rng = random.Random(seed)
    model.weights = [rng.uniform(-0.01, 0.01) for _ in model.weights]
    n = len(rows)
    for _ in range(epochs):
        grad_w = [0.0] * len(model.weights)
        grad_b = 0.0
        for x, y in zip(scaled, labels):
            z = model.bias + sum(w * xi for w, xi in zip(model.weights, x))
            err = _sigmoid(z) - y
            for i, xi in enumerate(x):
                grad_w[i] += err * xi
            grad_b += err
        model.weights = [
            w - learning_rate * g / n for w, g in zip(model.weights, grad_w)
        ]
        model.bias -= learning_rate * grad_b / n
    return model


def evaluate(model, rows, labels):
    """Accuracy, precision, recall and ROC AUC on a labelled set."""
    probs = [model.probability(r) for r in rows]
    preds = [1 if p >= 0.5 else 0 for p in probs]
    tp = sum(1 for p, y in zip(preds, labels) if p == 1 and y == 1)
    fp = sum(1 for p, y in zip(preds, labels) if p == 1 and y == 0)
    fn = sum(1 for p, y in zip(preds, labels) if p == 0 and y == 1)
    correct = sum(1 for p, y in zip(preds, labels) if p == y)
    return {
        "accuracy": correct / len(labels),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "auc": auc(probs, labels),
    }


def auc(scores, labels):
    """ROC AUC as the probability a positive outranks a negative (ties count half)."""
    ranked = sorted(zip(scores, labels))
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return 0.0
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2
        rank_sum += mean_rank * sum(1 for k in range(i, j) if ranked[k][1] == 1)
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
