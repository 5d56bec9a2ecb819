import os

import pytest

import prep


def test_synthesise_is_deterministic():
    assert prep.synthesise(50) == prep.synthesise(50)


def test_synthesised_rows_are_plausible():
    rows = prep.synthesise(500)
    assert all(len(r) == 7 for r in rows)
    defaults = sum(r[-1] for r in rows)
    assert 0.05 < defaults / len(rows) < 0.5


def test_split_keeps_every_row():
    rows = prep.synthesise(100)
    train, test = prep.split(rows, 0.2)
    assert len(train) == 80 and len(test) == 20
    assert sorted(train + test) == sorted(rows)


def test_main_writes_train_and_test(tmp_path):
    prep.main(["--output", str(tmp_path)])
    assert os.path.exists(tmp_path / "train.csv")
    assert len(prep.read_csv(str(tmp_path / "test.csv"))) == 400


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("income,age\n1,2\n")
    with pytest.raises(ValueError, match="missing columns debt_ratio"):
        prep.read_csv(str(path))
