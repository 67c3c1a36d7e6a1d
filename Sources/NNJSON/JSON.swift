/// A JSON value that keeps the order of object members.
///
/// nnmodel reads and writes Keras configs and `.nnm` headers with this type instead of
/// `JSONSerialization` so that key order survives a round trip, integers print as integers,
/// and parsing untrusted bytes has explicit limits (nesting depth, input size) and never traps.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(key: String, value: JSON)])

    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }
}

// MARK: - Accessors

extension JSON {
    /// The member named `key` of an object, or `nil` for a missing key or a non-object.
    public subscript(key: String) -> JSON? {
        guard case let .object(members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    /// The string value, or `nil` when this is not a string.
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// The numeric value, or `nil` when this is not a number.
    public var doubleValue: Double? {
        if case let .number(n) = self { return n }
        return nil
    }

    /// The value as an integer when it is a number with no fractional part that fits in `Int`.
    public var intValue: Int? {
        guard case let .number(n) = self, n.isFinite, n.rounded() == n,
              n >= -9.0e15, n <= 9.0e15 else { return nil }
        return Int(n)
    }

    /// The Boolean value, or `nil` when this is not a Boolean.
    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    /// The elements, or `nil` when this is not an array.
    public var arrayValue: [JSON]? {
        if case let .array(a) = self { return a }
        return nil
    }

    /// The members in order, or `nil` when this is not an object.
    public var objectValue: [(key: String, value: JSON)]? {
        if case let .object(o) = self { return o }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Returns a copy with `key` set to `value`, replacing an existing member in place or appending.
    public func setting(_ key: String, to value: JSON) -> JSON {
        guard case var .object(members) = self else { return self }
        if let i = members.firstIndex(where: { $0.key == key }) {
            members[i].value = value
        } else {
            members.append((key, value))
        }
        return .object(members)
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSON {
    /// An integer number.
    public static func int(_ value: Int) -> JSON { .number(Double(value)) }
    /// An array of integers.
    public static func ints(_ values: [Int]) -> JSON { .array(values.map { .number(Double($0)) }) }
}
