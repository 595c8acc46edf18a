"""Checks of the training options, the seed, and the ``s=`` keyword of fit.

The checks of ``s`` itself are :mod:`fairrep._sensitive`'s. Every error message is a module
constant so tests (and users) can match it.
"""

from __future__ import annotations

import difflib
import functools

import numpy as np
from sklearn.utils import check_random_state

S_FAIRLEARN_KEYWORD = (
    "{method}() takes the sensitive attribute as s=, not {keyword}= (fairlearn's name): "
    "call {method}(X, y, s=...); in a Pipeline, pass <step name>__s=... to the Pipeline's "
    "{method}."
)
DEVICE_UNAVAILABLE = (
    "device={device!r} was requested but CUDA is not available on this machine; "
    "use device='cpu'."
)
DEVICE_INVALID = "device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}."
POSITIVE_INT = "{name} must be a positive integer, got {value!r}."
BATCH_SIZE_INVALID = "{name} must be a positive integer or 'auto', got {value!r}."
CHOICE_INVALID = "{name} must be one of {choices}, got {value!r}.{hint}"
NON_NEGATIVE = "{name} must be a non-negative finite number, got {value!r}."
POSITIVE = "{name} must be a positive finite number, got {value!r}."
HIDDEN_SIZES = (
    "{name} must be a tuple of positive integers such as (50,), got {value!r}."
)


def check_device(device):
    """Return ``device`` if it is usable here, else raise a ``ValueError``."""
    import torch

    if not isinstance(device, str) and not isinstance(device, torch.device):
        raise ValueError(DEVICE_INVALID.format(device=device))
    name = str(device)
    if name == "cpu":
        return name
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ValueError(DEVICE_UNAVAILABLE.format(device=name))
        return name
    raise ValueError(DEVICE_INVALID.format(device=device))


def did_you_mean(value, choices):
    """`` Did you mean 'x'?`` for the closest of ``choices`` to a string ``value``, else ''.

    Case-insensitive: ``'Slice'`` suggests ``'slice'``.
    """
    if not isinstance(value, str):
        return ""
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(value.lower(), list(by_lower), n=1)
    return f" Did you mean {by_lower[close[0]]!r}?" if close else ""


def check_choice(value, name, choices):
    """``value`` if it is one of the strings ``choices``, else a ValueError naming ``name``."""
    if isinstance(value, str) and value in choices:
        return value
    raise ValueError(CHOICE_INVALID.format(name=name, choices=", ".join(map(repr, choices)),
                                           value=value, hint=did_you_mean(value, choices)))


def check_bool(value, name):
    """``value`` as a bool if it is True or False (numpy's included), else a ValueError."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {value!r}.")


def check_positive_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(POSITIVE_INT.format(name=name, value=value))
    return int(value)


def check_batch_size(value, name="batch_size"):
    """A positive int, or ``'auto'`` (returned as is)."""
    if isinstance(value, str) and value == "auto":
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(BATCH_SIZE_INVALID.format(name=name, value=value))
    return int(value)


def check_non_negative(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
        np.isfinite(value) and value >= 0
    ):
        raise ValueError(NON_NEGATIVE.format(name=name, value=value))
    return float(value)


def check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
        np.isfinite(value) and value > 0
    ):
        raise ValueError(POSITIVE.format(name=name, value=value))
    return float(value)


def check_hidden_layer_sizes(value, name="hidden_layer_sizes"):
    sizes = (value,) if isinstance(value, (int, np.integer)) else value
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise ValueError(HIDDEN_SIZES.format(name=name, value=value)) from None
    if any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in sizes):
        raise ValueError(HIDDEN_SIZES.format(name=name, value=value))
    return tuple(int(h) for h in sizes)


def seed_from(random_state):
    """An int seed drawn from ``random_state`` (int, RandomState or None), for torch."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def takes_s_keyword(method):
    """Decorate ``fit``/``partial_fit`` so that fairlearn's ``sensitive_features=`` (or
    ``sensitive_feature=``) gets a ``TypeError`` saying to pass ``s=`` instead; any other
    unknown keyword gets Python's usual error. The signature stays the method's own
    (``functools.wraps``), so scikit-learn's metadata routing sees ``s``."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        for keyword in ("sensitive_features", "sensitive_feature"):
            if keyword in kwargs:
                raise TypeError(S_FAIRLEARN_KEYWORD.format(method=method.__name__,
                                                           keyword=keyword))
        return method(self, *args, **kwargs)

    return wrapper
