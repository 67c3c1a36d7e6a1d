// NNKeras module.
