// NNData module.
