"""Evaluation metrics: post-hoc probes and group-fairness gaps.

- :func:`probe_accuracy` / :func:`probe_report`: how well a freshly trained
  MLP recovers the sensitive/nuisance labels from a frozen representation
  (the ``A_s`` probe of Adversarial Forgetting), versus
  :func:`majority_share`, the chance level.
- :func:`demographic_parity_difference` and
  :func:`equalized_odds_difference`: fairness gaps of a downstream
  classifier's predictions, with ``s`` as a keyword argument so they can be
  wrapped with ``make_scorer(...).set_score_request(s=True)``.
- :func:`max_correlation` (rho*, neural HGR on held-out data) and
  :func:`sliced_mutual_information` (the sliced MI proxy of Scalable Infomin);
  :func:`binned_max_correlation`, a network-free lower bound of rho* from a probe's score.
- :func:`total_correlation`: Gaussian total correlation of a representation (Information
  Dropout, eq. 4).
- :func:`clustering_ari`: adjusted Rand index of k-means clusters against labels (subgroup
  discovery of the cross-population VAE).
- :func:`invariance_report`: all of a representation's figures as one tidy DataFrame row.
"""

from ._clustering import clustering_ari
from ._dependence import binned_max_correlation, max_correlation, sliced_mutual_information
from ._fairness import demographic_parity_difference, equalized_odds_difference
from ._information import total_correlation
from ._probe import majority_share, probe_accuracy, probe_report
from ._report import invariance_report

__all__ = [
    "binned_max_correlation",
    "clustering_ari",
    "demographic_parity_difference",
    "equalized_odds_difference",
    "invariance_report",
    "majority_share",
    "max_correlation",
    "probe_accuracy",
    "probe_report",
    "sliced_mutual_information",
    "total_correlation",
]
