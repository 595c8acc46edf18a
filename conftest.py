"""pytest set-up shared by tests/ and the doctests of fairrep/."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    # Tiny networks run faster on one thread, and two pytest-level threads fight on 2 cores.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
