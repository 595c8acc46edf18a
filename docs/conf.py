"""Sphinx configuration for fairrep.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``. Nothing here
trains a model: the API pages are generated from docstrings, and the code examples in the
user-guide pages are ``code-block`` directives, which Sphinx does not execute.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import fairrep  # noqa: E402

project = "fairrep"
author = "fairrep developers"
copyright = "fairrep developers"
release = fairrep.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]

# API pages are generated into docs/generated/ (ignored by git).
autosummary_generate = True
autosummary_imported_members = False

# numpydoc renders the Parameters/Returns sections; the class member tables that it would add
# duplicate autosummary's and produce stub warnings for inherited skorch/sklearn members.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Only structural errors fail the build, not docstring style checks.
numpydoc_validation_checks = set()
numpydoc_xref_param_type = False

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
source_suffix = ".rst"
root_doc = "index"

html_theme = "alabaster"
html_static_path = []
html_title = f"fairrep {release}"


# Members that fairrep classes inherit from scikit-learn, PyTorch or the built-in exceptions
# are documented there; listing them here would pull in docstrings that cross-reference those
# projects' own labels (for example ``accuracy_score`` in ``ClassifierMixin.score``).
_FOREIGN_PREFIXES = ("sklearn", "torch", "builtins", "skorch", "numpy")


def _foreign_bases():
    import torch
    from sklearn import base

    return (torch.nn.Module, base.BaseEstimator, base.ClassifierMixin, base.TransformerMixin,
            ValueError, object)


def _skip_foreign_member(app, what, name, obj, skip, options):
    if skip:
        return None
    target = obj.fget if isinstance(obj, property) else obj
    if callable(target) or isinstance(obj, property):
        module = getattr(target, "__module__", None)
        if module is None:  # slot wrappers and method descriptors of built-in types
            return True
        if module.split(".")[0] in _FOREIGN_PREFIXES:
            return True
        return None
    # Plain class attributes such as ``torch.nn.Module.training`` or ``dump_patches``.
    for base_cls in _foreign_bases():
        for klass in base_cls.__mro__:
            if name in vars(klass) or name in getattr(klass, "__annotations__", {}):
                return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_member)
