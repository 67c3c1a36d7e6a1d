import NNModel

/// The contract every `--json` document keeps: `schema_version` first, the same shape for the same concept.
///
/// `docs/JSON.md` describes every command's document and `docs/json-schema/` holds the same as JSON
/// Schema, against which the tests validate each command's output. Within one schema version members
/// are only added, never removed or changed in type; removing a member or changing its type makes a
/// new version. Numbers are always JSON numbers (see ``JSONNumber`` for values that are not finite).
enum JSONContract {
    /// The version of the documents' shape: the integer `schema_version` of every document.
    static let schemaVersion = 1

    /// A document: `schema_version` first, then `members`.
    static func document(_ members: [(key: String, value: JSON)]) -> JSON {
        .object([("schema_version", .int(schemaVersion))] + members.filter { $0.key != "schema_version" })
    }

    /// Prints a document, indented, on standard output.
    static func print(_ members: [(key: String, value: JSON)]) {
        Console.out(document(members).serialized(pretty: true))
    }
}
