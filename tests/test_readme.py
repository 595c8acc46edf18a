"""The README's Python examples run: the quickstart as written, the pipeline examples on a
slice of Adult with one epoch."""

import re
from pathlib import Path

import pytest
import sklearn

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = r"```python\n(.*?)```"


def _python_blocks():
    return re.findall(_BLOCK, README.read_text(), flags=re.S)


def _quickstart_block():
    """The first ```python block after the heading "## Quickstart" (and before the next one)."""
    text = README.read_text()
    match = re.search(r"^## Quickstart\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, "README.md has no '## Quickstart' section"
    blocks = re.findall(_BLOCK, match.group(1), flags=re.S)
    assert blocks, "the Quickstart section has no ```python block"
    return blocks[0]


def test_readme_has_the_pipeline_examples():
    blocks = _python_blocks()
    assert any("ColumnTransformer" in b for b in blocks)
    assert any("set_score_request(s=True)" in b for b in blocks)


def test_readme_quickstart_is_short_and_self_contained():
    code = _quickstart_block()
    assert len(code.strip().splitlines()) <= 15
    assert "fit(X, y, s=s)" in code
    assert "demographic_parity_difference" in code


@pytest.mark.slow
def test_readme_quickstart_runs_as_written(capsys):
    code = _quickstart_block()
    exec(compile(code, f"{README} (Quickstart)", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    found = re.search(r"accuracy (\d\.\d+), demographic parity gap (\d\.\d+)", out)
    assert found, out
    accuracy, gap = map(float, found.groups())
    assert 0.5 <= accuracy <= 1.0
    assert 0.0 <= gap <= 1.0


@pytest.mark.slow
def test_readme_pipeline_and_routing_examples_run():
    blocks = [b for b in _python_blocks() if "load_adult" in b or "GridSearchCV" in b]
    code = "\n".join(blocks)
    code = code.replace("load_adult(as_frame=True).frame",
                        "load_adult(as_frame=True).frame.iloc[:600]")
    code = re.sub(r"max_epochs=\d+", "max_epochs=1", code)
    assert "max_epochs=1" in code
    namespace = {}
    try:
        exec(compile(code, str(README), "exec"), namespace)
    finally:
        sklearn.set_config(enable_metadata_routing=False)
    search = namespace["search"]
    assert "mean_test_dp" in search.cv_results_


def test_methods_table_quotes_the_committed_protocol_results():
    # The README's last column copies benchmarks/results/robust_defaults/methods.md (issue 24:
    # "what its defaults give on the protocol"); a default change that refits the protocol
    # must update both.
    results = README.parent / "benchmarks" / "results" / "robust_defaults" / "methods.md"
    committed = {}
    for line in results.read_text().splitlines():
        m = re.match(r"\| (\w+) \|.*acc ([\d.]+), DP gap ([\d.]+) \(without s ([\d.]+), "
                     r"([\d.]+);", line)
        if m:
            committed[m.group(1)] = m.groups()[1:]
    quoted = {m.group(1): m.groups()[1:] for m in re.finditer(
        r'^\| `"(\w+)"`.*Adult/sex: acc ([\d.]+), DP gap ([\d.]+) \(([\d.]+), ([\d.]+)',
        README.read_text(), flags=re.M)}
    assert quoted and set(quoted) == set(committed)
    assert quoted == committed
