"""The benchmark and demo commands: tables, files, plots and argument errors (tiny runs)."""

import sys

import numpy as np
import pandas as pd
import pytest

from fairrep import ForgettingClassifier

from fairrep.__main__ import main
from fairrep.benchmark import run_benchmark, run_demo
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


def _fails(*args, **kwargs):
    raise AssertionError("trained or loaded data before checking for matplotlib")


def test_plots_without_matplotlib_fail_before_training(tmp_path, monkeypatch, capsys):
    from fairrep.benchmark import _run

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    monkeypatch.setattr(_run, "_method_estimator", _fails)
    monkeypatch.setitem(_run.DATASETS, "german", _fails)
    code = main(["benchmark", "--plots", str(tmp_path / "plots"), "--quick", "--datasets",
                 "german", "--methods", "plain", "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "fairrep[bench]"' in err
    with pytest.raises(ImportError, match=r"fairrep\[bench\]"):
        run_benchmark(methods=["plain"], datasets=["german"], quick=True, plots=tmp_path,
                      progress=False, print_fn=lambda *a: None)
    assert not (tmp_path / "plots").exists()


@pytest.mark.parametrize("command, expected", [
    ("benchmark", ["adult, german, rotated_digits", "plain", "fairlearn_adversarial",
                   "(default: benchmark_results)", "(default: 30;", "(default: 0)",
                   "(default: all of them", 'pip install "fairrep[bench]"', "--frontier",
                   "frontier.csv", "Pareto front", "fairlearn_reduction",
                   "with --frontier --quick german"]),
    ("demo", ["(default: 30)", "(default: 0)", "(default: cpu)", "(default: fairrep-demo,"]),
])
def test_help_lists_choices_and_defaults(command, expected, monkeypatch, capsys):
    from fairrep.methods import available_methods

    monkeypatch.setenv("COLUMNS", "400")  # argparse wraps at the terminal's width
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    if command == "benchmark":
        expected = expected + list(available_methods())
    for text in expected:
        assert text in out, text


def test_pareto_front_on_hand_made_points():
    from fairrep.benchmark._frontier import mark_front

    points = pd.DataFrame({
        "dataset": ["a"] * 7 + ["b"] * 2,
        "A_y": [0.80, 0.80, 0.75, 0.75, 0.70, 0.74, 0.90, 0.60, 0.50],
        "DP_gap": [0.10, 0.10, 0.02, 0.03, 0.00, 0.02, np.nan, 0.20, 0.10],
    })
    # 0, 1: equal, neither dominates the other; 3: same accuracy as 2 with a larger gap;
    # 5: same gap as 2 with a lower accuracy; 6: no gap, off the front and not counted (it
    # would dominate 0 and 1); data set b has its own front
    assert mark_front(points).tolist() == [True, True, True, False, True, False, False,
                                           True, True]


@pytest.fixture
def small_german(monkeypatch):
    """German cut to 300 training and 150 test rows, for the frontier."""
    from fairrep.benchmark import _run

    full = _run.DATASETS["german"]

    def load(quick, random_state):
        data = full(quick, random_state)
        return _run.BenchmarkData("german", data.X_train[:300], data.y_train[:300],
                                  data.s_train[:300], data.X_test[:150], data.y_test[:150],
                                  data.s_test[:150])

    monkeypatch.setitem(_run.DATASETS, "german", load)


def test_frontier_command_writes_the_table_and_a_figure(small_german, tmp_path, monkeypatch,
                                                        capsys):
    pytest.importorskip("matplotlib")
    from fairrep import MMDClassifier
    from fairrep import model_selection
    from fairrep.benchmark import _frontier
    from fairrep.benchmark._provenance import read_csv

    monkeypatch.setattr(model_selection, "_STRENGTH_FACTORS", (1.0,))  # strengths 0, default
    argv = ["benchmark", "--frontier", "--quick", "--datasets", "german", "--methods", "mmd",
            "--max-epochs", "1", "--output", str(tmp_path), "--plots", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "| dataset | method | strength | A_y | DP_gap |" in out
    table = read_csv(tmp_path / "frontier.csv")
    assert list(table.columns) == _frontier.FRONT_COLUMNS
    assert list(table["strength"]) == [0.0, MMDClassifier().mmd_weight]
    assert set(table["method"]) == {"mmd"} and set(table["strength_param"]) == {"mmd_weight"}
    assert table[["A_y", "DP_gap", "EO_gap", "rho_s"]].apply(
        lambda c: c.between(0, 1)).all().all()
    assert (table["n_seeds"] == 1).all() and table["pareto"].any()
    runs = read_csv(tmp_path / "frontier_runs.csv")
    assert list(runs.columns) == _frontier.RUN_COLUMNS and len(runs) == 2
    head = (tmp_path / "frontier.csv").read_text().splitlines()[:4]
    assert head[0] == "# command: python -m fairrep " + " ".join(argv)
    assert [line.split(":")[0] for line in head[1:]] == ["# date", "# machine", "# versions"]
    assert (tmp_path / "frontier_german.png").stat().st_size > 0
    md = (tmp_path / "frontier.md").read_text()
    assert md.startswith("<!-- command: python -m fairrep " + " ".join(argv) + " | date: ")
    assert "seeds per data set: german 1" in md
    assert "| dataset | method | strength | A_y | DP_gap |" in md
    # --resume reads both fits back and fits nothing
    monkeypatch.setattr(_frontier, "_fit_point", _fails)
    assert main([*argv, "--resume"]) == 0
    pd.testing.assert_frame_equal(read_csv(tmp_path / "frontier.csv"), table)


def test_a_diverging_point_is_left_out_and_the_sweep_goes_on(small_german, tmp_path,
                                                             monkeypatch, capsys):
    """One point whose training diverges must not end a sweep of hours: it is recorded
    without figures (so --resume does not fit it again), left out of frontier.csv and the
    front, and named in the printout and in frontier.md."""
    from fairrep import MMDClassifier, TrainingDivergedError
    from fairrep import model_selection
    from fairrep.benchmark import _frontier
    from fairrep.benchmark._provenance import read_csv

    monkeypatch.setattr(model_selection, "_STRENGTH_FACTORS", (1.0,))  # strengths 0, default
    fit_point = _frontier._fit_point

    def diverges_at_zero(data, method, param, strength, **kw):
        if strength == 0:
            raise TrainingDivergedError("the 'mmd' loss is inf")
        return fit_point(data, method, param, strength, **kw)

    monkeypatch.setattr(_frontier, "_fit_point", diverges_at_zero)
    argv = ["benchmark", "--frontier", "--quick", "--datasets", "german", "--methods", "mmd",
            "--max-epochs", "1", "--output", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "german / mmd mmd_weight=0 / seed 0: training diverged (the 'mmd' loss is inf)" in out
    runs = read_csv(tmp_path / "frontier_runs.csv")
    assert len(runs) == 2 and runs.loc[runs["strength"] == 0, "A_y"].isna().all()
    table = read_csv(tmp_path / "frontier.csv")
    assert list(table["strength"]) == [MMDClassifier().mmd_weight]  # the other point
    assert table["A_y"].notna().all() and (table["n_seeds"] == 1).all()
    md = (tmp_path / "frontier.md").read_text()
    assert "Left out, training diverged (TrainingDivergedError): german / mmd mmd_weight=0" in md
    # --resume keeps the diverged fit as done: nothing is fitted again
    monkeypatch.setattr(_frontier, "_fit_point", _fails)
    assert main([*argv, "--resume"]) == 0
    pd.testing.assert_frame_equal(read_csv(tmp_path / "frontier.csv"), table)


@pytest.mark.parametrize("kw, match", [
    ({"datasets": ["rotated_digits"]}, "it needs a binary task"),
    ({"methods": ["cpvae"]}, "no classifier with a strength to sweep"),
])
def test_frontier_rejects_what_it_cannot_sweep(kw, match):
    from fairrep.benchmark import run_frontier

    with pytest.raises(ValueError, match=match):
        run_frontier(**{"methods": ["mmd"], "datasets": ["german"], "progress": False, **kw})


@pytest.fixture
def small_adult(monkeypatch):
    """The demo on the first 400 / 200 rows of Adult: seconds, not minutes."""
    from sklearn.utils import Bunch

    from fairrep.benchmark import _demo
    from fairrep.datasets import load_adult

    def load(**kw):
        full = load_adult(**kw)
        n = 400 if kw["subset"] == "train" else 200
        return Bunch(data=full.data[:n], target=full.target[:n], sensitive=full.sensitive[:n])

    monkeypatch.setattr(_demo, "load_adult", load)


def test_demo_shows_stages_labels_table_reading_and_writes_files(small_adult, tmp_path,
                                                                  capsys):
    pytest.importorskip("matplotlib")
    from fairrep.benchmark._demo import FORGETTING_LABEL, PLAIN_LABEL

    assert main(["demo", "--max-epochs", "1", "--output", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    out = captured.out
    for label in (PLAIN_LABEL, FORGETTING_LABEL):  # each fit's bar has its own label
        assert f"{label}: 100%" in captured.err
        assert f"{label}: scoring: probe of s on Z" in out
    assert "ForgettingClassifier" not in captured.err
    assert "[2/2] Adversarial Forgetting: trained in" in out
    assert "acc  probe  bal.probe  DP gap  fit s  score s" in out
    assert "bal.probe: the same probe class-weighted" in " ".join(out.split())
    table = pd.read_csv(tmp_path / "demo.csv", index_col="model")
    assert list(table.index) == [PLAIN_LABEL, FORGETTING_LABEL]
    assert {"A_y", "A_s", "A_s_bal", "majority_s", "DP_gap", "fit_seconds"} <= set(table)
    plain, forget = table.loc[PLAIN_LABEL], table.loc[FORGETTING_LABEL]
    # the reading's numbers are the table's
    assert f"accuracy {forget['A_y']:.3f} vs {plain['A_y']:.3f}" in out
    assert f"s left in Z: a probe reads {forget['A_s']:.3f} vs {plain['A_s']:.3f}" in out
    assert (tmp_path / "demo.png").stat().st_size > 0
    assert f"wrote {tmp_path / 'demo.csv'} and {tmp_path / 'demo.png'}" in out


def test_demo_without_matplotlib_writes_the_table_and_says_why_no_figure(
        small_adult, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    lines = []
    table = run_demo(max_epochs=1, verbose=0, output=tmp_path, print_fn=lines.append)
    text = "\n".join(lines)
    assert 'pip install "fairrep[bench]"' in text and "[1/2]" not in text  # quiet: no stages
    assert (tmp_path / "demo.csv").exists() and not (tmp_path / "demo.png").exists()
    assert len(table) == 2


def test_demo_reading_follows_the_numbers():
    from fairrep.benchmark._demo import FORGETTING_LABEL, PLAIN_LABEL, reading

    def table(acc, dp):
        return pd.DataFrame({"A_y": acc, "A_s": [0.84, 0.70], "A_s_bal": [0.82, 0.66],
                             "majority_s": [0.675, 0.675], "DP_gap": dp},
                            index=[PLAIN_LABEL, FORGETTING_LABEL])

    first, second = reading(table([0.8504, 0.8296], [0.18, 0.05])).split("\n")
    # differences of the printed (rounded) numbers
    assert first.endswith("accuracy 0.830 vs 0.850 (2.0 points lost), "
                          "DP gap 0.050 vs 0.180 (72% smaller).")
    assert second == ("s left in Z: a probe reads 0.700 vs 0.840 (majority share 0.675 = none "
                      "left); class-weighted, 0.660 vs 0.820 (chance 0.500).")
    gained = reading(table([0.80, 0.81], [0.10, 0.12]))
    assert "(1.0 points gained)" in gained and "(20% larger)" in gained
    assert "accuracy 0.800 vs 0.800 (kept)" in reading(table([0.80, 0.8003], [0.1, 0.1]))
