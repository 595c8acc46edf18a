"""User-facing text carries product facts, not lab notes.

What was tried, which commit or work stop changed what, which issue asked for it: that history
belongs in commit messages. This test scans what a user reads -- README.md, the hand-written
pages ``docs/*.rst`` (not the generated ``docs/generated/``, ``docs/auto_examples/`` and
``docs/sg_execution_times.rst``), the gallery scripts ``examples/*.py`` (rendered whole) and
every docstring of the package (with the rest of its string literals: the error and warning
messages) -- and fails on wording that only a lab notebook needs. The results files under
``benchmarks/results/`` are not scanned: their header names the command and date that
produced them by design.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (name, regex): what a user never needs to read. Case-insensitive, except the commit hash;
# words may be split over lines (\s+).
_I = re.IGNORECASE
LAB_NOTE_PATTERNS = [
    # A git commit hash: a whole word of 7-40 lowercase hex digits with at least one digit and
    # at least one letter a-f ("deadbeef" has no digit, "1234567" no letter; "1e6" and "0.05"
    # are too short).
    ("commit hash",
     re.compile(r"\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b")),
    # A work stop of the development log: "stop 12", "stop #3", "stops 4-5", "the stop of ...".
    ("work stop", re.compile(r"\bstops?\s+(?:#?\d+|of\b)", _I)),
    # A tracker reference: "issue 24", "issue #24", "issues 24 and 25".
    ("issue number", re.compile(r"\bissues?\s+#?\d+", _I)),
    # A working session of the developers.
    ("session", re.compile(r"\bsessions?\b", _I)),
    # The story of an experiment: "at every weight we tried", "we have tried".
    ("we tried", re.compile(r"\bwe(?:\s+have|'ve)?\s+tried\b", _I)),
]

# Legitimate product uses of a flagged word, removed before matching (none at present; a
# torch or Dask ``Session`` API named in the docs would go here, as the exact phrase, with a
# comment saying what it is).
ALLOWED_PHRASES = []


def _user_text():
    """(path, first line number, text) for every piece of user-facing text."""
    yield ROOT / "README.md", 1, (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "docs").glob("*.rst")):
        if path.name == "sg_execution_times.rst":  # written by sphinx-gallery
            continue
        yield path, 1, path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "examples").glob("*.py")):
        yield path, 1, path.read_text(encoding="utf-8")
    # The package's docstrings: literals in the docstring slot, whose ``%(name)s`` placeholders
    # fairrep._docstrings.fill_doc fills from named fragments (string literals elsewhere in
    # the package). Every string literal of the package is therefore scanned, which also
    # covers the error and warning messages a user reads.
    for path in sorted((ROOT / "fairrep").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield path, node.lineno, node.value


def _hits(text):
    """(offset, name, matched text) of every lab-note pattern in ``text``."""
    for phrase in ALLOWED_PHRASES:
        text = re.sub(re.escape(phrase), lambda m: " " * len(m.group()), text, flags=re.I)
    for name, pattern in LAB_NOTE_PATTERNS:
        for match in pattern.finditer(text):
            yield match.start(), name, match.group()


def test_the_patterns_flag_lab_notes_only():
    def flagged(text):
        return [name for _, name, _ in _hits(text)]

    assert flagged("fixed in 1a2b3c4") == ["commit hash"]
    assert flagged("see 95e227a7d1c3f0b2a4e6c8d0f1a3b5c7d9e1f2a4") == ["commit hash"]
    assert flagged("since stop 12, and the stop of June") == ["work stop", "work stop"]
    assert flagged("as issue 24 asked (issue #25)") == ["issue number", "issue number"]
    assert flagged("in an earlier Session") == ["session"]
    assert flagged("at every weight we tried; we have tried") == ["we tried", "we tried"]
    assert flagged("at every weight we\n    tried, since stop\n 3") == ["work stop", "we tried"]
    for ordinary in ("deadbeef", "1234567", "1e6", "0.05", "lr=1e-3", "float32",
                     "cafe 2026-12-04", "0x1f2e3d4c", "mmd_weight=10000.0", "ADDED1234",
                     "stop the training", "an issue with s", "a stopgap"):
        assert flagged(ordinary) == [], ordinary


def test_user_facing_text_has_no_lab_notes():
    found = []
    for path, first_line, text in _user_text():
        for offset, name, matched in _hits(text):
            line = first_line + text.count("\n", 0, offset)
            context = text.splitlines()[text.count("\n", 0, offset)].strip()
            found.append(f"{path.relative_to(ROOT)}:{line}: {name} {matched!r}: {context}")
    assert not found, "lab notes in user-facing text:\n" + "\n".join(found)
