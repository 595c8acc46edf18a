"""``python -m fairrep demo``: Adversarial Forgetting on Adult (s = sex) against a plain net.

It prints a line per stage (and a progress bar per fit), a table with a legend, a two-line
reading of it, and writes the table (``demo.csv``) and a bar chart of it (``demo.png``, with
matplotlib) to its output directory.
"""

from __future__ import annotations

import functools
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .._training import progress_label
from ..datasets import load_adult
from ..metrics import demographic_parity_difference, majority_share, probe_accuracy
from ..methods import ForgettingClassifier

PLAIN_LABEL = "plain network (no invariance)"
FORGETTING_LABEL = "Adversarial Forgetting"
#: The printed table's short column names for :func:`evaluate_classifier`'s keys.
SHORT_NAMES = {"A_y": "acc", "A_s": "probe", "A_s_bal": "bal.probe", "DP_gap": "DP gap",
               "fit_seconds": "fit s", "score_seconds": "score s"}
LEGEND = (
    "acc: test accuracy of y (income > 50K). probe: test accuracy of an MLP that predicts s "
    "from the representation Z ({majority:.3f}, the majority share of s, when Z holds no s). "
    "bal.probe: the same probe class-weighted, its balanced accuracy ({chance:.3f} = chance). "
    "DP gap: demographic-parity difference, the gap in positive-prediction rate between the "
    "sexes. fit s / score s: seconds of training / of scoring (mostly the two probes)."
)
FIGURE_NEEDS_MATPLOTLIB = 'no figure: it needs matplotlib, pip install "fairrep[bench]"'


def evaluate_classifier(clf, train, test, *, random_state=0, stage=None):
    """The forgetting paper's figures for a fitted fairrep classifier.

    Parameters
    ----------
    clf : fitted fairrep classifier with ``transform``
    train, test : Bunch
        ``data``, ``target`` and ``sensitive`` of the training and test split.

    Returns
    -------
    dict
        ``A_y`` (test accuracy of the classifier), ``A_s`` (test accuracy of a post-hoc
        two-layer MLP probe of s trained on the training representation), ``majority_s`` (the
        majority share of s on the test split, the level A_s should reach), ``A_s_bal`` (the
        balanced accuracy of a class-weighted probe, chance 1 / n_groups: an imbalanced s can
        leave A_s at the majority share while Z still carries s) and ``DP_gap`` (demographic
        parity difference of the test predictions across s).

    Other Parameters
    ----------------
    stage : callable or None
        Called with the name of each step (``"probe of s on Z"``, ...) as it starts.
    """
    stage = stage or (lambda name: None)
    stage("predictions and representation Z")
    y_pred = clf.predict(test.data)
    Z_train, Z_test = clf.transform(train.data), clf.transform(test.data)
    probe = functools.partial(probe_accuracy, Z_train, train.sensitive, Z_test, test.sensitive,
                              random_state=random_state)
    stage("probe of s on Z (an MLP)")
    A_s = probe()
    stage("class-weighted probe of s on Z (balanced accuracy)")
    return {
        "A_y": float(np.mean(y_pred == test.target)),
        "A_s": A_s,
        "A_s_bal": probe(balanced=True),
        "majority_s": majority_share(test.sensitive),
        "DP_gap": demographic_parity_difference(test.target, y_pred, s=test.sensitive),
    }


def run_demo(*, max_epochs=30, random_state=0, verbose=1, device="cpu", output=None,
             print_fn=functools.partial(print, flush=True)):
    """Fit ForgettingClassifier on Adult (s = sex) against a plain network and report both.

    The plain network is the same network with every invariance device off (no ``s``,
    delta = lambda = q = 0). The printed table gives, per model, A_y, A_s, A_s_bal and DP_gap
    of :func:`evaluate_classifier` under short names explained below it, then a two-line
    reading of it.

    Parameters
    ----------
    verbose : int, default=1
        1 prints a line per stage and a progress bar per fit; 0 only the results.
    output : str or Path or None, default=None
        Directory for ``demo.csv`` (the returned table) and ``demo.png`` (its bar chart, with
        matplotlib); None writes nothing.

    Returns
    -------
    pandas.DataFrame
        One row per model: the keys of :func:`evaluate_classifier`, ``fit_seconds`` and
        ``score_seconds``.
    """
    train, test = load_adult(sensitive="sex", subset="train"), load_adult(sensitive="sex",
                                                                          subset="test")
    print_fn(f"Adult (UCI standard split): {train.data.shape[0]} train / {test.data.shape[0]} "
             f"test rows, {train.data.shape[1]} features, s = sex")
    rows = {}
    # The baseline is the same network with every invariance device off: no s (hence no
    # discriminator), delta = lambda = 0 and exact z * m (q = 0).
    plain = dict(adversary_weight=0.0, mask_weight=0.0, precision=0.0)
    models = [(PLAIN_LABEL, None, plain), (FORGETTING_LABEL, train.sensitive, {})]
    for i, (name, s, params) in enumerate(models, 1):
        def say(text, name=name, i=i):
            if verbose:
                print_fn(f"[{i}/{len(models)}] {name}: {text}")

        say(f"training, {max_epochs} epochs, " + ("without s" if s is None else "with s"))
        clf = ForgettingClassifier(max_epochs=max_epochs, batch_size=256,
                                   random_state=random_state, verbose=verbose, device=device,
                                   **params)
        start = time.perf_counter()
        with progress_label(name):
            clf.fit(train.data, train.target, s=s)
        fit_seconds = time.perf_counter() - start
        row = evaluate_classifier(clf, train, test, random_state=random_state,
                                  stage=lambda step: say(f"scoring: {step} ..."))
        row["fit_seconds"] = fit_seconds
        row["score_seconds"] = time.perf_counter() - start - fit_seconds
        say(f"trained in {fit_seconds:.0f} s, scored in {row['score_seconds']:.0f} s")
        rows[name] = row
    table = pd.DataFrame(rows).T.rename_axis("model")
    majority, chance = table["majority_s"].iloc[0], 1 / len(np.unique(test.sensitive))
    print_fn("")
    print_fn(format_table(table))
    print_fn(textwrap.fill(LEGEND.format(majority=majority, chance=chance), width=100,
                           break_on_hyphens=False))
    print_fn("")
    print_fn(reading(table, chance=chance))
    if output is not None:
        print_fn(_write(table, Path(output), chance=chance))
    return table


def format_table(table):
    """The demo's table under the short names of :data:`SHORT_NAMES`, one line per model."""
    width = max(len("model"), *map(len, table.index))
    widths = {c: max(5, len(name)) for c, name in SHORT_NAMES.items()}
    lines = ["model".ljust(width) + "".join(f"  {SHORT_NAMES[c]:>{widths[c]}}" for c in widths)]
    for model, row in table.iterrows():
        lines.append(model.ljust(width) + "".join(
            f"  {row[c]:>{widths[c]}.{0 if c.endswith('_seconds') else 3}f}" for c in widths))
    return "\n".join(lines)


def reading(table, *, chance=0.5):
    """Two lines of plain language on the demo's table: accuracy and DP gap, s left in Z.

    ``chance`` is the balanced probe's level for a Z without ``s`` (1 / number of groups).
    """
    table = table.round(3)  # the numbers as printed, so that the differences add up
    plain, forget = table.loc[PLAIN_LABEL], table.loc[FORGETTING_LABEL]
    gain = forget["A_y"] - plain["A_y"]
    accuracy = ("kept" if abs(gain) < 5e-4 else
                f"{abs(gain) * 100:.1f} points {'lost' if gain < 0 else 'gained'}")
    change = forget["DP_gap"] - plain["DP_gap"]
    dp = (f"{abs(change) / plain['DP_gap']:.0%} {'smaller' if change < 0 else 'larger'}"
          if plain["DP_gap"] > 0 else "the plain network's is 0")
    return (f"{FORGETTING_LABEL} vs the plain network: accuracy {forget['A_y']:.3f} vs "
            f"{plain['A_y']:.3f} ({accuracy}), DP gap {forget['DP_gap']:.3f} vs "
            f"{plain['DP_gap']:.3f} ({dp}).\n"
            f"s left in Z: a probe reads {forget['A_s']:.3f} vs {plain['A_s']:.3f} (majority "
            f"share {forget['majority_s']:.3f} = none left); class-weighted, "
            f"{forget['A_s_bal']:.3f} vs {plain['A_s_bal']:.3f} (chance {chance:.3f}).")


def _write(table, out, *, chance):
    """Write ``demo.csv`` and, with matplotlib, ``demo.png``; return the line saying so."""
    from ._plots import has_matplotlib, plot_demo

    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "demo.csv")
    if not has_matplotlib():
        return f"wrote {out / 'demo.csv'} ({FIGURE_NEEDS_MATPLOTLIB})"
    plot_demo(table, references={"A_s": table["majority_s"].iloc[0], "A_s_bal": chance},
              title=f"Adult, s = sex: {FORGETTING_LABEL} vs the plain network",
              path=out / "demo.png")
    return f"wrote {out / 'demo.csv'} and {out / 'demo.png'}"
