"""Python-level memory a training step leaves behind, traced with ``tracemalloc``.

Fits ForgettingClassifier for one epoch on memory-mapped X, y and s of 6400 and then 64000
rows (batch 64: 100 and 1000 steps) and reports what Python allocations grew over the epoch
(snapshots at the epoch's start and end, after a garbage collection), with the largest
sources. It also prints what skorch's per-batch history entries would cost a step (fairrep
records its history per epoch only). torch's own C++ allocations are not traced: see
``benchmarks/scaling.py`` for the resident memory of whole fits.

    python benchmarks/memory_per_step.py
    python benchmarks/memory_per_step.py --rows 640   # a quick check that it runs
"""

import argparse
import gc
import pickle
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback
from skorch.history import History

from fairrep import ForgettingClassifier


class EpochSnapshots(Callback):
    def __init__(self, store):
        self.store = store

    def on_epoch_begin(self, net, **kwargs):
        gc.collect()
        self.store["begin"] = tracemalloc.take_snapshot()

    def on_epoch_end(self, net, **kwargs):
        gc.collect()
        self.store["end"] = tracemalloc.take_snapshot()


class TracedForgetting(ForgettingClassifier):
    def _callbacks(self):
        return super()._callbacks() + [("snapshots", EpochSnapshots(self.snapshots))]


def skorch_batch_entries(n_steps=10_000):
    """Bytes a step of skorch's per-batch history entries take, in memory and pickled."""
    history = History()
    history.new_epoch()
    tracemalloc.start()
    for i in range(n_steps):
        history.new_batch()
        history.record_batch("train_loss", 0.1 * i)
        history.record_batch("train_batch_size", 1024)
    in_memory = tracemalloc.get_traced_memory()[0] / n_steps
    tracemalloc.stop()
    return in_memory, len(pickle.dumps(history)) / n_steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[6400, 64_000],
                        help="rows of each one-epoch fit (batch 64)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    in_memory, pickled = skorch_batch_entries()
    print(f"skorch per-batch history entries: {in_memory:.0f} bytes a step in memory, "
          f"{pickled:.0f} pickled")
    rng = np.random.RandomState(0)
    n_max = max(args.rows)
    with tempfile.TemporaryDirectory() as directory:
        paths = {name: Path(directory) / f"{name}.npy" for name in "Xys"}
        np.save(paths["X"], rng.normal(size=(n_max, 20)).astype(np.float32))
        np.save(paths["y"], rng.randint(0, 2, n_max))
        np.save(paths["s"], rng.randint(0, 2, n_max))
        X, y, s = (np.load(paths[name], mmap_mode="r") for name in "Xys")
        tracemalloc.start(25)
        for n in args.rows:
            clf = TracedForgetting(max_epochs=1, batch_size=64, n_components=4,
                                   hidden_layer_sizes=(16,), random_state=0)
            clf.snapshots = {}
            clf.fit(X[:n], y[:n], s=s[:n])
            diff = clf.snapshots["end"].compare_to(clf.snapshots["begin"], "traceback")
            growth = sum(d.size_diff for d in diff)
            steps = n // 64
            print(f"{n} rows, {steps} steps: Python allocations grew {growth} bytes over the "
                  f"epoch ({growth / steps:.0f} a step); largest sources:")
            for d in diff[:3]:
                print(f"  {d.size_diff:+d} bytes  {d.traceback.format()[-2].strip()}")
        tracemalloc.stop()


if __name__ == "__main__":
    main()
