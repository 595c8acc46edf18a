"""The registry of methods behind ``InvariantTransformer(method=...)``.

References
----------
The papers of the registered methods: each ``MethodSpec.paper``; the full list is in the
References of :class:`fairrep.InvariantTransformer`.
"""

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

    Examples
    --------
    >>> from fairrep.methods import get_method
    >>> spec = get_method("forgetting")
    >>> spec.transformer.__name__, spec.classifier.__name__, spec.strength_param
    ('ForgettingTransformer', 'ForgettingClassifier', 'adversary_weight')
    """

    name: str
    transformer: type
    classifier: type | None
    strength_param: str
    paper: str


METHODS: dict[str, MethodSpec] = {}


def register_method(spec):
    """Add a method to the registry (its name must be new).

    Examples
    --------
    A new name for an existing method's estimators (removed again at the end, so that the
    example leaves the registry as it found it):

    >>> from dataclasses import replace
    >>> from fairrep.methods import available_methods, get_method, register_method
    >>> from fairrep.methods._registry import METHODS
    >>> spec = register_method(replace(get_method("mmd"), name="my_mmd"))
    >>> "my_mmd" in available_methods()
    True
    >>> del METHODS["my_mmd"]
    >>> register_method(get_method("mmd"))
    Traceback (most recent call last):
        ...
    ValueError: method 'mmd' is already registered
    """
    if spec.name in METHODS:
        raise ValueError(f"method {spec.name!r} is already registered")
    METHODS[spec.name] = spec
    return spec


def available_methods():
    """Names of the registered methods, sorted.

    Examples
    --------
    >>> from fairrep.methods import available_methods
    >>> available_methods()[:3]
    ['cpvae', 'cvib', 'forgetting']
    >>> "information_dropout" in available_methods()
    True
    """
    return sorted(METHODS)


def get_method(name):
    """The :class:`MethodSpec` of ``name``; an unknown name lists the available ones.

    Examples
    --------
    >>> from fairrep.methods import get_method
    >>> get_method("sliced_infomin").strength_param
    'beta'
    >>> get_method("forgeting")
    Traceback (most recent call last):
        ...
    ValueError: method='forgeting' is not a fairrep method. Did you mean 'forgetting'? ...
    """
    if name not in METHODS:
        from .._validation import did_you_mean

        raise ValueError(f"method={name!r} is not a fairrep method."
                         f"{did_you_mean(name, list(METHODS))} Available methods: "
                         f"{', '.join(available_methods())}.")
    return METHODS[name]
