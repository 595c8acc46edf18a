"""Data-parallel training: 2 CPU processes (gloo) under torch.distributed.run.

Each process takes half of every batch and the gradients are averaged, so 2 processes with
batch_size b train as one process with batch_size 2b (for losses that are means over the
batch, without random draws: the gradient-reversal baseline).
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

WORKER = Path(__file__).with_name("data_parallel_worker.py")
_spec = importlib.util.spec_from_file_location("data_parallel_worker", WORKER)
_worker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_worker)
fit_all = _worker.fit_all

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(),
                                reason="torch.distributed is not available")


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(WORKER), str(out)],
        capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return [np.load(out / f"rank{r}.npz") for r in range(2)]


@pytest.mark.slow
def test_processes_end_with_the_same_model(ranks):
    for key in ("grl", "forgetting"):
        np.testing.assert_array_equal(ranks[0][key], ranks[1][key])


@pytest.mark.slow
def test_two_processes_train_as_one_with_twice_the_batch(ranks):
    single = fit_all(batch_size=64)
    assert int(ranks[0]["grl_steps"]) == single["grl_steps"] == 4
    np.testing.assert_allclose(ranks[0]["grl"], single["grl"], rtol=1e-4, atol=1e-5)
    # halves of each batch in each process: not the single-process batch-32 model
    assert not np.allclose(ranks[0]["grl"], fit_all(batch_size=32)["grl"], atol=1e-3)
