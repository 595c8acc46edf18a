"""Run by tests/test_data_parallel.py in 2 processes under ``torch.distributed.run`` (gloo).

Each process fits the same estimators on the same data inside the process group and saves
what it learned to ``<out>/rank<r>.npz``.
"""

import sys


def make_data(n=256, seed=0):
    import numpy as np

    rng = np.random.RandomState(seed)
    s = rng.randint(0, 2, n)
    noise = rng.normal(size=(n, 3))
    X = np.c_[noise, s + 0.2 * rng.normal(size=n)].astype(np.float32)
    y = (noise[:, 0] + 0.5 * noise[:, 1] > 0).astype(int)
    return X, y, s


def fit_all(batch_size):
    from fairrep import ForgettingClassifier, GradientReversalClassifier

    X, y, s = make_data()
    # strength_scaling='task_gain' computes its gain on each process's share of a batch,
    # so only the fixed weight trains exactly as one process with the whole batch
    grl = GradientReversalClassifier(max_epochs=3, batch_size=batch_size,
                                     strength_scaling="none", random_state=0)
    forgetting = ForgettingClassifier(max_epochs=2, batch_size=batch_size, adversary_steps=2,
                                      strength_scaling="none", random_state=0)
    return {"grl": grl.fit(X, y, s=s).transform(X),
            "forgetting": forgetting.fit(X, y, s=s).transform(X),
            "grl_steps": grl.history_[-1, "train_batch_count"]}


def main(out):
    import numpy as np
    import torch
    from torch import distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    try:
        results = fit_all(batch_size=32)
        np.savez(f"{out}/rank{dist.get_rank()}.npz", **results)
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
