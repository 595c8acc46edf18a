"""The registry of methods behind ``InvariantTransformer(method=...)``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MethodSpec:
    """How the unified estimators build one method.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"forgetting"``.
    transformer, classifier : type
        The method's estimators (``classifier`` may be None for a method that only learns a
        representation).
    strength_param : str
        The parameter that the shared ``invariance`` strength sets (e.g. delta of the
        forgetting paper is ``adversary_weight``).
    paper : str
        Reference shown in listings and docs.
    """

    name: str
    transformer: type
    classifier: type | None
    strength_param: str
    paper: str


METHODS: dict[str, MethodSpec] = {}


def register_method(spec):
    """Add a method to the registry (its name must be new)."""
    if spec.name in METHODS:
        raise ValueError(f"method {spec.name!r} is already registered")
    METHODS[spec.name] = spec
    return spec


def available_methods():
    """Names of the registered methods, sorted."""
    return sorted(METHODS)


def get_method(name):
    """The :class:`MethodSpec` of ``name``; an unknown name lists the available ones."""
    if name not in METHODS:
        import difflib

        close = difflib.get_close_matches(str(name), METHODS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"method={name!r} is not a fairrep method.{hint} Available methods: "
                         f"{', '.join(available_methods())}.")
    return METHODS[name]
