"""The public face of the model: :class:`Classifier`."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._model import PACKAGE_DIR, load_model, read_manifest

if TYPE_CHECKING:
    import numpy as np


class Classifier:
    """Tell malignant from benign breast tumours, with the model this package ships.

    Reading the manifest is all construction does; the model itself is verified
    against the manifest's sha256 and loaded on the first prediction, once per process.

    Parameters
    ----------
    model_dir : str or os.PathLike, optional
        A folder holding ``model.joblib`` and ``manifest.json``, as ``train.py`` writes
        them. Defaults to the model inside the installed package.

    Attributes
    ----------
    model_dir : pathlib.Path
        The folder the model and its manifest are read from.

    Raises
    ------
    ModelError
        The manifest is missing or unusable (the model was never trained).

    See Also
    --------
    tumor_classifier.ModelIntegrityError : Raised on first use if the model file was altered.
    tumor_classifier.ModelVersionError : Raised on first use under another scikit-learn series.

    Examples
    --------
    >>> from tumor_classifier import Classifier
    >>> clf = Classifier()
    >>> clf.classes
    ['benign', 'malignant']
    >>> clf.metadata["positive_label"]
    'malignant'
    >>> clf.feature_names[:2]
    ['mean radius', 'mean texture']
    """

    def __init__(self, model_dir: str | os.PathLike[str] | None = None) -> None:
        self.model_dir = PACKAGE_DIR if model_dir is None else Path(model_dir)
        self._manifest = read_manifest(self.model_dir)
        self._loaded: Any = None

    def __repr__(self) -> str:
        return f"Classifier(version={self._manifest['version']!r}, model_dir={str(self.model_dir)!r})"

    @property
    def metadata(self) -> dict[str, Any]:
        """The manifest written at training: version, metrics, hashes, versions, parameters.

        A copy, so that changing it cannot change how this classifier behaves.
        """
        return copy.deepcopy(self._manifest)

    @property
    def feature_names(self) -> list[str]:
        """The features a row must have, in the order array inputs give them."""
        return list(self._manifest["feature_names"])

    @property
    def classes(self) -> list[str]:
        """The class labels, in the order of :meth:`predict_proba`'s columns."""
        return list(self._manifest["classes"])

    def predict(self, X: Any) -> np.ndarray:
        """Predict a label, ``"malignant"`` or ``"benign"``, for each row of `X`.

        Parameters
        ----------
        X : array-like of shape (n_rows, 30), list of dict, or pandas.DataFrame
            A 2-D array or list of rows with the features in :attr:`feature_names`
            order, a list of dicts keyed by feature name, or a DataFrame whose
            columns are the feature names in any order.

        Returns
        -------
        numpy.ndarray of str, shape (n_rows,)
            One label per row.

        Raises
        ------
        ValueError
            `X` is empty or not 2-D, has the wrong number of features, missing or
            unknown columns, or values that are not finite numbers.
        ModelIntegrityError
            The model file is not the one the manifest describes; it was not loaded.
        ModelVersionError
            The installed scikit-learn is of another release series than the model's.

        Examples
        --------
        >>> from sklearn.datasets import load_breast_cancer
        >>> X = load_breast_cancer().data
        >>> Classifier().predict(X[[0, 19]]).tolist()
        ['malignant', 'benign']
        >>> row = dict(zip(Classifier().feature_names, X[19]))
        >>> Classifier().predict([row]).tolist()
        ['benign']
        """
        return self._call("predict", X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Estimate each class's probability for each row of `X`.

        Parameters
        ----------
        X : array-like of shape (n_rows, 30), list of dict, or pandas.DataFrame
            As for :meth:`predict`.

        Returns
        -------
        numpy.ndarray of float, shape (n_rows, 2)
            One row per input row; columns in :attr:`classes` order; rows sum to 1.

        Raises
        ------
        ValueError, ModelIntegrityError, ModelVersionError
            As for :meth:`predict`.

        Examples
        --------
        >>> from sklearn.datasets import load_breast_cancer
        >>> X = load_breast_cancer().data
        >>> clf = Classifier()
        >>> proba = clf.predict_proba(X[[0, 19]])
        >>> proba.shape
        (2, 2)
        >>> bool(proba[0, clf.classes.index("malignant")] > 0.99)
        True
        """
        return self._call("predict_proba", X)

    def _call(self, method: str, X: Any) -> np.ndarray:
        matrix = self._matrix(X)
        model = self._model()
        from sklearn import config_context

        # _matrix has checked every value is finite; scikit-learn need not check again.
        with config_context(assume_finite=True):
            return getattr(model, method)(matrix)

    def _matrix(self, X: Any) -> np.ndarray:
        from ._inputs import as_matrix  # imports numpy, which `import tumor_classifier` avoids

        return as_matrix(X, self._manifest["feature_names"])

    def _model(self) -> Any:
        # The shared, locked cache is asked once per instance: resolving its key costs a
        # few filesystem calls, a noticeable share of a small prediction.
        if self._loaded is None:
            self._loaded = load_model(self.model_dir, self._manifest)
        return self._loaded
