import Foundation
import NNModel

/// A validator for the subset of JSON Schema that `docs/json-schema/` uses, stricter than JSON Schema where
/// the contract needs it.
///
/// Keywords: `type` (a name or a list; `integer` is a number without a fraction), `required`, `properties`,
/// `items`, `enum`, `$ref` (`#/$defs/name` in the same file, `file.json#/$defs/name` or `file.json` beside it), `anyOf`,
/// `additionalProperties` (a schema for the members not listed). Two rules go beyond JSON Schema: an object
/// whose schema lists `properties` and has no `additionalProperties` may hold no other member (so every
/// member printed is documented), and a string that reads as a number is refused unless its schema has an
/// `enum` or a `format` (a version such as `"1.0"`).
struct JSONSchemaSubset {
    /// The schema files by name (`train.json`).
    let files: [String: JSON]

    /// Loads every `.json` file of `folder`.
    init(folder: String) throws {
        var files: [String: JSON] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".json") {
            files[name] = try JSON(parsing: String(contentsOfFile: folder + "/" + name, encoding: .utf8))
        }
        self.files = files
    }

    /// The ways `value` breaks the schema of `file` (empty when it conforms), each with the path of the value.
    func errors(_ value: JSON, file: String) -> [String] {
        guard let schema = files[file] else { return ["no schema file \(file)"] }
        var errors: [String] = []
        check(value, schema, in: file, at: "$", &errors)
        return errors
    }

    /// The ways `value` breaks the definition `name` of `file`.
    func errors(_ value: JSON, definition name: String, file: String = "common.json") -> [String] {
        guard let schema = files[file]?["$defs"]?[name] else { return ["no definition \(name) in \(file)"] }
        var errors: [String] = []
        check(value, schema, in: file, at: "$", &errors)
        return errors
    }

    /// The ways `value` breaks the schema `reference` names (`inspect.json#/$defs/listing`, or a whole file).
    func errors(_ value: JSON, reference: String) -> [String] {
        guard let (schema, file) = resolve(reference, from: "") else { return ["unresolved \(reference)"] }
        var errors: [String] = []
        check(value, schema, in: file, at: "$", &errors)
        return errors
    }

    /// The schema a `$ref` names, and the file it is in: `file.json` is the whole file.
    func resolve(_ reference: String, from file: String) -> (schema: JSON, file: String)? {
        let parts = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let target = parts[0].isEmpty ? file : parts[0]
        guard var node = files[target] else { return nil }
        for key in (parts.count == 2 ? parts[1] : "").split(separator: "/") {
            guard let next = node[String(key)] else { return nil }
            node = next
        }
        return (node, target)
    }

    /// The JSON Schema type names `value` has (`integer` numbers are also `number`).
    static func typeNames(_ value: JSON) -> [String] {
        switch value {
        case .null: return ["null"]
        case .bool: return ["boolean"]
        case let .number(n): return n.rounded() == n && n.isFinite ? ["integer", "number"] : ["number"]
        case .string: return ["string"]
        case .array: return ["array"]
        case .object: return ["object"]
        }
    }

    private func check(_ value: JSON, _ schema: JSON, in file: String, at path: String, _ errors: inout [String]) {
        if let reference = schema["$ref"]?.stringValue {
            guard let (target, targetFile) = resolve(reference, from: file) else {
                errors.append("\(path): unresolved $ref \(reference)")
                return
            }
            check(value, target, in: targetFile, at: path, &errors)
            return
        }
        if let options = schema["anyOf"]?.arrayValue {
            // When none fits, the errors of the option that fits best say what is wrong (an inspect document
            // that misses a member is the document it nearly is).
            var closest: [String] = []
            for option in options {
                var optionErrors: [String] = []
                check(value, option, in: file, at: path, &optionErrors)
                if optionErrors.isEmpty { return }
                if closest.isEmpty || optionErrors.count < closest.count { closest = optionErrors }
            }
            errors.append("\(path): matches none of anyOf (\(value.kindName)); the closest option's errors follow")
            errors += closest
            return
        }
        if let type = schema["type"] {
            let allowed = type.stringValue.map { [$0] } ?? type.arrayValue?.compactMap(\.stringValue) ?? []
            if Set(allowed).isDisjoint(with: Self.typeNames(value)) {
                errors.append("\(path): expected \(allowed.joined(separator: " or ")), found \(value.kindName)")
                return
            }
        }
        if let choices = schema["enum"]?.arrayValue, !choices.contains(value) {
            errors.append("\(path): \(value.serialized()) is not one of \(JSON.array(choices).serialized())")
        }
        if let text = value.stringValue, schema["enum"] == nil, schema["format"] == nil, Double(text) != nil {
            errors.append("\(path): the number \"\(text)\" is a string")
        }
        if let members = value.objectValue {
            let properties = schema["properties"]?.objectValue
            for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where value[name] == nil {
                errors.append("\(path): missing required member '\(name)'")
            }
            for (key, member) in members {
                if let property = properties?.first(where: { $0.key == key })?.value {
                    check(member, property, in: file, at: path + "." + key, &errors)
                } else if let additional = schema["additionalProperties"], additional.boolValue != false {
                    if additional.objectValue != nil { check(member, additional, in: file, at: path + "." + key, &errors) }
                } else if properties != nil || schema["additionalProperties"] != nil {
                    errors.append("\(path): member '\(key)' is not in the schema")
                }
            }
        }
        if let elements = value.arrayValue, let items = schema["items"] {
            for (i, element) in elements.enumerated() { check(element, items, in: file, at: path + "[\(i)]", &errors) }
        }
    }
}

extension JSONSchemaSubset {
    /// One documented member: its path (`tensors[].name`, `metadata.user.*`), its type as `docs/JSON.md`
    /// writes it (`integer or null`, `array of layer`; a `$ref` is the definition's name), and whether it is
    /// always present (`always`) or only sometimes (`optional`).
    struct Row: Hashable, Comparable, CustomStringConvertible {
        var path: String
        var type: String
        var presence: String

        static func < (a: Row, b: Row) -> Bool { (a.path, a.type, a.presence) < (b.path, b.type, b.presence) }
        var description: String { "\(path) | \(type) | \(presence)" }
    }

    /// The rows of a command's document (`file` `train.json`) or of a definition of `common.json`.
    func rows(file: String, definition: String? = nil) -> [Row] {
        let root: JSON? = if let definition { files[file]?["$defs"]?[definition] } else { files[file] }
        guard let root else { return [] }
        var rows: [Row] = []
        members(of: root, prefix: "", into: &rows)
        return rows.sorted()
    }

    /// The type of a schema as the document writes it. An array's element type of several types is in
    /// parentheses: `array of (integer or null) or null` is an array or null, and its elements integers or null.
    func typeName(_ schema: JSON) -> String {
        if let reference = schema["$ref"]?.stringValue { return String(reference.split(separator: "/").last ?? "") }
        if let options = schema["anyOf"]?.arrayValue { return options.map(typeName).joined(separator: " or ") }
        guard let type = schema["type"] else { return "any" }
        let names = type.stringValue.map { [$0] } ?? type.arrayValue?.compactMap(\.stringValue) ?? []
        return names.map { name in
            guard name == "array" else { return name }
            let element = schema["items"].map(typeName) ?? "any"
            return "array of " + (element.contains(" or ") ? "(\(element))" : element)
        }.joined(separator: " or ")
    }

    private func members(of schema: JSON, prefix: String, into rows: inout [Row]) {
        guard schema["$ref"] == nil else { return }
        let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        for (key, property) in schema["properties"]?.objectValue ?? [] {
            let path = prefix + key
            rows.append(Row(path: path, type: typeName(property), presence: required.contains(key) ? "always" : "optional"))
            members(of: property, prefix: path + ".", into: &rows)
            if let items = property["items"] { members(of: items, prefix: path + "[].", into: &rows) }
        }
        if let additional = schema["additionalProperties"], additional.objectValue != nil {
            rows.append(Row(path: prefix + "*", type: typeName(additional), presence: "optional"))
        }
    }
}
