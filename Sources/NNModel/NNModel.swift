// The library scripts import: the model description, the engine, the data readers, the format
// codecs and their errors, under one name. The HDF5 wrapper and the drawing code stay inside.
@_exported import NNCore
@_exported import NNData
@_exported import NNFormat
@_exported import NNKeras
@_exported import NNONNX
@_exported import NNSafetensors
@_exported import NNSchema
@_exported import NNSystem
