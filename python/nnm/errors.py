"""The exceptions of the nnm package."""
from __future__ import annotations

from typing import Optional

__all__ = ["FormatError", "ConfigError"]


class ConfigError(ValueError):
    """A model description (a Keras model config, weights, an optimizer record) cannot be used.

    The message names the layer or field, what was expected and what was found.
    """


class FormatError(ValueError):
    """A ``.nnm`` file cannot be read or written.

    ``str(error)`` names the file, what was expected and what was found. ``kind`` names the
    problem with the names nnmodel uses (``Spec/FORMAT.md`` section 5 and
    ``Fixtures/nnm/vectors.json``): ``notNNM``, ``tooShort``, ``unsupportedVersion``,
    ``headerTooLarge``, ``headerPastEnd``, ``headerChecksumMismatch``, ``invalidHeader``,
    ``invalidArchitecture``, ``unknownDType``, ``invalidTensorShape``, ``tensorLengthMismatch``,
    ``misalignedTensor``, ``tensorOutOfBounds``, ``tensorsOverlap``, ``duplicateTensor``,
    ``tooManyTensors``, ``checksumMismatch``, ``missingTensor``, ``tensorShapeMismatch``,
    ``invalidOptimizerState``, ``notAFile`` (a folder, a device...), ``cannotWrite``.
    """

    def __init__(self, kind: str, path: Optional[str], message: str):
        self.kind = kind
        self.path = path
        self.reason = message
        super().__init__(f"{path}: {message}" if path is not None else message)
