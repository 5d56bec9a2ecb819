import json

import pytest

import score
from model import fit
from prep import synthesise


@pytest.fixture
def deployed(tmp_path, monkeypatch):
    rows = synthesise(300)
    model = fit([r[:-1] for r in rows], [r[-1] for r in rows], 0.5, 50)
    folder = tmp_path / "credit-default" / "1"
    folder.mkdir(parents=True)
    model.save(str(folder / "model.json"))
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(tmp_path / "credit-default"))
    score.init()
    return model


def test_scores_rows(deployed):
    rows = [[42000, 0.3, 40, 0, 5, 0.2], [18000, 0.9, 23, 6, 2, 0.95]]
    answer = score.run(json.dumps({"data": rows}))
    assert answer["predictions"] == [deployed.predict(r) for r in rows]
    assert answer["probabilities"][1] > answer["probabilities"][0]


def test_accepts_named_features(deployed):
    row = dict(zip(deployed.features, [42000, 0.3, 40, 0, 5, 0.2]))
    assert len(score.run(json.dumps({"data": [row]}))["predictions"]) == 1


def test_bad_input_is_an_answer_not_a_crash(deployed):
    assert "error" in score.run(json.dumps({"rows": []}))
    assert "needs 6 values" in score.run(json.dumps({"data": [[1, 2]]}))["error"]
    assert "error" in score.run("not json")


def test_the_sample_request_scores(deployed):
    with open(__file__.replace("tests/test_score.py", "test.json")) as fh:
        answer = score.run(fh.read())
    assert len(answer["predictions"]) == 3


def test_non_finite_values_are_refused(deployed):
    answer = score.run('{"data": [[NaN, 0.3, 40, 0, 5, 0.2]]}')
    assert answer == {"error": "feature values must be finite numbers"}


def test_run_before_init_is_an_error(monkeypatch):
    monkeypatch.setattr(score, "model", None)
    assert "init()" in score.run(json.dumps({"data": [[1, 2, 3, 4, 5, 6]]}))["error"]
