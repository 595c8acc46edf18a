"""
Data-parallel training with torchrun
====================================

Inside a ``torch.distributed`` process group, every fairrep estimator trains data-parallel:
each process takes its share of every batch and the gradients are averaged after each
backward pass, so ``P`` processes with ``batch_size=b`` train as one process with
``batch_size=P * b``, and all of them end with the same model.

The launch command on one machine with 2 processes (gloo on CPU; with GPUs use
``dist.init_process_group("nccl")`` and ``device=f"cuda:{LOCAL_RANK}"``)::

    torchrun --standalone --nproc_per_node=2 examples/data_parallel.py OUTPUT_DIR

Run as a plain script (``python examples/data_parallel.py``), this file launches itself that
way, fits the same model in one process with twice the batch, and compares them.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from fairrep import GradientReversalClassifier
from fairrep.datasets import load_adult
from fairrep.metrics import demographic_parity_difference


def adult(n=4000):
    data = load_adult(subset="train")
    X = (data.data[:n] - data.data[:n].mean(0)) / (data.data[:n].std(0) + 1e-8)
    return X.astype(np.float32), data.target[:n], data.sensitive[:n]


def fit(batch_size):
    X, y, s = adult()
    clf = GradientReversalClassifier(max_epochs=4, batch_size=batch_size, adversary_weight=1.0,
                                     random_state=0)
    clf.fit(X[:3000], y[:3000], s=s[:3000])
    X_te, y_te, s_te = X[3000:], y[3000:], s[3000:]
    return dict(loss=[float(row["train_task"]) for row in clf.history_],
                accuracy=float(clf.score(X_te, y_te)),
                dp_gap=float(demographic_parity_difference(y_te, clf.predict(X_te), s=s_te)),
                code=clf.transform(X_te[:50]).tolist())


def worker(out):
    """One process of the group (started by torchrun)."""
    import torch
    from torch import distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    try:
        result = fit(batch_size=128)
        with open(os.path.join(out, f"rank{dist.get_rank()}.json"), "w") as f:
            json.dump(result, f)
    finally:
        dist.destroy_process_group()


def launch(out, n_processes=2):
    # this script's path (sys.argv[0]: also set when sphinx-gallery runs it, without __file__)
    script = os.path.abspath(sys.argv[0])
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                    f"--nproc_per_node={n_processes}", script, out],
                   check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    ranks = []
    for r in range(n_processes):
        with open(os.path.join(out, f"rank{r}.json")) as f:
            ranks.append(json.load(f))
    return ranks


if __name__ == "__main__" and "RANK" in os.environ:
    worker(sys.argv[1])
    sys.exit(0)

# %%
# Two processes, batch 128 each
# -----------------------------
with tempfile.TemporaryDirectory() as out:
    ranks = launch(out)
same = np.array_equal(np.array(ranks[0]["code"]), np.array(ranks[1]["code"]))
print(f"both processes hold the same model: {same}")
for r, result in enumerate(ranks):
    print(f"process {r}: test accuracy {result['accuracy']:.3f}, "
          f"demographic parity gap {result['dp_gap']:.3f}")

# %%
# One process, batch 256
# ----------------------
# The same rows form each step, so the model matches the two processes' up to float rounding.
single = fit(batch_size=256)
gap = np.abs(np.array(single["code"]) - np.array(ranks[0]["code"])).max()
print(f"one process: accuracy {single['accuracy']:.3f}; largest difference of the codes "
      f"from the 2-process model: {gap:.2e}")

# %%
# Training curves
# ---------------
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(5, 3.2))
epochs = np.arange(1, len(single["loss"]) + 1)
ax.plot(epochs, single["loss"], "k-", lw=3, alpha=0.4, label="1 process, batch 256")
for r, result in enumerate(ranks):
    ax.plot(epochs, result["loss"], "o--", label=f"process {r} of 2, batch 128 (its half)")
ax.set_xlabel("epoch")
ax.set_ylabel("task loss on the process's rows")
ax.set_title("Data-parallel training (gloo, CPU)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
