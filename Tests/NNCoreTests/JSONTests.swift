import Testing
@testable import NNCore
@testable import NNSchema
@testable import NNJSON

func parse(_ text: String) throws(JSONParseError) -> JSON { try JSON(parsing: text) }

@Suite("JSON")
struct JSONTests {
    @Test func objectsKeepTheirMemberOrder() throws {
        let json = try parse(#"{"zeta": 1, "alpha": [true, false, null], "mid": {"b": "x", "a": -2.5}}"#)
        #expect(json.objectValue?.map(\.key) == ["zeta", "alpha", "mid"])
        #expect(json["mid"]?.objectValue?.map(\.key) == ["b", "a"])
        #expect(json.serialized() == #"{"zeta": 1, "alpha": [true, false, null], "mid": {"b": "x", "a": -2.5}}"#)
        // Same members, another order: not equal.
        #expect(json != (try parse(#"{"alpha": [true, false, null], "zeta": 1, "mid": {"b": "x", "a": -2.5}}"#)))
    }

    @Test(arguments: [
        (128.0, "128"), (0, "0"), (-7, "-7"), (1e15, "1000000000000000"), (0.5, "0.5"), (-2.25, "-2.25"),
        (0.1, "0.1"), (1e-7, "1e-07"), (1.5e300, "1.5e+300"), (9_007_199_254_740_991, "9007199254740991"),
    ])
    func numbersPrintIntegersWithoutAFraction(_ value: Double, _ text: String) throws {
        #expect(JSON.number(value).serialized() == text)
        #expect(try parse(text) == .number(value))
    }

    @Test func nonFiniteNumbersSerializeAsNull() {
        #expect(JSON.number(.nan).serialized() == "null")
        #expect(JSON.number(.infinity).serialized() == "null")
    }

    @Test(arguments: [
        #"{}"#, #"[]"#, #"[[], {}, [[]]]"#, #""""#, "0", "-0.5", "1E+2", "1e-2", "true", "false", "null",
        #"{"a": {"b": {"c": [1, 2, {"d": "e"}]}}}"#,
        #"["\u00e9\u4e2d\ud83d\ude00", "tab\there", "quote\"backslash\\slash\/", "\b\f\n\r"]"#,
        #"  { "spaced" :  [ 1 , 2 ]  }  "#,
        "[\"é中😀 raw UTF-8\"]",
    ])
    func roundTrips(_ text: String) throws {
        let json = try parse(text)
        #expect(try parse(json.serialized()) == json)
        #expect(try parse(json.serialized(pretty: true)) == json)
        #expect(try JSON(parsing: json.serializedBytes()) == json)
    }

    @Test func stringsAndEscapes() throws {
        #expect(try parse(#""\u00e9\u4e2d\ud83d\ude00""#) == .string("é中😀"))
        #expect(try parse(#""a\/b""#) == .string("a/b"))
        let control = JSON.string("\u{01}\u{1F}\n\t\"\\")
        #expect(control.serialized() == #""\u0001\u001f\n\t\"\\""#)
        #expect(try parse(control.serialized()) == control)
        #expect(JSON.string("é😀").serialized() == "\"é😀\"")
    }

    @Test func prettyPrinting() throws {
        let json: JSON = .object([("a", [1, 2]), ("b", .object([])), ("c", [])])
        #expect(json.serialized(pretty: true) == "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {},\n  \"c\": []\n}")
    }

    @Test func accessors() throws {
        let json = try parse(#"{"n": 3, "f": 3.5, "big": 1e16, "s": "x", "b": true, "a": [1], "z": null}"#)
        #expect(json["n"]?.intValue == 3)
        #expect(json["f"]?.intValue == nil && json["f"]?.doubleValue == 3.5)
        #expect(json["big"]?.intValue == nil)
        #expect(json["s"]?.stringValue == "x" && json["s"]?.intValue == nil)
        #expect(json["b"]?.boolValue == true)
        #expect(json["a"]?.arrayValue == [1])
        #expect(json["z"]?.isNull == true)
        #expect(json["missing"] == nil)
        #expect(json["a"]?["n"] == nil)
        let changed = json.setting("n", to: 4).setting("new", to: "v")
        #expect(changed.objectValue?.map(\.key) == ["n", "f", "big", "s", "b", "a", "z", "new"])
        #expect(changed["n"] == 4)
    }

    @Test func nestingUpToTheLimitParses() throws {
        let deepest = String(repeating: "[", count: JSON.maximumDepth) + String(repeating: "]", count: JSON.maximumDepth)
        #expect(throws: Never.self) { try parse(deepest) }
        let objects = String(repeating: #"{"a":"#, count: JSON.maximumDepth) + "1" + String(repeating: "}", count: JSON.maximumDepth)
        #expect(throws: Never.self) { try parse(objects) }
    }

    @Test(arguments: [
        ("{} x", "after the JSON value"),
        ("[1, 2] ]", "after the JSON value"),
        ("[1,]", "unexpected character"),
        (#"{"a": 1,}"#, "expected a string key"),
        (#"{"a" 1}"#, "expected ':'"),
        (#"{a: 1}"#, "expected a string key"),
        ("[1 2]", "expected ',' or ']'"),
        (#""\x""#, "invalid escape"),
        (#""\u12G4""#, "invalid hex digit"),
        (#""\u12""#, "\\u escape"),
        (#""\ud800""#, "unpaired surrogate"),
        (#""\udc00""#, "unpaired surrogate"),
        (#""\ud800\u0041""#, "unpaired surrogate"),
        (#""\ud83d x""#, "unpaired surrogate"),
        ("\"a\u{01}b\"", "control character"),
        ("\"unterminated", "unterminated string"),
        ("01", "leading zero"),
        ("-", "expected digits"),
        ("1.", "expected digits after '.'"),
        ("1e", "expected digits in the exponent"),
        ("1e400", "number out of range"),
        ("NaN", "unexpected character"),
        ("Infinity", "unexpected character"),
        ("tru", "unexpected end of input"),
        ("nul1", "invalid literal"),
        ("", "unexpected end of input"),
        ("   ", "unexpected end of input"),
        ("[", "unexpected end of input"),
        (#"{"a": "#, "unexpected end of input"),
        ("'single'", "unexpected character"),
    ])
    func invalidInputIsRefused(_ text: String, _ reason: String) {
        do {
            let value = try parse(text)
            Issue.record("\(text.debugDescription) parsed as \(value)")
        } catch {
            #expect(error.reason.contains(reason), "\(text.debugDescription): \(error.reason)")
            #expect(error.offset >= 0 && error.offset <= text.utf8.count)
            #expect(error.description.contains("byte \(error.offset)"))
        }
    }

    @Test func errorOffsetsPointAtTheProblem() {
        #expect(throws: JSONParseError(reason: "unexpected data after the JSON value", offset: 3)) { try parse("{} x") }
        #expect(throws: JSONParseError(reason: "expected ',' or ']'", offset: 3)) { try parse("[1 2]") }
    }

    @Test func nestingDeeperThanTheLimitIsRefused() {
        for text in [String(repeating: "[", count: JSON.maximumDepth + 1) + String(repeating: "]", count: JSON.maximumDepth + 1),
                     String(repeating: "[", count: 100_000),
                     String(repeating: #"{"a":"#, count: 100_000)] {
            do {
                _ = try parse(text)
                Issue.record("nesting of \(text.utf8.count) bytes accepted")
            } catch {
                #expect(error.reason.contains("nesting deeper than 256"))
            }
        }
    }

    @Test(arguments: [
        [0x22, 0xC3, 0x28, 0x22],  // invalid continuation byte
        [0x22, 0xFF, 0x22],  // never valid in UTF-8
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // a UTF-8-encoded surrogate
        [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
        [0x22, 0xE2, 0x82, 0x22],  // truncated sequence
        [0x5B, 0x22, 0x61, 0x22, 0x2C, 0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22, 0x5D],  // 5-byte form inside an array
    ] as [[UInt8]])
    func invalidUTF8IsRefused(_ bytes: [UInt8]) {
        #expect(throws: JSONParseError.self) { try JSON(parsing: bytes) }
    }

    @Test func bytesOutsideStringsAreRefused() {
        #expect(throws: JSONParseError.self) { try JSON(parsing: [0xEF, 0xBB, 0xBF, 0x7B, 0x7D] as [UInt8]) }  // BOM
        #expect(throws: JSONParseError.self) { try JSON(parsing: [0x5B, 0x00, 0x5D] as [UInt8]) }
    }

    /// Every strict prefix of a document, and thousands of random mutations of it, either parse or
    /// throw a JSONParseError; none crashes (a trap would end the test run).
    @Test func truncatedAndMutatedInputNeverCrashes() throws {
        let document = Array(KerasConfigFixtures.dropoutActivationKeras3H5.utf8)
        let full = try JSON(parsing: document)
        for n in 0..<document.count {
            if let value = try? JSON(parsing: document[0..<n]) {
                // Only a prefix ending in whitespace-free complete value could parse; never this one.
                Issue.record("prefix of \(n) bytes parsed: \(value.kindName)")
            }
        }
        var rng = SeededGenerator(seed: 2024)
        let interesting: [UInt8] = Array("{}[]\",:\\u0123456789eE+-.tfnlrsaxd \n".utf8) + [0x00, 0x80, 0xC3, 0xED, 0xFF]
        var parsed = 0
        for _ in 0..<3000 {
            var bytes = document
            for _ in 0..<(1 + rng.nextIndex(below: 4)) {
                let i = rng.nextIndex(below: bytes.count)
                switch rng.nextIndex(below: 3) {
                case 0: bytes[i] = interesting[rng.nextIndex(below: interesting.count)]
                case 1: bytes.remove(at: i)
                default: bytes.insert(interesting[rng.nextIndex(below: interesting.count)], at: i)
                }
            }
            if let value = try? JSON(parsing: bytes) {
                parsed += 1
                #expect(try JSON(parsing: value.serializedBytes()) == value)
            }
        }
        #expect(parsed < 3000)
        #expect(try JSON(parsing: full.serializedBytes()) == full)
    }
}
