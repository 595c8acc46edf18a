"""The docstring fragments of fairrep._docstrings and the fill_doc decorator."""

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import fairrep
from fairrep._docstrings import FRAGMENTS, fill_doc


def _documented_objects():
    for info in pkgutil.walk_packages(fairrep.__path__, "fairrep."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and \
                    getattr(obj, "__module__", None) == info.name and obj.__doc__:
                yield obj
                for member in vars(obj).values() if inspect.isclass(obj) else ():
                    if inspect.isfunction(member) and member.__doc__:
                        yield member


def test_no_docstring_is_left_with_a_placeholder():
    left = [obj.__qualname__ for obj in _documented_objects()
            if "%(" in obj.__doc__ and obj.__module__ != "fairrep._docstrings"]
    assert not left


def test_a_block_takes_the_placeholders_indentation_and_an_empty_text_its_line():
    @fill_doc(entry="""
        size : int
            How many.
        """, nothing="", symbol="n")
    def f():
        """Do.

        Parameters
        ----------
            %(entry)s
        %(nothing)s
        Size: %(symbol)s.
        """

    assert f.__doc__.splitlines()[4:] == [
        "            size : int", "                How many.", "        Size: n.", "        "]


def test_a_class_has_the_docstrings_of_its_own_functions_filled_too():
    @fill_doc(symbol="n")
    class A:
        """Class of %(symbol)s."""

        def f(self):
            """Method of %(symbol)s."""

    class B(A):  # inherits the filled method
        pass

    assert (A.__doc__, A.f.__doc__, B.f.__doc__) == ("Class of n.", "Method of n.", "Method of n.")


def test_an_unknown_name_is_an_error_that_suggests_the_closest():
    with pytest.raises(ValueError, match=r"f names an unknown text %\(devise\)s\. Did you "
                                         r"mean 'device'\?"):
        @fill_doc
        def f():
            """Train on %(devise)s."""


def test_a_text_of_several_lines_inside_a_line_is_an_error():
    with pytest.raises(ValueError, match=r"%\(device\)s has several lines"):
        @fill_doc
        def f():
            """Train on %(device)s."""


def test_a_keyword_may_not_reuse_a_fragments_name():
    with pytest.raises(ValueError, match=r"\['device'\] reuse names"):
        fill_doc(device="gpu")


def test_fragments_naming_each_other_in_a_cycle_is_an_error():
    with pytest.raises(ValueError, match="cycle"):
        @fill_doc(a="%(b)s", b="%(a)s")
        def f():
            """%(a)s"""


def test_every_shared_fragment_is_used():
    sources = "".join(path.read_text(encoding="utf-8")
                      for path in Path(fairrep.__file__).parent.rglob("*.py"))
    for name in FRAGMENTS:
        assert sources.count(f"%({name})s") >= 1, name
