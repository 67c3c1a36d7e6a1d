// The engine trains and runs the schema's models: its API is written in their types.
@_exported import NNSchema
