// NNHDF5 module.
