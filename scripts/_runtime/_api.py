"""The class behind every model package's API: :class:`Model`."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._manifest import read_manifest
from ._model import load_model

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: The package this copy of the run-time code sits in, where its model and manifest are.
PACKAGE_DIR = Path(__file__).resolve().parent.parent


class Model:
    """The trained model a package ships: predictions, and the manifest that describes it.

    Construction reads the manifest, nothing more. The model file is verified against
    the manifest's sha256, and loaded, on the first prediction: once per process and
    model file, however many ``Model`` objects and threads ask for it.

    Parameters
    ----------
    model_dir : str or os.PathLike, optional
        A folder holding ``manifest.json`` and the model file it names, as wheelwright's
        train stage writes them. Defaults to the model inside the package.

    Attributes
    ----------
    model_dir : pathlib.Path
        The folder the model and its manifest are read from.

    Raises
    ------
    ModelError
        The manifest is missing or unusable.

    See Also
    --------
    ModelIntegrityError : Raised on first use when the model file was altered.
    ModelVersionError : Raised on first use under another scikit-learn release series.

    Notes
    -----
    ``predict_proba`` and ``decision_function`` exist only when the estimator has them
    (the manifest's ``methods``): ``hasattr(model, "predict_proba")`` is False for a
    regressor, and calling it raises AttributeError saying so. ``classes`` likewise
    exists for classifiers only.

    The inputs are checked by feature name before the estimator sees them (see
    :meth:`predict`), so scikit-learn's own finiteness check is skipped for that call
    (``sklearn.config_context(assume_finite=True)``), as it would repeat the same work.

    Examples
    --------
    A package named ``churn_model`` (the names and values are its own):

    >>> from churn_model import Model                       # doctest: +SKIP
    >>> model = Model()                                     # doctest: +SKIP
    >>> model.feature_names                                 # doctest: +SKIP
    ['tenure', 'plan', 'monthly_charges']
    >>> model.predict([{"tenure": 3, "plan": "basic", "monthly_charges": 29.5}])  # doctest: +SKIP
    array(['stays'], dtype=object)
    >>> model.predict_proba([[3, "basic", 29.5]]).round(2)  # doctest: +SKIP
    array([[0.18, 0.82]])
    >>> model.classes                                       # doctest: +SKIP
    ['leaves', 'stays']
    """

    def __init__(self, model_dir: str | os.PathLike[str] | None = None) -> None:
        self.model_dir = PACKAGE_DIR if model_dir is None else Path(model_dir)
        self._manifest: dict[str, Any] = read_manifest(self.model_dir)
        self._methods = frozenset(self._manifest["methods"])
        # (estimator, input check, context), set by the first prediction.
        self._ready: tuple[Any, Callable[[Any], Any], Callable[[], Any]] | None = None

    def __repr__(self) -> str:
        manifest = self._manifest
        return (f"Model(name={manifest['name']!r}, version={manifest['version']!r}, "
                f"model_dir={str(self.model_dir)!r})")

    def __reduce__(self) -> tuple[type[Model], tuple[str]]:
        # Pickled as its folder: the other process verifies and loads the model itself.
        return (type(self), (str(self.model_dir),))

    # --- What the manifest says ------------------------------------------------------------

    @property
    def metadata(self) -> dict[str, Any]:
        """The manifest written at training: version, metrics, hashes, versions, parameters.

        A copy, so that changing it cannot change how this model behaves.
        """
        return copy.deepcopy(self._manifest)

    @property
    def feature_names(self) -> list[str]:
        """The features a row must have, in the order arrays and lists of rows give them."""
        return [feature["name"] for feature in self._manifest["features"]]

    @property
    def classes(self) -> list[Any]:
        """The class labels, in the order of :meth:`predict_proba`'s columns (classifiers only).

        Raises
        ------
        AttributeError
            The model is a regressor.
        """
        if self._manifest["task"] != "classification":
            raise AttributeError(f"{self._name()} is a regressor, which has no classes; "
                                 "predict gives one number per row.")
        return list(self._manifest["classes"])

    # --- Predictions --------------------------------------------------------------------------

    def predict(self, X: Any) -> NDArray[Any]:
        """Predict a label (classifier) or a value (regressor) for each row of `X`.

        Parameters
        ----------
        X : 2-D array, list of rows, list of dict, or pandas.DataFrame
            A 2-D array or list of rows with the values in :attr:`feature_names` order,
            a list of dicts keyed by feature name (in any order), or a DataFrame whose
            columns are the feature names (in any order). Number features take numbers
            (bools and integers too), string features take strings.

        Returns
        -------
        numpy.ndarray of shape (n_rows,)
            One label or value per row.

        Raises
        ------
        ValueError
            `X` is empty or not 2-D; a row has the wrong number of values; columns are
            missing, unknown or repeated; a value is of the wrong kind or infinite; or
            a value is missing (NaN, None) and the model does not accept missing values.
            The message names the row and the column.
        ModelIntegrityError
            The model file is not the one the manifest describes; it was not loaded.
        ModelVersionError
            The installed scikit-learn is of another release series than the model's.
        ModelError
            The model file is missing or cannot be loaded here.
        """
        estimator, check, finite = self._ready or self._start()
        checked = check(X)
        with finite():
            return estimator.predict(checked)  # type: ignore[no-any-return]

    @property
    def predict_proba(self) -> Callable[[Any], NDArray[Any]]:
        """``predict_proba(X)``: each class's probability for each row of `X`.

        Exists only when the estimator has it (``"predict_proba"`` in the manifest's
        ``methods``). `X` and the exceptions are as for :meth:`predict`. Returns an array
        of shape ``(n_rows, n_classes)``, columns in :attr:`classes` order.
        """
        self._require("predict_proba")
        return self._predict_proba

    @property
    def decision_function(self) -> Callable[[Any], NDArray[Any]]:
        """``decision_function(X)``: the estimator's confidence scores for each row of `X`.

        Exists only when the estimator has it (``"decision_function"`` in the manifest's
        ``methods``). `X` and the exceptions are as for :meth:`predict`. Returns an array
        of shape ``(n_rows,)`` for a binary classifier (positive: the second class),
        ``(n_rows, n_classes)`` otherwise.
        """
        self._require("decision_function")
        return self._decision_function

    def _predict_proba(self, X: Any) -> NDArray[Any]:
        """Each class's probability for each row of `X`; columns in :attr:`classes` order."""
        estimator, check, finite = self._ready or self._start()
        checked = check(X)
        with finite():
            return estimator.predict_proba(checked)  # type: ignore[no-any-return]

    def _decision_function(self, X: Any) -> NDArray[Any]:
        """The estimator's confidence scores for each row of `X`."""
        estimator, check, finite = self._ready or self._start()
        checked = check(X)
        with finite():
            return estimator.decision_function(checked)  # type: ignore[no-any-return]

    # --- Loading ------------------------------------------------------------------------------

    def _require(self, method: str) -> None:
        if method not in self._methods:
            kind = "regressor" if self._manifest["task"] == "regression" else "classifier"
            raise AttributeError(
                f"{self._name()} has no {method}: its estimator ({self._manifest.get('estimator', kind)}, "
                f"a {kind}) does not provide it. It has {', '.join(sorted(self._methods))}."
            )

    def _name(self) -> str:
        return f"{self._manifest['name']} {self._manifest['version']}"

    def _start(self) -> tuple[Any, Callable[[Any], Any], Callable[[], Any]]:
        """Load (or find) the estimator; make the input check. Safe to race: both are shared."""
        estimator = load_model(self.model_dir, self._manifest)
        from functools import partial

        from sklearn import config_context

        from ._inputs import Inputs  # imports numpy, which `import <package>` avoids

        self._ready = (estimator, Inputs.from_manifest(self._manifest), partial(config_context, assume_finite=True))
        return self._ready
