// The library scripts import: everything nnmodel offers, under one name.
@_exported import NNCore
@_exported import NNData
@_exported import NNFormat
@_exported import NNSchema
@_exported import NNHDF5
@_exported import NNKeras
@_exported import NNPlot
@_exported import NNSystem
