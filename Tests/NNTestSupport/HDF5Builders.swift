import CHDF5
import NNHDF5

/// Builders for the kinds of HDF5 objects nnmodel refuses to read, so the tests can create them
/// without importing the C API themselves.
package enum HDF5TestSupport {
    /// Creates a soft link `name` in `group` whose stored path is `target`.
    package static func createSoftLink(in group: HDF5Group, name: String, target: String) throws {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = hid_t(try group.rawID())
            try HDF5Library.check(
                H5Lcreate_soft(target, id, name, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)), group.failure("linking"))
        }
    }

    /// Creates a hard link `name` in `group` to the existing object at `target`.
    package static func createHardLink(in group: HDF5Group, name: String, target: String) throws {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = hid_t(try group.rawID())
            try HDF5Library.check(
                H5Lcreate_hard(id, target, id, name, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)), group.failure("linking"))
        }
    }

    /// Creates an external link `name` in `group` to `path` in the file `file`.
    package static func createExternalLink(in group: HDF5Group, name: String, file: String, path: String) throws {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = hid_t(try group.rawID())
            try HDF5Library.check(
                H5Lcreate_external(file, path, id, name, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT)),
                group.failure("linking"))
        }
    }

    /// Creates a float32 dataset of `count` elements whose data lives in the raw
    /// external file `externalFile`.
    package static func createExternalDataset(in group: HDF5Group, name: String, externalFile: String, count: Int) throws {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = hid_t(try group.rawID())
            let fail = group.failure("creating external dataset")
            let dcpl = try HDF5Library.check(H5Pcreate(nn_h5p_dataset_create()), fail)
            defer { _ = H5Pclose(dcpl) }
            try HDF5Library.check(H5Pset_external(dcpl, externalFile, 0, hsize_t(count * 4)), fail)
            let space = try HDF5Library.check(H5Screate_simple(1, [hsize_t(count)], nil), fail)
            defer { _ = H5Sclose(space) }
            let dataset = try HDF5Library.check(
                H5Dcreate2(id, name, nn_h5t_ieee_f32le(), space, hid_t(H5P_DEFAULT), dcpl, hid_t(H5P_DEFAULT)), fail)
            _ = H5Dclose(dataset)
        }
    }

    /// Creates a virtual float32 dataset of `count` elements mapping all of
    /// `sourceDataset` in `sourceFile`.
    package static func createVirtualDataset(
        in group: HDF5Group, name: String, sourceFile: String, sourceDataset: String, count: Int
    ) throws {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = hid_t(try group.rawID())
            let fail = group.failure("creating virtual dataset")
            let dcpl = try HDF5Library.check(H5Pcreate(nn_h5p_dataset_create()), fail)
            defer { _ = H5Pclose(dcpl) }
            let space = try HDF5Library.check(H5Screate_simple(1, [hsize_t(count)], nil), fail)
            defer { _ = H5Sclose(space) }
            try HDF5Library.check(H5Pset_virtual(dcpl, space, sourceFile, sourceDataset, space), fail)
            let dataset = try HDF5Library.check(
                H5Dcreate2(id, name, nn_h5t_ieee_f32le(), space, hid_t(H5P_DEFAULT), dcpl, hid_t(H5P_DEFAULT)), fail)
            _ = H5Dclose(dataset)
        }
    }

    /// Creates a float32 dataset with dimensions `dims` and writes nothing, so it
    /// declares far more data than the file stores. `chunk` selects chunked layout.
    package static func createUnwrittenDataset(in group: HDF5Group, name: String, dims: [UInt64], chunk: [UInt64]?) throws {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = hid_t(try group.rawID())
            let fail = group.failure("creating dataset")
            let dcpl = try HDF5Library.check(H5Pcreate(nn_h5p_dataset_create()), fail)
            defer { _ = H5Pclose(dcpl) }
            if let chunk {
                try HDF5Library.check(H5Pset_chunk(dcpl, Int32(chunk.count), chunk), fail)
            }
            let space = try HDF5Library.check(H5Screate_simple(Int32(dims.count), dims, nil), fail)
            defer { _ = H5Sclose(space) }
            let dataset = try HDF5Library.check(
                H5Dcreate2(id, name, nn_h5t_ieee_f32le(), space, hid_t(H5P_DEFAULT), dcpl, hid_t(H5P_DEFAULT)), fail)
            _ = H5Dclose(dataset)
        }
    }

    /// Creates a chunked dataset of `shape` (chunks of `chunk`, gzip level 4 when `deflate`),
    /// stored as float64 when `float64` else float32, holding `values` in C order.
    package static func createChunkedDataset(in group: HDF5Group, name: String, shape: [Int], chunk: [Int], values: [Float],
                                             float64: Bool, deflate: Bool) throws {
        try HDF5Library.locked { () throws(HDF5Error) in
            let id = hid_t(try group.rawID())
            let fail = group.failure("creating dataset")
            let dcpl = try HDF5Library.check(H5Pcreate(nn_h5p_dataset_create()), fail)
            defer { _ = H5Pclose(dcpl) }
            try HDF5Library.check(H5Pset_chunk(dcpl, Int32(chunk.count), chunk.map { hsize_t($0) }), fail)
            if deflate { try HDF5Library.check(H5Pset_deflate(dcpl, 4), fail) }
            let space = try HDF5Library.check(H5Screate_simple(Int32(shape.count), shape.map { hsize_t($0) }, nil), fail)
            defer { _ = H5Sclose(space) }
            let dataset = try HDF5Library.check(
                H5Dcreate2(id, name, float64 ? nn_h5t_ieee_f64le() : nn_h5t_ieee_f32le(), space, hid_t(H5P_DEFAULT), dcpl,
                           hid_t(H5P_DEFAULT)), fail)
            defer { _ = H5Dclose(dataset) }
            let status = values.withUnsafeBytes {
                H5Dwrite(dataset, nn_h5t_native_float(), hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), $0.baseAddress)
            }
            try HDF5Library.check(status, fail)
        }
    }

    /// Number of identifiers open in `file` (the file itself included), to detect
    /// leaked group/dataset/attribute/datatype/dataspace identifiers.
    package static func openObjectCount(in file: HDF5File) -> Int {
        HDF5Library.locked {
            guard file.rawFileID >= 0 else { return 0 }
            return Int(H5Fget_obj_count(hid_t(file.rawFileID), nn_h5f_obj_all_local()))
        }
    }

    /// How the string attribute `name` of `object` is stored: `"variable-length"` or
    /// `"fixed-length N"` (N bytes per string, NUL-padded), and its element count; nil when the
    /// attribute is absent or not a one-dimensional string array.
    package static func stringAttributeForm(of object: HDF5Object, _ name: String) throws -> (type: String, count: Int)? {
        try HDF5Library.locked { () throws(HDF5Error) -> (type: String, count: Int)? in
            let id = hid_t(try object.rawID())
            guard H5Aexists(id, name) > 0 else { return nil }
            let attribute = try HDF5Library.check(H5Aopen(id, name, hid_t(H5P_DEFAULT)), object.failure("opening attribute"))
            defer { _ = H5Aclose(attribute) }
            let type = H5Aget_type(attribute), space = H5Aget_space(attribute)
            defer { _ = H5Tclose(type); _ = H5Sclose(space) }
            guard H5Tget_class(type) == H5T_STRING, H5Sget_simple_extent_ndims(space) == 1 else { return nil }
            var dims: [hsize_t] = [0]
            _ = H5Sget_simple_extent_dims(space, &dims, nil)
            if H5Tis_variable_str(type) > 0 { return ("variable-length", Int(dims[0])) }
            let padding = H5Tget_strpad(type) == H5T_STR_NULLPAD ? "" : " (not NUL-padded)"
            return ("fixed-length \(H5Tget_size(type))" + padding, Int(dims[0]))
        }
    }

    /// Provokes an HDF5 error and prints the error stack to stderr explicitly, so a
    /// test can prove that its stderr capture sees HDF5 diagnostics.
    package static func printErrorStack() {
        HDF5Library.locked {
            _ = H5Gopen2(hid_t(-1), "nnhdf5-test-hook", hid_t(H5P_DEFAULT))
            _ = nn_h5_print_errors()
            HDF5Library.discardErrorStack()
        }
    }
}
