"""wheelwright's run-time code, the same in every model package, as ``<package>/_runtime/``.

The package's generated ``__init__.py`` re-exports :class:`Model`, the errors and the
module-level functions, which act on one shared ``Model()`` of the package's own model
(the ``manifest.json`` and model file beside this folder), made on first use.

Importing this imports the standard library only: numpy and scikit-learn come with the
first prediction, pandas only for DataFrames. ``docs/contract.md`` (*The package's
API*) is the specification.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ._api import Model
from ._errors import ModelError, ModelIntegrityError, ModelVersionError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "Model",
    "ModelError",
    "ModelIntegrityError",
    "ModelVersionError",
    "decision_function",
    "default_model",
    "metadata",
    "predict",
    "predict_proba",
]

_default: Model | None = None
_default_lock = threading.Lock()


def default_model() -> Model:
    """The package's own model, one shared :class:`Model` made on first use (thread-safe).

    Raises
    ------
    ModelError
        The package's manifest is missing or unusable.
    """
    global _default
    model = _default
    if model is None:
        with _default_lock:
            if _default is None:
                _default = Model()
            model = _default
    return model


def predict(X: Any) -> NDArray[Any]:
    """Predict a label (classifier) or value (regressor) for each row of `X`.

    The package's own model; see :meth:`Model.predict` for `X` and the exceptions.
    """
    return default_model().predict(X)


def predict_proba(X: Any) -> NDArray[Any]:
    """Each class's probability for each row of `X`, columns in ``Model().classes`` order.

    See :meth:`Model.predict`. Raises AttributeError when the estimator has no
    ``predict_proba`` (a regressor, say).
    """
    return default_model().predict_proba(X)


def decision_function(X: Any) -> NDArray[Any]:
    """The estimator's confidence scores for each row of `X`.

    See :meth:`Model.predict`. Raises AttributeError when the estimator has no
    ``decision_function``.
    """
    return default_model().decision_function(X)


def metadata() -> dict[str, Any]:
    """The package's manifest: version, metrics, features, hashes, library versions (a copy)."""
    return default_model().metadata
