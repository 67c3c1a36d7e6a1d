"""nnm: read, run and write nnmodel's ``.nnm`` model files with numpy.

    import nnm
    model = nnm.load("model.nnm")          # every check of Spec/FORMAT.md section 5
    probabilities = model.predict(x)       # float32, as nnmodel computes
    print(model.summary())
    nnm.save(model, "copy.nnm", dtype="bfloat16")

See ``python/README.md`` and ``Spec/FORMAT.md`` in the nnmodel repository.
"""
from .architecture import Layer
from .errors import ConfigError, FormatError
from .format import PRODUCER, encode, load, read_header, save
from .model import Model

__version__ = "0.1.0"
FORMAT_VERSION = (1, 0)

__all__ = ["load", "save", "encode", "read_header", "Model", "Layer", "FormatError", "ConfigError",
           "PRODUCER", "FORMAT_VERSION", "__version__"]
