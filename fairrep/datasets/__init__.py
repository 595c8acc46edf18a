"""Offline fairness benchmark data sets (UCI Adult and Statlog German credit).

The raw UCI files ship with the package (gzip-compressed), so no network
access is needed.
"""

from ._tabular import load_adult, load_german

__all__ = ["load_adult", "load_german"]
