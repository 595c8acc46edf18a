"""Information Dropout on sklearn's 8x8 digits: the paper's Fig. 4, Fig. 3 and Table 1, scaled.

1. Fig. 4 (nuisance vs beta): each row is a digit image next to a second, random digit image
   (the nuisance). InformationDropoutClassifier is trained on the first digit's class only;
   for each beta we report the held-out y accuracy and the held-out accuracy of a post-hoc MLP
   probe of the nuisance digit's class from the frozen representation, both noisy ("N", the
   paper's protocol for the nuisance and what ``transform`` returns) and deterministic ("D",
   ``representation='noise_free'``), plus the KL summed over units (information transmitted,
   Fig. 2). ``--nuisance overlay`` lays the second digit over the first at 0.6 intensity
   instead.
2. Fig. 3 (limited capacity): plain digits, a fully connected network with three hidden layers
   of width w; Information Dropout (beta = 1) vs binary dropout (p = 0.5, torch-style inverted
   dropout) of the same size, held-out error.
3. Table 1: ELBO (nats per image, held out) of the Information Dropout VAE of section 7 vs a
   plain Gaussian VAE of the same size, on dequantized digits ((pixel + U[0, 1)) / 17), and
   the total correlation of their latent means (section 5).

Not a test: run it and read the output.

    python benchmarks/information_dropout_beta.py --seeds 0 1 2 --plot beta.png
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.nn import functional as F

from fairrep import InformationDropoutAutoencoder, InformationDropoutClassifier
from fairrep.metrics import majority_share, probe_accuracy, total_correlation
from fairrep.nn import InvariantModule
from fairrep.nn.information_dropout import GaussianVAENetwork


# -- baselines of the same size, trained by the same loop ------------------------------------
class BinaryDropoutNetwork(InvariantModule):
    """Linear-ReLU-dropout layers (p = 0.5, drawn from the training generator) and a linear head;
    accepts the parameters of InformationDropoutNetwork and ignores the Information Dropout
    ones."""

    def __init__(self, n_features, n_classes, layer_sizes=(64,), p=0.5, **ignored):
        super().__init__()
        self.p = p
        widths = [n_features, *layer_sizes]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.head = nn.Linear(widths[-1], sum(n_classes))

    def forward(self, X, generator=None):
        for linear in self.linears:
            X = F.relu(linear(X))
            if self.training:
                keep = torch.rand(X.shape, generator=generator, device=X.device,
                                  dtype=X.dtype) >= self.p
                X = X * keep / (1 - self.p)
        return X

    def predict_logits(self, X):
        return [self.head(self.forward(X))]

    def loss_terms(self, X, y, s, generator=None):
        task = F.cross_entropy(self.head(self.forward(X, generator)), y[:, 0])
        return {"task": task, "loss": task}


class BinaryDropoutClassifier(InformationDropoutClassifier):
    _module_class = BinaryDropoutNetwork


class GaussianVAE(InformationDropoutAutoencoder):
    _module_class = GaussianVAENetwork


# -- data --------------------------------------------------------------------------------------
def nuisance_digits(seed, kind="side"):
    """Digits (y) with a second, random digit (the nuisance s): next to it ('side') or laid
    over it at 0.6 intensity ('overlay', entangled with y in the same pixels)."""
    digits = load_digits()
    rng = np.random.RandomState(seed)
    images, labels = digits.data / 16.0, digits.target
    partner = rng.permutation(len(labels))
    if kind == "side":
        X = np.c_[images, images[partner]]
    else:
        X = np.maximum(images, 0.6 * images[partner])
    order = rng.permutation(len(labels))
    train, test = order[:1200], order[1200:]
    s = labels[partner]
    return (X[train], labels[train], s[train]), (X[test], labels[test], s[test])


def split_digits(seed, dequantize=False):
    digits = load_digits()
    rng = np.random.RandomState(seed)
    X = digits.data / 16.0
    if dequantize:
        X = (digits.data + rng.uniform(size=digits.data.shape)) / 17.0
    order = rng.permutation(len(X))
    return X[order[:1200]], digits.target[order[:1200]], X[order[1200:]], digits.target[
        order[1200:]]


def _print_row(rows, decimals):
    """Print the last row of ``rows`` (with the header before the first one)."""
    lines = pd.DataFrame(rows[-1:]).round(decimals).to_string(index=False, col_space=10)
    print(lines if len(rows) == 1 else lines.splitlines()[-1], flush=True)


def _probe(Z_tr, s_tr, Z_te, s_te, seed):
    return probe_accuracy(Z_tr, s_tr, Z_te, s_te, hidden_layer_sizes=(64,), max_iter=300,
                          random_state=seed)


# -- the three experiments ---------------------------------------------------------------------
def beta_sweep(betas, seeds, epochs, kind="side"):
    rows = []
    for seed in seeds:
        (X_tr, y_tr, s_tr), (X_te, y_te, s_te) = nuisance_digits(seed, kind)
        for beta in betas:
            start = time.perf_counter()
            clf = InformationDropoutClassifier(n_components=32, beta=beta, max_epochs=epochs,
                                               batch_size=64, lr=1e-2, random_state=seed)
            clf.fit(X_tr, y_tr)
            # "N": what transform returns (the noisy z); "D": f(h), noise off
            noisy_tr, noisy_te = clf.transform(X_tr), clf.transform(X_te)
            clf.set_params(representation="noise_free")
            free_tr, free_te = clf.transform(X_tr), clf.transform(X_te)
            rows.append({
                "seed": seed, "beta": beta,
                "acc_y": clf.score(X_te, y_te),
                "probe_s_N": _probe(noisy_tr, s_tr, noisy_te, s_te, seed),
                "probe_s_D": _probe(free_tr, s_tr, free_te, s_te, seed),
                "chance_s": majority_share(s_te),
                "info_nats": clf.information(X_te).sum(),
                "seconds": time.perf_counter() - start,
            })
            _print_row(rows, 3)
    return pd.DataFrame(rows)


def dropout_comparison(widths, seeds, epochs):
    rows = []
    for seed in seeds:
        X_tr, y_tr, X_te, y_te = split_digits(seed)
        for w in widths:
            common = dict(n_components=w, hidden_layer_sizes=(w, w), max_epochs=epochs,
                          batch_size=64, lr=1e-2, random_state=seed)
            info = InformationDropoutClassifier(beta=1.0, **common).fit(X_tr, y_tr)
            binary = BinaryDropoutClassifier(**common).fit(X_tr, y_tr)
            plain = InformationDropoutClassifier(beta=0.0, **common).fit(X_tr, y_tr)
            rows.append({"seed": seed, "width": w,
                         "err_information": 1 - info.score(X_te, y_te),
                         "err_binary_p0.5": 1 - binary.score(X_te, y_te),
                         "err_beta0": 1 - plain.score(X_te, y_te)})
            _print_row(rows, 3)
    return pd.DataFrame(rows)


def vae_comparison(seeds, epochs, n_components=16):
    rows = []
    for seed in seeds:
        X_tr, _, X_te, _ = split_digits(seed, dequantize=True)
        common = dict(n_components=n_components, hidden_layer_sizes=(128,), max_epochs=epochs,
                      batch_size=64, lr=1e-3, random_state=seed)
        info = InformationDropoutAutoencoder(**common).fit(X_tr)
        gauss = GaussianVAE(**common).fit(X_tr)
        rows.append({"seed": seed, "elbo_information": info.score(X_te),
                     "elbo_gaussian": gauss.score(X_te),
                     "kl_information": info.information(X_te).sum(),
                     "kl_gaussian": gauss.information(X_te).sum(),
                     # Gaussian TC of the latent means (log z for Information Dropout)
                     "TC_information": total_correlation(np.log(info.transform(X_te))),
                     "TC_gaussian": total_correlation(gauss.transform(X_te))})
        _print_row(rows, 2)
    return pd.DataFrame(rows)


def plot(summary, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: skipping the plot {path}")
        return
    fig, ax = plt.subplots(figsize=(5, 3.5))
    x = np.arange(len(summary))
    for column, label in [("acc_y", "y accuracy"), ("probe_s_N", "nuisance probe (N)"),
                          ("probe_s_D", "nuisance probe (D)")]:
        ax.plot(x, summary[column], marker="o", label=label)
    ax.plot(x, summary["chance_s"], ls="--", color="gray", label="nuisance chance")
    ax.set_xticks(x, [f"{b:g}" for b in summary.index])
    ax.set_xlabel("beta")
    ax.set_ylabel("held-out accuracy")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"saved {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--betas", type=float, nargs="+", default=[0.0, 0.1, 1.0, 10.0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--nuisance", choices=["side", "overlay"], default="side",
                        help="the second digit next to the first, or laid over it at 0.6")
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 16, 64])
    parser.add_argument("--vae-epochs", type=int, default=150)
    parser.add_argument("--plot", metavar="PNG", default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip", nargs="*", default=[], choices=["beta", "dropout", "vae"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if "beta" not in args.skip:
        print(f"== Fig. 4: nuisance (second digit, {args.nuisance}) vs beta, "
              f"InformationDropoutClassifier, 32 units, {args.epochs} epochs ==")
        table = beta_sweep(args.betas, args.seeds, args.epochs, args.nuisance)
        summary = table.drop(columns="seed").groupby("beta").mean()
        print("\nmean over seeds:\n" + summary.round(3).to_string())
        if args.plot:
            plot(summary, args.plot)
    if "dropout" not in args.skip:
        print(f"\n== Fig. 3: 3 hidden layers of width w on digits, {args.epochs} epochs, "
              "held-out error ==")
        table = dropout_comparison(args.widths, args.seeds, args.epochs)
        print("\nmean over seeds:\n"
              + table.drop(columns="seed").groupby("width").mean().round(3).to_string())
    if "vae" not in args.skip:
        print(f"\n== Table 1: held-out ELBO (nats/image, dequantized digits), 16 latent units, "
              f"128 hidden, {args.vae_epochs} epochs ==")
        table = vae_comparison(args.seeds, args.vae_epochs)
        print("\nmean over seeds:\n" + table.drop(columns="seed").mean().round(2).to_string())


if __name__ == "__main__":
    main()
