"""fairrep: invariant and fair representation learning as scikit-learn estimators.

Each method learns a representation of ``X`` that keeps what predicts ``y`` and forgets a
sensitive or nuisance attribute ``s``, passed to ``fit`` as ``fit(X, y, s=s)``.
"""

__version__ = "0.1.0.dev0"

from .exceptions import (ConstraintNotMetWarning, NoisyConstraintWarning, SensitiveMissingWarning,
                         TaskCollapseWarning, TrainingDivergedError)
from . import methods
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

#: The names of fairrep.methods that fairrep leaves there: the registry's own tools.
_REGISTRY_TOOLS = {"MethodSpec", "get_method", "register_method"}

__all__ = sorted([
    # the methods' estimators and available_methods, as fairrep.methods lists them
    *(name for name in methods.__all__ if name not in _REGISTRY_TOOLS),
    "ConstrainedSearchCV",
    "ConstraintNotMetWarning",
    "InvariantClassifier",
    "InvariantTransformer",
    "NoisyConstraintWarning",
    "SensitiveMissingWarning",
    "TaskCollapseWarning",
    "TrainingDivergedError",
    "__version__",
])
