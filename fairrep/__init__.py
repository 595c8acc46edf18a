"""fairrep: invariant and fair representation learning as scikit-learn estimators.

Each method learns a representation of ``X`` that keeps what predicts ``y`` and forgets a
sensitive or nuisance attribute ``s``, passed to ``fit`` as ``fit(X, y, s=s)``.
"""

__version__ = "0.1.0.dev0"

from .exceptions import (ConstraintNotMetWarning, SensitiveMissingWarning, TaskCollapseWarning,
                         TrainingDivergedError)
from .methods import ForgettingClassifier, ForgettingTransformer, available_methods
from .methods import CrossPopulationClassifier, CrossPopulationVAE
from .methods import (InformationDropoutAutoencoder, InformationDropoutClassifier,
                      InformationDropoutTransformer)
from .methods import InvertibleClassifier, InvertibleTransformer
from .methods import SlicedInfominClassifier, SlicedInfominTransformer
from .methods import (GradientReversalClassifier, GradientReversalTransformer,
                      HSICClassifier, HSICTransformer, MMDClassifier, MMDTransformer)
from .methods import (CVIBClassifier, CVIBTransformer, UAIClassifier, UAITransformer,
                      VFAEClassifier, VFAETransformer)
from .unified import InvariantClassifier, InvariantTransformer
from .model_selection import ConstrainedSearchCV

__all__ = [
    "CVIBClassifier",
    "CVIBTransformer",
    "ConstrainedSearchCV",
    "ConstraintNotMetWarning",
    "CrossPopulationClassifier",
    "CrossPopulationVAE",
    "ForgettingClassifier",
    "ForgettingTransformer",
    "GradientReversalClassifier",
    "GradientReversalTransformer",
    "HSICClassifier",
    "HSICTransformer",
    "InformationDropoutAutoencoder",
    "InformationDropoutClassifier",
    "InformationDropoutTransformer",
    "InvariantClassifier",
    "InvariantTransformer",
    "InvertibleClassifier",
    "InvertibleTransformer",
    "MMDClassifier",
    "MMDTransformer",
    "SensitiveMissingWarning",
    "SlicedInfominClassifier",
    "SlicedInfominTransformer",
    "TaskCollapseWarning",
    "TrainingDivergedError",
    "UAIClassifier",
    "UAITransformer",
    "VFAEClassifier",
    "VFAETransformer",
    "__version__",
    "available_methods",
]
