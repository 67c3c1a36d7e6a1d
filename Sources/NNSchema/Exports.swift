// The schema's public API is written in JSON values and reports NNError categories.
@_exported import NNBase
@_exported import NNJSON
