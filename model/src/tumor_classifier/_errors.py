"""The errors this package raises when its model cannot be used."""

from __future__ import annotations


class ModelError(Exception):
    """The model or its manifest is missing or unusable."""


class ModelIntegrityError(ModelError):
    """The model file is not the one its manifest describes, so it was not unpickled."""


class ModelVersionError(ModelError):
    """The installed scikit-learn is of another release series than the model was trained with."""
