"""A breast tumour classifier, shipped with its model, manifest and model card.

``import tumor_classifier`` is cheap: neither scikit-learn nor numpy is imported until
the first prediction, and the model file is checked against its manifest's sha256
before it is unpickled.

Examples
--------
>>> from tumor_classifier import Classifier
>>> Classifier().metadata["metrics"]["roc_auc"] > 0.98
True
"""

from ._classifier import Classifier
from ._errors import ModelError, ModelIntegrityError, ModelVersionError

__all__ = ["Classifier", "ModelError", "ModelIntegrityError", "ModelVersionError"]
