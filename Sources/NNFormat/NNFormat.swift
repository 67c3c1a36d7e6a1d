// NNFormat module.
