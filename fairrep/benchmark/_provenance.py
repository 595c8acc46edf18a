"""Results files that say how they were made: a ``# `` header of command, date, machine and
versions above a CSV table (the format of the files under ``benchmarks/results/``)."""

from __future__ import annotations

import datetime
import platform


def header(command):
    """Four lines: the command, today's date, the machine and the package versions."""
    import numpy as np
    import pandas as pd
    import sklearn
    import torch

    import fairrep

    versions = (f"fairrep {fairrep.__version__}, torch {torch.__version__}, scikit-learn "
                f"{sklearn.__version__}, numpy {np.__version__}, pandas {pd.__version__}")
    return (f"command: {command}\ndate: {datetime.date.today().isoformat()}\n"
            f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
            f"{torch.get_num_threads()} torch thread(s), python {platform.python_version()}\n"
            f"versions: {versions}\n")


def write_csv(frame, path, head):
    """``frame`` as CSV (no index) under ``head``, each of its lines commented with ``# ``."""
    with open(path, "w") as f:
        f.write("".join(f"# {line}\n" for line in head.splitlines()))
        frame.to_csv(f, index=False)


def read_header(path):
    """The header of a file of :func:`write_csv`: its ``# `` lines without the ``# ``."""
    with open(path) as f:
        return "".join(line[2:] for line in f if line.startswith("# "))


def continued_command(path, command):
    """The command line of a run that adds to the results file ``path``: the command in its
    header, then ``command`` (``"EARLIER; then COMMAND"``)."""
    earlier = read_header(path).splitlines()[0].removeprefix("command: ")
    return f"{earlier}; then {command}"


def read_csv(path):
    """A file of :func:`write_csv` (or a plain CSV) as a DataFrame, the header skipped."""
    import pandas as pd

    return pd.read_csv(path, comment="#")
