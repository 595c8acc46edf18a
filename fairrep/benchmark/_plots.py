"""Figures of ``python -m fairrep benchmark --plots DIR`` (matplotlib, an optional extra).

- ``tsne_<dataset>_<method>.png``: t-SNE of the test representation coloured by ``s`` and by
  ``y`` (Figures 2-4 of the forgetting paper: before invariance, the ``plain`` row, the groups
  of ``s`` form clusters; after, they mix while the classes of ``y`` stay apart);
- ``tradeoff_<dataset>.png``: A_y against A_s over the invariance strength of each method
  (:func:`tradeoff_curve`), with the majority share of ``s`` as the invariance optimum;
- ``frontier_<dataset>.png`` of ``--frontier``: :func:`plot_fairness_frontier`, accuracy
  against the DP gap and against rho* over every method's strength, the Pareto fronts drawn.

The figure of ``python -m fairrep demo``, ``demo.png``, is :func:`plot_demo`: its table as bars.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd

from ..methods import get_method
from ..metrics import majority_share, probe_accuracy

MATPLOTLIB_MISSING = '--plots needs matplotlib: pip install "fairrep[bench]" (or matplotlib).'

#: Multiples of a method's default invariance strength swept by :func:`tradeoff_curve`.
STRENGTH_FACTORS = (0.0, 0.1, 0.3, 1.0, 3.0)


def has_matplotlib():
    """Whether matplotlib, the figures' optional dependency, can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(MATPLOTLIB_MISSING) from exc
    return plt


def _scatter(ax, points, labels, title):
    for value in pd.unique(np.asarray(labels)):
        mask = np.asarray(labels) == value
        ax.scatter(points[mask, 0], points[mask, 1], s=4, alpha=0.6, label=str(value))
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    if len(pd.unique(np.asarray(labels))) <= 10:
        ax.legend(fontsize=6, markerscale=2, loc="best")


def plot_tsne(Z, y, s, *, title="", n_points=1000, random_state=0, path=None):
    """t-SNE of a representation, coloured by ``s`` (left) and ``y`` (right).

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_components)
    y, s : array-like of shape (n_samples,)
    n_points : int, default=1000
        A random subset of this size is embedded (t-SNE is quadratic in the sample count).
    path : str or Path or None
        Where to save the PNG; None returns the figure without saving.
    """
    from sklearn.manifold import TSNE

    plt = _pyplot()
    Z, y, s = np.asarray(Z, dtype=float), np.asarray(y), np.asarray(s)
    rng = np.random.RandomState(random_state)
    idx = rng.choice(Z.shape[0], size=min(n_points, Z.shape[0]), replace=False)
    perplexity = min(30.0, (len(idx) - 1) / 3)
    # PCA initialisation is undefined for a constant code (a fully forgotten z~)
    init = "pca" if np.ptp(Z[idx], axis=0).max() > 0 else "random"
    points = TSNE(n_components=2, perplexity=perplexity, init=init,
                  random_state=random_state).fit_transform(Z[idx])
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    _scatter(axes[0], points, s[idx], f"{title}: coloured by s")
    _scatter(axes[1], points, y[idx], f"{title}: coloured by y")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig


def tradeoff_curve(method, data, *, factors=STRENGTH_FACTORS, max_epochs=10, batch_size=128,
                   random_state=0):
    """A_y and A_s over the invariance strength of one method.

    The strength is the method's registered ``strength_param`` at ``factor x`` its default.

    Returns
    -------
    pandas.DataFrame
        Columns ``strength``, ``A_y``, ``A_s``, ``A_s_optimum``, one row per factor.
    """
    spec = get_method(method)
    cls = spec.classifier
    default = inspect.signature(cls.__init__).parameters[spec.strength_param].default
    accepted = set(inspect.signature(cls.__init__).parameters)
    rows = []
    for factor in factors:
        kw = {spec.strength_param: factor * default, "max_epochs": max_epochs,
              "batch_size": batch_size, "random_state": random_state}
        clf = cls(**{k: v for k, v in kw.items() if k in accepted})
        clf.fit(data.X_train, data.y_train, s=data.s_train)
        rows.append({
            "strength": factor * default,
            "A_y": float(np.mean(clf.predict(data.X_test) == data.y_test)),
            "A_s": probe_accuracy(clf.transform(data.X_train), data.s_train,
                                  clf.transform(data.X_test), data.s_test,
                                  random_state=random_state),
            "A_s_optimum": majority_share(data.s_test),
        })
    return pd.DataFrame(rows)


def plot_tradeoff(curves, *, title="", path=None):
    """A_y against A_s, one line per method; ``curves`` maps method -> :func:`tradeoff_curve`."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    optimum = None
    for method, curve in curves.items():
        ax.plot(curve["A_s"], curve["A_y"], marker="o", label=method)
        for _, row in curve.iterrows():
            ax.annotate(f"{row['strength']:g}", (row["A_s"], row["A_y"]), fontsize=6)
        optimum = curve["A_s_optimum"].iloc[0]
    if optimum is not None:
        ax.axvline(optimum, color="grey", linestyle="--", linewidth=1,
                   label="majority share of s")
    ax.set_xlabel("A_s (probe accuracy of s; lower is more invariant)")
    ax.set_ylabel("A_y (test accuracy)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig


#: The demo's bars: column of its table -> label under the bars.
DEMO_BARS = {"A_y": "accuracy\n(higher is better)", "A_s": "probe of s on Z\n(lower: less s)",
             "A_s_bal": "balanced probe\n(lower: less s)", "DP_gap": "DP gap\n(lower: fairer)"}


def plot_demo(table, *, references=None, title="", path=None):
    """The demo's table as grouped bars, one group per figure and one bar per model.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per model (the index labels the bars) with the columns of :data:`DEMO_BARS`.
    references : dict or None
        Column -> value drawn as a dashed line over its group (the probes' no-``s`` level).
    path : str or Path or None
        Where to save the PNG; None returns the figure without saving.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / len(table)
    for i, (model, row) in enumerate(table.iterrows()):
        x = np.arange(len(DEMO_BARS)) + (i - (len(table) - 1) / 2) * width
        bars = ax.bar(x, [row[c] for c in DEMO_BARS], width, label=str(model))
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
    label = "no s left (probe: majority share; balanced: chance)"
    for j, column in enumerate(DEMO_BARS):
        if column in (references or {}):
            ax.hlines(references[column], j - 0.45, j + 0.45, colors="black", linestyles="--",
                      linewidth=1.2, label=label)
            label = None  # one legend entry for every reference line
    ax.set_xticks(np.arange(len(DEMO_BARS)), list(DEMO_BARS.values()), fontsize=8)
    ax.set_ylim(0, 1.2)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig


def benchmark_plots(fitted, datasets, directory, *, seed=0, max_epochs=10):
    """Write the t-SNE and trade-off figures of a benchmark run; return the paths written.

    Parameters
    ----------
    fitted : dict
        ``(dataset, method) -> fitted classifier`` of the run's first seed.
    datasets : dict
        ``(dataset, seed) -> BenchmarkData`` as loaded by the run.
    """
    _pyplot()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    data_by_name = {}
    for (name, data_seed), data in datasets.items():
        data_by_name.setdefault(name, data)
    written = []
    for (name, method), clf in fitted.items():
        data = data_by_name[name]
        path = directory / f"tsne_{name}_{method}.png"
        plot_tsne(clf.transform(data.X_test), data.y_test, data.s_test,
                  title=f"{method} on {name}", random_state=seed, path=path)
        written.append(path)
    for name, data in data_by_name.items():
        methods = [m for (n, m) in fitted if n == name and m != "plain"]
        if not methods:
            continue
        curves = {m: tradeoff_curve(m, data, max_epochs=max_epochs, random_state=seed)
                  for m in methods}
        path = directory / f"tradeoff_{name}.png"
        plot_tradeoff(curves, title=f"accuracy vs invariance on {name}", path=path)
        pd.concat(curves, names=["method"]).to_csv(directory / f"tradeoff_{name}.csv")
        written.append(path)
    return written


#: Markers of the methods of a frontier figure, in turn (colours come from tab10).
FRONTIER_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")


def _front_steps(ax, points, gap, label):
    """The front of ``points`` as a step line: the best A_y reachable at each gap or less."""
    front = points[points["pareto"]].sort_values([gap, "A_y"])
    if front.empty:
        return
    x, y = front[gap].to_numpy(), front["A_y"].to_numpy()
    right = max(float(points[gap].max()), float(x[-1]))
    ax.step(np.r_[x, right], np.r_[y, y[-1]], where="post", color="black", linewidth=1.2,
            label=label, zorder=1)


def plot_fairness_frontier(table, *, title="", path=None):
    """A_y against DP_gap (left) and against rho_s (right), one marker per method.

    Parameters
    ----------
    table : pandas.DataFrame
        The points of one data set: rows of ``frontier.csv`` (columns ``method``, ``A_y``,
        ``DP_gap``, ``rho_s``, ``constant``, ``pareto``, ``pareto_rho``).
    path : str or Path or None
        Where to save the PNG; None returns the figure without saving.

    Notes
    -----
    A hollow marker is a point whose every test prediction is one class in every seed (a
    majority-class model). Points without ``rho_s`` (estimators without a representation)
    are on the left panel only.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    # tab10, then two of Dark2 that tab10 lacks: 12 methods (fairlearn's two included) apart
    colours = (*plt.get_cmap("tab10").colors, *np.take(plt.get_cmap("Dark2").colors, [0, 5],
                                                       axis=0))
    for i, (method, points) in enumerate(table.groupby("method", sort=False)):
        colour, marker = colours[i % len(colours)], FRONTIER_MARKERS[i % len(FRONTIER_MARKERS)]
        hollow = points["constant"] >= 1
        axes[0].scatter([], [], marker=marker, color=colour, label=method)  # its legend
        for ax, gap in zip(axes, ("DP_gap", "rho_s")):
            for mask, face in ((~hollow, colour), (hollow, "none")):
                ax.scatter(points.loc[mask, gap], points.loc[mask, "A_y"], marker=marker,
                           facecolors=face, edgecolors=colour, s=36, alpha=0.85, zorder=2)
    _front_steps(axes[0], table, "DP_gap", "Pareto front")
    _front_steps(axes[1], table[table["rho_s"].notna()].assign(pareto=table["pareto_rho"]),
                 "rho_s", None)
    axes[0].set_xlabel("DP gap of the predictions (lower is fairer)")
    axes[1].set_xlabel("rho*(Z; s) of the representation (lower: less s)")
    axes[0].set_ylabel("A_y (test accuracy)")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.legend(loc="center left", bbox_to_anchor=(0.82, 0.5), fontsize=7, frameon=False)
    fig.text(0.82, 0.08, "hollow: every prediction\none class (majority model)", fontsize=7)
    fig.tight_layout(rect=(0, 0, 0.81, 1))
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig


def frontier_plots(table, directory):
    """``frontier_<dataset>.png`` for each data set of ``table``; return the paths written."""
    _pyplot()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, points in table.groupby("dataset", sort=False):
        path = directory / f"frontier_{name}.png"
        seeds = int(points["n_seeds"].max())
        plot_fairness_frontier(points, title=f"accuracy against fairness on {name} over each "
                                             f"method's strength ({seeds} seed(s))", path=path)
        written.append(path)
    return written
