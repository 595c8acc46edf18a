"""The benchmark command: tables, files, plots and argument errors (tiny runs)."""

import numpy as np
import pandas as pd
import pytest

from fairrep import ForgettingClassifier

from fairrep.__main__ import main
from fairrep.benchmark import run_benchmark
from fairrep.benchmark._plots import tradeoff_curve
from fairrep.benchmark._run import DATASETS, format_markdown


@pytest.fixture(scope="module")
def german_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    runs, summary = run_benchmark(methods=["plain", "forgetting"], datasets=["german"],
                                  seeds=[0, 1], quick=True, max_epochs=2, output=out,
                                  progress=False, print_fn=lambda *a: None)
    return out, runs, summary


def test_runs_one_row_per_dataset_method_seed(german_run):
    _, runs, _ = german_run
    assert len(runs) == 4
    assert set(runs["method"]) == {"plain", "forgetting"}
    for column in ["A_y", "A_s", "A_s_optimum", "rho_s"]:
        assert runs[column].between(0, 1).all(), column
    assert (runs["fit_s"] > 0).all()


def test_summary_is_mean_and_std_over_seeds(german_run):
    _, runs, summary = german_run
    forgetting = runs[runs["method"] == "forgetting"]
    assert summary.loc[("german", "forgetting"), ("mean", "A_y")] == pytest.approx(
        forgetting["A_y"].mean())
    assert summary.loc[("german", "forgetting"), ("std", "A_s")] == pytest.approx(
        forgetting["A_s"].std(ddof=0))
    assert summary.loc[("german", "forgetting"), ("n_seeds", "")] == 2


def test_writes_csv_and_markdown(german_run):
    out, runs, summary = german_run
    assert pd.read_csv(out / "results.csv").shape == runs.shape
    markdown = (out / "summary.md").read_text()
    assert markdown.startswith("| dataset | method | A_y | A_s | A_s_optimum")
    assert "| german | forgetting |" in markdown and "±" in markdown
    assert markdown.strip() == format_markdown(summary)


def test_same_seed_same_numbers():
    kw = dict(methods=["forgetting"], datasets=["german"], seeds=[3], quick=True, max_epochs=1,
              progress=False, print_fn=lambda *a: None)
    first, _ = run_benchmark(**kw)
    second, _ = run_benchmark(**kw)
    pd.testing.assert_frame_equal(first.drop(columns="fit_s"), second.drop(columns="fit_s"))


def test_fairlearn_peer_row():
    pytest.importorskip("fairlearn")
    runs, _ = run_benchmark(methods=["fairlearn_adversarial"], datasets=["german"], seeds=[0],
                            quick=True, max_epochs=1, progress=False, print_fn=lambda *a: None)
    row = runs.iloc[0]
    assert 0 <= row["A_y"] <= 1 and np.isnan(row.get("A_s", np.nan))


@pytest.mark.parametrize("kw, match", [
    ({"methods": ["forgeting"]}, "--methods got 'forgeting'"),
    ({"datasets": ["mnist"]}, "--datasets got 'mnist'"),
])
def test_unknown_names_are_value_errors(kw, match):
    args = dict(methods=["plain"], datasets=["german"], quick=True, progress=False,
                print_fn=lambda *a: None)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        run_benchmark(**args)


def test_command_line(tmp_path, capsys):
    code = main(["benchmark", "--quick", "--datasets", "german,", "--methods", "plain",
                 "--max-epochs", "1", "--output", str(tmp_path), "--quiet"])
    assert code == 0
    assert "| german | plain |" in capsys.readouterr().out
    assert (tmp_path / "summary.csv").exists()
    assert main(["benchmark", "--methods", "nope", "--quiet"]) == 2
    assert "--methods got 'nope'" in capsys.readouterr().err


def test_plots(tmp_path):
    pytest.importorskip("matplotlib")
    run_benchmark(methods=["plain", "forgetting"], datasets=["german"], seeds=[0], quick=True,
                  max_epochs=1, plots=tmp_path, progress=False, print_fn=lambda *a: None)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"tsne_german_plain.png", "tsne_german_forgetting.png", "tradeoff_german.png",
            "tradeoff_german.csv"} <= names


def test_tradeoff_curve_sweeps_the_strength():
    data = DATASETS["german"](True, 0)
    curve = tradeoff_curve("forgetting", data, factors=(0.0, 1.0), max_epochs=1)
    assert list(curve["strength"]) == [0.0, ForgettingClassifier().adversary_weight]
    assert curve[["A_y", "A_s"]].apply(lambda c: c.between(0, 1)).all().all()


def test_rotated_digits_dataset_in_the_table():
    runs, _ = run_benchmark(methods=["plain"], datasets=["rotated_digits"], seeds=[0],
                            quick=True, max_epochs=1, progress=False, print_fn=lambda *a: None)
    row = runs.iloc[0]
    assert row["A_s_optimum"] == pytest.approx(0.2, abs=0.02)  # five angles, balanced
    assert np.isnan(row["DP_gap"])  # ten classes: no binary parity gap


def test_interrupted_run_resumes_where_it_stopped(tmp_path, monkeypatch):
    from fairrep.benchmark import _run

    kw = dict(methods=["plain", "forgetting"], datasets=["german"], seeds=[0], quick=True,
              max_epochs=1, output=tmp_path, progress=False, print_fn=lambda *a: None)
    fitted, original = [], _run._method_estimator

    def interrupted(method, **params):
        if method == "forgetting":
            raise KeyboardInterrupt
        fitted.append(method)
        return original(method, **params)

    monkeypatch.setattr(_run, "_method_estimator", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(**kw)
    written = pd.read_csv(tmp_path / "results.csv")
    assert list(written["method"]) == ["plain"]  # the finished run is on disk

    def counting(method, **params):
        fitted.append(method)
        return original(method, **params)

    monkeypatch.setattr(_run, "_method_estimator", counting)
    fitted.clear()
    runs, _ = run_benchmark(resume=True, **kw)
    assert fitted == ["forgetting"]  # plain is read back, not refitted
    # interrupted again during a resumed run: the rows read back are still in the file
    def interrupted_second(method, **params):
        if method == "mmd":
            raise KeyboardInterrupt
        return original(method, **params)

    monkeypatch.setattr(_run, "_method_estimator", interrupted_second)
    with pytest.raises(KeyboardInterrupt):  # one new run written, then stopped before the rest
        run_benchmark(resume=True, **{**kw, "methods": ["hsic", "mmd", "plain", "forgetting"]})
    assert set(pd.read_csv(tmp_path / "results.csv")["method"]) == {"hsic", "plain",
                                                                     "forgetting"}
    monkeypatch.setattr(_run, "_method_estimator", counting)
    fitted.clear()
    assert list(runs["method"]) == ["plain", "forgetting"]
    assert runs.iloc[0]["A_s"] == written.iloc[0]["A_s"]
    # a resumed run asked for one method keeps the others' rows in the file and the table
    run_benchmark(resume=True, **{**kw, "methods": ["hsic"]})
    assert fitted == []  # hsic was written by the interrupted run
    assert set(pd.read_csv(tmp_path / "results.csv")["method"]) == {"hsic", "plain",
                                                                     "forgetting"}
    table = (tmp_path / "summary.md").read_text()
    assert all(f"| {m} |" in table for m in ("hsic", "plain", "forgetting"))
    fitted.clear()
    runs, _ = run_benchmark(resume=True, **{**kw, "max_epochs": 2})  # other settings: refit
    assert fitted == ["plain", "forgetting"]
    assert list(runs["epochs"]) == [2, 2]
    kept = pd.read_csv(tmp_path / "results.csv")  # the 1-epoch rows stay in the file
    assert list(kept["epochs"]) == [1, 1, 1, 2, 2]


def test_resume_needs_an_output_directory():
    with pytest.raises(ValueError, match="resume=True needs output"):
        run_benchmark(methods=["plain"], datasets=["german"], quick=True, resume=True,
                      progress=False, print_fn=lambda *a: None)


def test_every_registered_method_has_a_row():
    from fairrep.benchmark import default_methods
    from fairrep.methods import available_methods

    assert set(available_methods()) <= set(default_methods())
    # the CPVAE predicts no y: its A_y is a logistic regression's on its shared code
    runs, _ = run_benchmark(methods=["cpvae"], datasets=["german"], seeds=[0], quick=True,
                            max_epochs=1, progress=False, print_fn=lambda *a: None)
    row = runs.iloc[0]
    assert 0.5 <= row["A_y"] <= 1 and 0 <= row["A_s"] <= 1
