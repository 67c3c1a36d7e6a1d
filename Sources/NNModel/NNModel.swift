// NNModel module.
