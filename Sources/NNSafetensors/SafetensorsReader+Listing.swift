import NNJSON
import NNSchema
import NNSystem

extension SafetensorsReader {
    /// Characters of a `__metadata__` value shown in a listing.
    static let maximumMetadataCharacters = 4096

    /// Lists a file of weights alone (one another tool wrote, read without an architecture):
    /// every tensor as its header describes it, with statistics of the floating-point ones when
    /// asked, and the `__metadata__` entries as the file's attributes.
    static func listing(_ source: TensorSource, path: String, options: InspectOptions, reason: String) throws(SafetensorsError)
        -> FileListing
    {
        let header = try header(source, path: path)
        var tensors: [FileListing.Tensor] = []
        for entry in header.entries {
            var statistics: Inspection.Statistics?
            if options.statistics, let dtype = entry.dtype.weightDType {
                // The header's layout was checked against the file: the tensor's bytes are there.
                var values = [Float](repeating: 0, count: entry.count)
                var failure: SafetensorsError?
                values.withUnsafeMutableBufferPointer { out in
                    do throws(SafetensorsError) {
                        try source.decode(dtype, count: entry.count, at: header.dataOffset + entry.begin, into: out, path: path)
                    } catch { failure = error }
                }
                if let failure { throw failure }
                statistics = values.withUnsafeBufferPointer { Inspection.Statistics($0) }
            }
            tensors.append(FileListing.Tensor(name: entry.name, dtype: entry.dtype.rawValue, shape: entry.shape,
                                              offset: header.dataOffset + entry.begin, byteLength: entry.end - entry.begin,
                                              statistics: statistics))
        }
        let attributes = header.metadata.map { key, value in
            value.count > maximumMetadataCharacters
                ? FileListing.Attribute(name: key, value: .string(String(value.prefix(maximumMetadataCharacters))), complete: false)
                : FileListing.Attribute(name: key, value: .string(value))
        }
        let file = FileDescription(path: path, format: .safetensors, layout: "safetensors (tensors without an nnmodel architecture)",
                                   fileSize: source.size, headerLength: header.headerLength, dataOffset: header.dataOffset)
        return FileListing(file: file, obstacle: .weightsOnly, reason: reason, tensors: tensors, attributes: attributes)
    }
}
