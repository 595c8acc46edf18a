"""The Sphinx documentation, examples gallery included, builds with warnings as errors.

Runs ``python -m sphinx -W --keep-going -b html docs <tmp>``, the command of the docs build
(needs the ``docs`` extra). The API pages come from docstrings and the user-guide examples are
``code-block`` directives, which Sphinx does not execute; sphinx-gallery *executes* every
script of ``examples/`` (``run_stale_examples`` forces it even when an earlier build left
their results in ``docs/auto_examples/``) and puts its output and figures on its page. The
examples train small networks: the whole build takes a few minutes on 2 CPU cores.
autosummary writes its stub pages to ``docs/generated/`` and sphinx-gallery its pages to
``docs/auto_examples/`` (both ignored by git).
"""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")
pytest.importorskip("sphinx_gallery")
pytest.importorskip("matplotlib")
pytest.importorskip("distributed")  # examples/distributed_search.py

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = sorted(path.stem for path in (ROOT / "examples").glob("*.py"))


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    html = tmp_path / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-D", "sphinx_gallery_conf.run_stale_examples=True", str(DOCS), str(html)],
        capture_output=True, text=True, timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert (html / "api.html").exists()
    assert (html / "auto_examples" / "index.html").exists()
    assert len(EXAMPLES) >= 8
    for name in EXAMPLES:
        page = html / "auto_examples" / f"{name}.html"
        assert page.exists(), f"no gallery page for examples/{name}.py"
        figures = sorted((html / "_images").glob(f"sphx_glr_{name}_[0-9][0-9][0-9].png"))
        assert figures, f"examples/{name}.py produced no figure"
        assert figures[0].name in page.read_text(encoding="utf-8")
