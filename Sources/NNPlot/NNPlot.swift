// NNPlot module.
