"""Seconds per epoch of ForgettingClassifier against a plain PyTorch loop.

Both train the same networks (fairrep.nn.AdversarialForgettingNetwork) with the same update
schedule (k discriminator steps on each batch's z~, then one model step; Adam for both
optimizers) on the Adult training split, so the ratio is the cost of fairrep's estimator,
skorch net and data path over a hand-written loop. Not a test: run it and read the output.

    python benchmarks/bench_training_loop.py [--epochs 5] [--batch-size 128] [--device cpu]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from fairrep import ForgettingClassifier
from fairrep.datasets import load_adult
from fairrep.nn import AdversarialForgettingNetwork


def plain_loop(X, y, s, *, epochs, batch_size, k, lr, weight_decay, device, seed=0):
    """The hand-written loop; returns seconds of each epoch."""
    torch.manual_seed(seed)
    Xt = torch.tensor(X, dtype=torch.float32, device=device)
    yt = torch.tensor(y, dtype=torch.long, device=device).reshape(-1, 1)
    st = torch.tensor(s, dtype=torch.long, device=device).reshape(-1, 1)
    net = AdversarialForgettingNetwork(X.shape[1], 8, [2], s_cardinalities=[2],
                                       s_columns=[[0]]).to(device)
    model_opt = torch.optim.Adam(net.model_parameters(), lr=lr, weight_decay=weight_decay)
    adv_opt = torch.optim.Adam(net.adversary_parameters(), lr=lr, weight_decay=weight_decay)
    gen = torch.Generator(device=device).manual_seed(seed)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(Xt), generator=gen, device=device)
        for i in range(0, len(Xt), batch_size):
            idx = order[i:i + batch_size]
            xb, yb, sb = Xt[idx], yt[idx], st[idx]
            with torch.no_grad():
                inputs = net.adversary_inputs(xb)
            for _ in range(k):
                adv_opt.zero_grad(set_to_none=True)
                net.adversary_loss_terms(inputs, sb)["loss"].backward()
                adv_opt.step()
            model_opt.zero_grad(set_to_none=True)
            loss = net.loss_terms(xb, yb, sb, generator=gen)["loss"]
            loss.backward()
            model_opt.step()
            loss.item()  # the plain loop also looks at its loss once per batch
        if device != "cpu":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--adversary-steps", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    train = load_adult(sensitive="sex", subset="train")
    X, y = train.data, train.target
    s = (train.sensitive == "Male").astype(int)
    common = dict(lr=1e-3, weight_decay=1e-4)

    plain = plain_loop(X, y, s, epochs=args.epochs, batch_size=args.batch_size,
                       k=args.adversary_steps, device=args.device, **common)
    clf = ForgettingClassifier(max_epochs=args.epochs, batch_size=args.batch_size,
                               adversary_steps=args.adversary_steps, device=args.device,
                               random_state=0, **common)
    clf.fit(X, y, s=s)
    fairrep_times = list(clf.history_[:, "dur"])

    # the first epoch of each includes one-off warm-up; report the median of the rest
    med_plain = float(np.median(plain[1:] if len(plain) > 1 else plain))
    med_fairrep = float(np.median(fairrep_times[1:] if len(fairrep_times) > 1
                                  else fairrep_times))
    print(f"Adult train {X.shape[0]} x {X.shape[1]}, batch {args.batch_size}, "
          f"k = {args.adversary_steps}, device {args.device}, torch threads "
          f"{torch.get_num_threads()}, {args.epochs} epochs (median of epochs 2..)")
    print(f"plain torch loop      : {med_plain:.3f} s/epoch")
    print(f"ForgettingClassifier  : {med_fairrep:.3f} s/epoch")
    print(f"ratio fairrep / plain : {med_fairrep / med_plain:.3f}")


if __name__ == "__main__":
    main()
