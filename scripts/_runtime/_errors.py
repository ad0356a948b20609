"""The errors a model package raises when its model cannot be used.

Bad *input* is a :class:`ValueError`, as everywhere in Python and scikit-learn; these
are about the packaged model itself, so that a caller can tell "my rows are wrong"
from "this installation is broken".
"""

from __future__ import annotations


class ModelError(Exception):
    """The model or its manifest is missing or unusable; the message says what to do."""


class ModelIntegrityError(ModelError):
    """The model file is not the one its manifest describes.

    Raised when the file's sha256, or a block's, differs from the manifest's, before
    the altered bytes are unpickled (anything made of the intact blocks before them is
    discarded), and after loading when the estimator is not the one the manifest
    describes (its task, classes, features or methods).
    """


class ModelVersionError(ModelError):
    """The installed scikit-learn is of another release series than the model was trained with."""
