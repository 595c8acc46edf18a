"""Every script of ``benchmarks/`` runs to the end (tiny settings, exit code 0).

No other test runs these scripts, so one could break unseen (an import that moved, a renamed
parameter). Each runs once in a subprocess from the repository root, with one thread and the
smallest settings its own flags allow; whatever it writes goes under pytest's ``tmp_path``
(never into ``benchmarks/results/`` or ``docs/``), and where it writes a results file or a
figure, the file must exist. ``SCRIPTS`` must name every ``benchmarks/*.py``, so a new script
needs an entry here (``--help`` only where no flag makes a run short). About two minutes on
2 CPU cores.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"

#: script -> its arguments; ``{tmp}`` is replaced by the test's ``tmp_path``
SCRIPTS = {
    "bench_training_loop.py": ["--epochs", "1", "--batch-size", "4096",
                               "--adversary-steps", "1", "--threads", "1"],
    "cpvae_digits.py": ["--seeds", "0", "--epochs", "1", "--table1-epochs", "1",
                        "--hidden", "16", "--batch-size", "256", "--n-importance-samples", "2",
                        "--plots", "{tmp}/plots", "--threads", "1"],
    "cpvae_importance_samples.py": ["--seed", "0", "--epochs", "1", "--samples", "2",
                                    "--threads", "1"],
    "fair_classifier_frontier.py": ["--lam", "0.5", "--hidden", "8", "--bins", "5",
                                    "--epochs", "1", "--threads", "1"],
    "fairness_bound.py": ["--tables", "german", "--methods", "gradient_reversal", "--seeds", "0",
                          "--threads", "1", "--output", "{tmp}/out"],
    "forgetting_rotated.py": ["--adversary-weight", "1", "--precision", "1.0",
                              "--n-components", "4", "--hidden", "16", "--max-epochs", "1",
                              "--seeds", "0", "--n-source", "200",
                              "--plot", "{tmp}/tradeoff.png"],
    "forgetting_tabular.py": ["--dataset", "german", "--seeds", "0", "--max-epochs", "1",
                              "--batch-size", "64", "--threads", "1"],
    "information_dropout_beta.py": ["--seeds", "0", "--betas", "1", "--epochs", "1",
                                    "--widths", "8", "--vae-epochs", "1",
                                    "--plot", "{tmp}/beta.png", "--threads", "1"],
    "invertible_digits.py": ["--seeds", "0", "--max-epochs", "1", "--batch-size", "256",
                             "--n-blocks", "1", "--hidden", "4", "--adversary-steps", "1",
                             "--shift", "binary", "--threads", "1", "--output", "{tmp}/out"],
    "classifier_tables.py": ["--tables", "german", "--seeds", "0", "--max-epochs", "1",
                             "--variants", "defaults", "neither", "--threads", "1",
                             "--output", "{tmp}/out"],
    "max_correlation_noise.py": ["--sensitive", "sex", "--max-epochs", "1", "--restarts", "1",
                                 "--param", "n_slices=10"],
    # --help only: even its smallest run (--rows 640, 10 steps) takes about 80 s, nearly all
    # in the first fit's lazy torch imports under tracemalloc and the snapshot comparison
    "memory_per_step.py": ["--help"],
    "parity_accuracy_bound.py": ["--sensitive", "sex", "--eps", "0.1", "--model", "logreg"],
    "representation_dependence.py": ["--tables", "german", "--seeds", "0", "--restarts", "1",
                                     "--param", "sliced_infomin:max_epochs=1",
                                     "--param", "sliced_infomin:n_slices=10", "--threads", "1",
                                     "--output", "{tmp}/out"],
    "robust_defaults.py": ["--tables", "german", "--recipes", "standard", "--sensitive", "sex",
                           "--methods", "gradient_reversal", "--seeds", "0", "--threads", "1",
                           "--param", "gradient_reversal:max_epochs=1",
                           "--output", "{tmp}/out"],
    "scaling.py": ["--sizes", "2000", "--features", "30", "--methods", "forgetting",
                   "--inputs", "memmap", "--epochs", "1", "--batch-size", "256",
                   "--threads", "1", "--output", "{tmp}/out", "--data-dir", "{tmp}"],
    "shift_digits_check.py": ["--seed", "0", "--max-iter", "3"],
    "slice_step_timing.py": ["--rows", "200", "--n-slices", "10", "--repeats", "1"],
    "sliced_infomin_adult.py": ["--sensitive", "sex", "--no-baseline", "--max-epochs", "1",
                                "--n-slices", "10", "--batch-size", "1000", "--n-eval", "500",
                                "--repeats", "1", "--threads", "1"],
    "variational_baselines_adult.py": ["--methods", "cvib", "--cvib", "0.1", "--seeds", "0",
                                       "--max-epochs", "1", "--batch-size", "1024",
                                       "--threads", "1"],
}

#: script -> the files (globs under ``tmp_path``) it must have written
OUTPUTS = {
    "cpvae_digits.py": ["plots/reconstructions_*.png"],
    "fairness_bound.py": ["out/runs.csv", "out/summary.md", "out/summary.rst"],
    "forgetting_rotated.py": ["tradeoff.png"],
    "information_dropout_beta.py": ["beta.png"],
    "invertible_digits.py": ["out/runs.csv", "out/summary.md", "out/summary.rst"],
    "classifier_tables.py": ["out/runs.csv", "out/summary.md", "out/summary.rst"],
    "representation_dependence.py": ["out/runs.csv", "out/summary.md"],
    "robust_defaults.py": ["out/runs.csv", "out/summary.csv", "out/summary.md",
                           "out/methods.md", "out/methods.rst"],
    "scaling.py": ["out/scaling.csv"],
}

#: script -> optional packages its run above needs (skipped without them)
NEEDS = {
    "cpvae_digits.py": ["matplotlib"],  # --plots
    "forgetting_rotated.py": ["matplotlib"],  # --plot
    "information_dropout_beta.py": ["matplotlib"],  # --plot (else it skips the figure)
    "robust_defaults.py": ["fairlearn"],  # fairlearn's adversarial reference fit
    "scaling.py": ["tabulate"],  # pandas' to_markdown
}


def test_every_benchmark_script_has_a_smoke_run():
    scripts = sorted(path.name for path in BENCHMARKS.glob("*.py"))
    assert scripts == sorted(SCRIPTS), "add the new benchmarks/*.py to SCRIPTS"
    assert set(OUTPUTS) <= set(SCRIPTS) and set(NEEDS) <= set(SCRIPTS)


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_benchmark_script_runs(script, tmp_path):
    for module in NEEDS.get(script, []):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{script} needs {module}")
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in SCRIPTS[script]]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg",
           "PYTHONDONTWRITEBYTECODE": "1"}  # no benchmarks/__pycache__ from their imports
    result = subprocess.run([sys.executable, str(Path("benchmarks") / script), *args],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for pattern in OUTPUTS.get(script, []):
        assert sorted(tmp_path.glob(pattern)), f"{script} wrote no {pattern}"
