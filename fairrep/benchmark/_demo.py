"""``python -m fairrep demo``: Adversarial Forgetting on Adult (s = sex) against a plain net."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..datasets import load_adult
from ..metrics import demographic_parity_difference, majority_share, probe_accuracy
from ..methods import ForgettingClassifier


def evaluate_classifier(clf, train, test, *, random_state=0):
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
    """
    y_pred = clf.predict(test.data)
    Z_train, Z_test = clf.transform(train.data), clf.transform(test.data)
    return {
        "A_y": float(np.mean(y_pred == test.target)),
        "A_s": probe_accuracy(Z_train, train.sensitive, Z_test, test.sensitive,
                              random_state=random_state),
        "A_s_bal": probe_accuracy(Z_train, train.sensitive, Z_test, test.sensitive,
                                  random_state=random_state, balanced=True),
        "majority_s": majority_share(test.sensitive),
        "DP_gap": demographic_parity_difference(test.target, y_pred, s=test.sensitive),
    }


def run_demo(*, max_epochs=30, random_state=0, verbose=1, device="cpu", print_fn=print):
    """Fit ForgettingClassifier on Adult (s = sex) and print A_y, A_s, majority share, DP gap.

    The same network with every invariance device off (no ``s``, delta = lambda = q = 0) is
    the baseline.

    Returns
    -------
    pandas.DataFrame
        One row per model.
    """
    train, test = load_adult(sensitive="sex", subset="train"), load_adult(sensitive="sex",
                                                                          subset="test")
    print_fn(f"Adult (UCI standard split): {train.data.shape[0]} train / {test.data.shape[0]} "
             f"test rows, {train.data.shape[1]} features, s = sex")
    rows = {}
    # The baseline is the same network with every invariance device off: no s (hence no
    # discriminator), delta = lambda = 0 and exact z * m (q = 0).
    plain = dict(adversary_weight=0.0, mask_weight=0.0, precision=0.0)
    for name, s, params in [("plain network (no invariance)", None, plain),
                            ("ForgettingClassifier", train.sensitive, {})]:
        clf = ForgettingClassifier(max_epochs=max_epochs, batch_size=256,
                                   random_state=random_state, verbose=verbose, device=device,
                                   **params)
        start = time.perf_counter()
        clf.fit(train.data, train.target, s=s)
        fit_seconds = time.perf_counter() - start
        row = evaluate_classifier(clf, train, test, random_state=random_state)
        row["fit_seconds"] = fit_seconds
        rows[name] = row
    table = pd.DataFrame(rows).T
    table["A_s - majority"] = table["A_s"] - table["majority_s"]
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 120):
        print_fn(table.to_string())
    print_fn("A_y: test accuracy; A_s: test accuracy of a post-hoc MLP probe predicting s from "
             "the representation (invariance means A_s close to majority_s); A_s_bal: "
             "balanced accuracy of a class-weighted probe (chance 0.5 for two groups); "
             "DP_gap: demographic parity difference of the predictions.")
    return table
