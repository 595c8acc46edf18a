"""Scaling: seconds per epoch and peak memory for n in {1e4, 1e5, 1e6} rows.

Synthetic Adult-like data (continuous columns plus one-hot blocks, binary s tied to a few
columns, binary y from others) is written to a float32 ``.npy`` file chunk by chunk, so the
full array never sits in this process. Each (method, n, input) runs in a fresh subprocess that

- loads ``X``, ``y`` and ``s`` either as memory maps (``np.load(path, mmap_mode="r")``: X
  streamed batch by batch, y and s encoded batch by batch) or as in-memory arrays;
- warms up (a 300-row fit, so one-time imports and allocator pools are in the baseline);
- samples its resident anonymous memory (RssAnon: the process's own allocations, not the
  file pages the kernel maps in for a memory map, which it can drop at any time) every 2 ms
  during ``fit`` and reports the peak above the level just before ``fit``, over the whole
  fit (``peak_mb``: with the one-off checks of X and encoding of y and s) and over its epochs
  only (``train_peak_mb``: the last ``sum(history_[:, "dur"])`` seconds of the fit);
- reports seconds per epoch from ``history_[:, "dur"]``.

    # the table it prints:
    python benchmarks/scaling.py --methods forgetting sliced_infomin --inputs memmap --threads 1
    python benchmarks/scaling.py --sizes 10000 100000 --methods forgetting --epochs 1
    python benchmarks/scaling.py --device cuda        # on a GPU machine

Output: a Markdown table on stdout and ``scaling.csv`` in ``--output``.
"""

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

CHUNK = 100_000


def write_data(directory, n, n_features, seed=0):
    """X (float32 .npy, written in chunks), y and s for ``n`` Adult-like rows."""
    path = Path(directory) / f"X_{n}_{n_features}.npy"
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, n_features))
    y = np.empty(n, dtype=np.int64)
    s = np.empty(n, dtype=np.int64)
    rng = np.random.RandomState(seed)
    n_cont = 6
    n_blocks = (n_features - n_cont) // 8
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        s_c = rng.randint(0, 2, m)
        cont = rng.normal(size=(m, n_cont))
        cont[:, 0] += 0.8 * s_c  # two columns carry s
        cont[:, 1] -= 0.6 * s_c
        rows = np.zeros((m, n_features), dtype=np.float32)
        rows[:, :n_cont] = cont
        for b in range(n_blocks):  # one-hot blocks of 8 categories
            rows[np.arange(m), n_cont + 8 * b + rng.randint(0, 8, m)] = 1.0
        logit = cont[:, 2] + 0.7 * cont[:, 3] - 0.5 * cont[:, 0] + rows[:, n_cont]
        X[start:start + m] = rows
        y[start:start + m] = (logit + rng.logistic(size=m) * 0.5 > 0).astype(int)
        s[start:start + m] = s_c
    X.flush()
    del X
    np.save(Path(directory) / f"y_{n}.npy", y)
    np.save(Path(directory) / f"s_{n}.npy", s)
    return path


def _rss_anon():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakSampler(threading.Thread):
    """Samples RssAnon every ``interval`` seconds into a preallocated, pre-touched array.

    Appending samples to a Python list would itself grow the process by ~100 bytes a sample
    (50 KB a second at 2 ms): the array's pages are resident before the baseline is taken,
    so sampling adds nothing to what it measures. It holds ``capacity`` samples (about 2 h
    at 2 ms); later samples overwrite the last slot.
    """

    def __init__(self, interval=0.002, capacity=4_000_000):
        super().__init__(daemon=True)
        self.interval, self._done = interval, threading.Event()
        self._samples = np.ones((capacity, 2))  # written now: resident before the baseline
        self._count = 0

    def _record(self):
        slot = min(self._count, len(self._samples) - 1)
        self._samples[slot] = time.perf_counter(), _rss_anon()
        self._count += 1

    def run(self):
        while not self._done.is_set():
            self._record()
            time.sleep(self.interval)

    def stop(self):
        self._done.set()
        self.join()
        self._record()

    @property
    def samples(self):
        """(time, bytes) pairs."""
        return [(float(t), int(rss)) for t, rss in
                self._samples[:min(self._count, len(self._samples))]]

    def peak(self, since=0.0):
        recorded = self._samples[:min(self._count, len(self._samples))]
        return int(recorded[recorded[:, 0] >= since, 1].max())


def saved_activations(est, X, y, s, batch_size):
    """Bytes the autograd graph of one training step keeps for the backward pass.

    The model's loss on one batch under ``torch.autograd.graph.saved_tensors_hooks``: every
    tensor saved for backward (layer inputs, activations, masks) counted once. This is the
    working memory a step needs on top of the batch and the model, whatever the data source.
    """
    import torch

    from fairrep.base import _s_tensor

    module = copy.deepcopy(est.net_.module_).float()
    Xb = torch.as_tensor(np.asarray(X[:batch_size]), dtype=torch.float32)
    yb = torch.as_tensor(est._encode_targets(np.asarray(y[:batch_size]))[0])
    sens = est._sensitive(np.asarray(s[:batch_size]), batch_size, None, None, True)
    sb = None if sens is None else _s_tensor(sens, "cpu")
    saved = {}

    def pack(tensor):
        saved[(tensor.data_ptr(), tensor.dtype)] = tensor.numel() * tensor.element_size()
        return tensor

    module.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        module.loss_terms(Xb, yb, sb, generator=torch.Generator().manual_seed(0))
    return sum(saved.values())


def worker(args):
    import torch

    from fairrep import InvariantClassifier

    torch.set_num_threads(args.threads)
    directory = Path(args.data_dir)
    path = directory / f"X_{args.n}_{args.features}.npy"
    # with X from a memory map, y and s are memory maps too (encoded a batch at a time)
    labels_mode = "r" if args.input == "memmap" else None
    y = np.load(directory / f"y_{args.n}.npy", mmap_mode=labels_mode)
    s = np.load(directory / f"s_{args.n}.npy", mmap_mode=labels_mode)

    def make():
        return InvariantClassifier(method=args.method, method_params=dict(
            max_epochs=args.epochs, batch_size=args.batch_size, device=args.device,
            random_state=0))

    Xm = np.load(path, mmap_mode="r")
    warm = 2 * args.batch_size  # one-time imports, allocator pools, full-batch buffers
    make().fit(np.asarray(Xm[:warm]), y[:warm], s=s[:warm])
    X = Xm if args.input == "memmap" else np.load(path)
    sampler = PeakSampler()
    sampler.start()
    time.sleep(0.05)
    baseline = _rss_anon()
    start = time.perf_counter()
    est = make().fit(X, y, s=s)
    end = time.perf_counter()
    wall = end - start
    sampler.stop()
    durations = [row["dur"] for row in est.history_]
    module = est.estimator_.net_.module_
    n_params = sum(p.numel() for p in module.parameters())
    step_mb = saved_activations(est.estimator_, Xm, y, s, args.batch_size) / 2**20
    print(json.dumps(dict(
        method=args.method, n=args.n, input=args.input, device=args.device,
        s_per_epoch=float(np.mean(durations)), fit_s=wall,
        # the whole fit (with the one-off checks and encoding of y and s) and its epochs
        # only (the last sum(dur) seconds of the fit)
        peak_mb=(sampler.peak() - baseline) / 2**20,
        train_peak_mb=(sampler.peak(since=end - sum(durations)) - baseline) / 2**20,
        batch_mb=args.batch_size * args.features * 4 / 2**20,
        # float32 weights, their gradients and Adam's two moments
        model_mb=4 * n_params * 4 / 2**20,
        # what one training step keeps for its backward pass (activations of one batch)
        step_mb=step_mb,
        x_mb=args.n * args.features * 4 / 2**20,
        labels_mb=(y.nbytes + s.nbytes) / 2**20,
    )))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--methods", nargs="+", default=["forgetting", "sliced_infomin"])
    parser.add_argument("--inputs", nargs="+", default=["memmap", "memory"],
                        choices=["memmap", "memory"])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=max(os.cpu_count() or 1, 1))
    parser.add_argument("--output", default="scaling_results")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)

    import pandas as pd

    rows = []
    with tempfile.TemporaryDirectory(dir=args.data_dir) as directory:
        for n in args.sizes:
            write_data(directory, n, args.features)
            for method in args.methods:
                for kind in args.inputs:
                    cmd = [sys.executable, __file__, "--worker", "--data-dir", directory,
                           "--n", str(n), "--features", str(args.features),
                           "--method", method, "--input", kind, "--epochs", str(args.epochs),
                           "--batch-size", str(args.batch_size), "--device", args.device,
                           "--threads", str(args.threads)]
                    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
                    row = json.loads(out.stdout.strip().splitlines()[-1])
                    rows.append(row)
                    print(f"{method:15s} n={n:>8d} {kind:6s} {row['s_per_epoch']:8.2f} s/epoch "
                          f"peak +{row['peak_mb']:8.1f} MB (X {row['x_mb']:.0f} MB)", flush=True)
            for f in Path(directory).glob("*.npy"):
                f.unlink()
    table = pd.DataFrame(rows)
    for (method, kind), group in table.groupby(["method", "input"]):
        per_row = group["s_per_epoch"] / group["n"]
        table.loc[group.index, "us_per_row"] = 1e6 * per_row
    Path(args.output).mkdir(parents=True, exist_ok=True)
    table.to_csv(Path(args.output) / "scaling.csv", index=False)
    # the bound, 1.5 x (one batch + the model), and the same with the step's
    # activations counted in
    table["bound_mb"] = 1.5 * (table["batch_mb"] + table["model_mb"])
    table["step_bound_mb"] = 1.5 * (table["batch_mb"] + table["step_mb"] + table["model_mb"])
    cols = ["method", "input", "n", "s_per_epoch", "us_per_row", "peak_mb", "train_peak_mb",
            "batch_mb", "model_mb", "step_mb", "bound_mb", "step_bound_mb", "labels_mb", "x_mb"]
    print(table[cols].to_markdown(index=False, floatfmt=".3g"))


if __name__ == "__main__":
    main()
