/// A codec that converts without holding the model in memory: it opens files as a
/// ``StreamedModel`` and writes one while reading its tensors a piece at a time.
///
/// Either side may decline (return `nil` / `false`) for files or options it cannot stream (a
/// layout whose tensors must be rearranged, for example); the conversion then reads the model
/// whole. A streamed write keeps every guarantee of ``ModelCodec/write(_:to:options:)``: the file is
/// written beside the target and renamed over it only when complete, so an error found late (a
/// checksum that differs in the last tensor, a full disk) leaves no file under the target name.
package protocol StreamingCodec: ModelCodec {
    /// Opens the model at `path` with everything checked but the tensors' values (which are
    /// checked as they are read), or `nil` when this file is not streamed.
    func openStreamed(_ path: String, options: ReadOptions) throws -> (model: StreamedModel, file: FileDescription)?
    /// Whether ``writeStreamed(_:to:options:chunkElements:)`` writes with `options`.
    func writesStreamed(options: WriteOptions) -> Bool
    /// Writes `model` to `path` atomically, moving at most `chunkElements` values at a time.
    func writeStreamed(_ model: StreamedModel, to path: String, options: WriteOptions, chunkElements: Int) throws
    /// ``ModelCodec/compatibilityNotes(for:)`` for a streamed model.
    func compatibilityNotes(for model: StreamedModel) -> [String]
}
