// NNHDF5: a safe Swift wrapper over libhdf5 for reading and writing Keras weight
// files. Entry point: `HDF5File`. The C API stays internal to this module.
