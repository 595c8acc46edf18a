"""The Sphinx documentation builds with warnings as errors (needs the ``docs`` extra).

Runs ``python -m sphinx -W --keep-going -b html docs <tmp>``, the command of the docs build.
Nothing is trained: the API pages come from docstrings and the user-guide examples are
``code-block`` directives, which Sphinx does not execute. autosummary writes its stub pages
to ``docs/generated/`` (ignored by git).
"""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(DOCS), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert (tmp_path / "html" / "api.html").exists()
