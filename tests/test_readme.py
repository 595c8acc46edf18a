"""The README's Python examples run as written (on a slice of Adult, with one epoch)."""

import re
from pathlib import Path

import pytest
import sklearn

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_the_pipeline_examples():
    blocks = _python_blocks()
    assert any("ColumnTransformer" in b for b in blocks)
    assert any("set_score_request(s=True)" in b for b in blocks)


@pytest.mark.slow
def test_readme_pipeline_and_routing_examples_run():
    blocks = [b for b in _python_blocks() if "load_adult" in b or "GridSearchCV" in b]
    code = "\n".join(blocks)
    code = code.replace("load_adult(as_frame=True).frame",
                        "load_adult(as_frame=True).frame.iloc[:600]")
    code = re.sub(r"max_epochs=\d+", "max_epochs=1", code)
    namespace = {}
    try:
        exec(compile(code, str(README), "exec"), namespace)
    finally:
        sklearn.set_config(enable_metadata_routing=False)
    search = namespace["search"]
    assert "mean_test_dp" in search.cv_results_
