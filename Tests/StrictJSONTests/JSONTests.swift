import Foundation
import StrictJSON
import Testing

// MARK: - Helpers

private func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
    try JSONValue.parse(Array(text.utf8))
}

/// Parses, then checks that the compact text parses back to an equal value.
private func expectRoundTrip(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let value = try parse(text)
        let compact = value.compactText
        let again = try parse(compact)
        #expect(again == value, "\(text) -> \(compact)", sourceLocation: sourceLocation)
        #expect(again.compactText == compact, sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error) for \(text)", sourceLocation: sourceLocation)
    }
}

/// Deterministic xorshift64 generator.
private struct XorShift64 {
    var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// A malformed document with the expected error position and message fragment.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    var bytes: [UInt8]
    var line: Int
    var column: Int
    var fragment: String

    init(_ text: String, _ line: Int, _ column: Int, _ fragment: String) {
        self.init(bytes: Array(text.utf8), line, column, fragment)
    }

    init(bytes: [UInt8], _ line: Int, _ column: Int, _ fragment: String) {
        self.bytes = bytes
        self.line = line
        self.column = column
        self.fragment = fragment
    }

    var testDescription: String {
        String(decoding: bytes, as: UTF8.self).debugDescription
    }
}

private let malformedCases: [MalformedCase] = [
    // Document level
    .init("", 1, 1, "empty document"),
    .init("   \n  ", 2, 3, "empty document"),
    .init("[1] x", 1, 5, "unexpected 'x' after end of document"),
    .init("[1] [2]", 1, 5, "after end of document"),
    .init("1 2", 1, 3, "after end of document"),
    .init("// comment\n1", 1, 1, "comments are not allowed"),
    .init("[1, /* c */ 2]", 1, 5, "comments are not allowed"),
    .init("\r\n\r\n  x", 3, 3, "invalid literal 'x'"),
    .init("[\n1,\r\n2,\r3 x]", 4, 3, "expected ',' or ']' after array element, found 'x'"),
    .init("\u{FEFF}  x", 1, 3, "invalid literal 'x'"),
    .init("\u{FEFF}  ?", 1, 3, "expected a value, found '?'"),
    .init("\u{FEFF}\u{FEFF}1", 1, 1, "expected a value, found byte 0xEF"),
    // Arrays and objects
    .init("[", 1, 2, "unexpected end of input, expected a value"),
    .init("[1", 1, 3, "expected ',' or ']' after array element"),
    .init("[1 2]", 1, 4, "expected ',' or ']' after array element, found '2'"),
    .init("[true false]", 1, 7, "expected ',' or ']' after array element"),
    .init("[1,]", 1, 4, "trailing comma before ']'"),
    .init("[,1]", 1, 2, "expected a value, found ','"),
    .init("{\"a\":1,}", 1, 8, "trailing comma before '}'"),
    .init("{\"a\":1 \"b\":2}", 1, 8, "expected ',' or '}' after object member"),
    .init("{\"a\":1", 1, 7, "expected ',' or '}' after object member"),
    .init("{\"a\":", 1, 6, "unexpected end of input, expected a value"),
    .init("{\"a\" 1}", 1, 6, "expected ':' after object key, found '1'"),
    .init("{\"a\"", 1, 5, "expected ':' after object key, found end of input"),
    .init("{1:2}", 1, 2, "expected a string key or '}'"),
    .init("{a:2}", 1, 2, "expected a string key or '}'"),
    .init("{\"a\":1,2}", 1, 8, "expected a string key after ','"),
    .init("[1}", 1, 3, "expected ',' or ']'"),
    .init("{\n  \"seed\": 1,\n  \"seed\": 2\n}", 3, 3, "duplicate key \"seed\""),
    .init("{\"a\":{\"x\":1,\"x\":2}}", 1, 13, "duplicate key \"x\""),
    .init("{\"a\\n\":1,\"a\\u000a\":2}", 1, 10, "duplicate key \"a\\n\""),
    // Numbers
    .init("[1e400]", 1, 2, "number out of range: 1e400"),
    .init("-1e400", 1, 1, "number out of range: -1e400"),
    .init("1" + String(repeating: "0", count: 400), 1, 1, "number out of range: 1000"),
    .init("[NaN]", 1, 2, "NaN is not valid JSON"),
    .init("Infinity", 1, 1, "Infinity is not valid JSON"),
    .init("[1, -Infinity]", 1, 5, "-Infinity is not valid JSON"),
    .init("01", 1, 2, "leading zeros are not allowed"),
    .init("[-01]", 1, 4, "leading zeros are not allowed"),
    .init("00", 1, 2, "leading zeros are not allowed"),
    .init("+1", 1, 1, "may not start with '+'"),
    .init(".5", 1, 1, "may not start with '.'"),
    .init("1.", 1, 3, "expected a digit after '.'"),
    .init("1.e5", 1, 3, "expected a digit after '.'"),
    .init("1e", 1, 3, "expected a digit in exponent"),
    .init("1e+", 1, 4, "expected a digit in exponent"),
    .init("0x1F", 1, 2, "invalid character 'x' in number"),
    .init("1.5.2", 1, 4, "invalid character '.' in number"),
    .init("12abc", 1, 3, "invalid character 'a' in number"),
    .init("-", 1, 2, "expected a digit after '-'"),
    .init("-a", 1, 2, "expected a digit after '-', found 'a'"),
    // Literals
    .init("tru", 1, 1, "invalid literal 'tru'"),
    .init("[truex]", 1, 2, "invalid literal 'truex'"),
    .init("None", 1, 1, "invalid literal 'None'"),
    .init("nan", 1, 1, "invalid literal 'nan'"),
    // Strings
    .init("\"abc", 1, 1, "unterminated string"),
    .init("[\"ab\\", 1, 2, "unterminated string"),
    .init("\"a\nb\"", 1, 3, "unescaped control character U+000A"),
    .init("\"a\tb\"", 1, 3, "unescaped control character U+0009"),
    .init("\"\\x\"", 1, 2, "invalid escape sequence"),
    .init("\"\\u12G4\"", 1, 2, "invalid \\u escape: expected 4 hex digits"),
    .init("\"\\u12", 1, 2, "invalid \\u escape"),
    .init("\"\\uD800\"", 1, 2, "unpaired high surrogate \\uD800"),
    .init("\"x\\uD83D\\u0041\"", 1, 3, "unpaired high surrogate \\uD83D"),
    .init("\"\\uDC00\\uD800\"", 1, 2, "unpaired low surrogate \\uDC00"),
    .init("\"\\uD800\\uZZZZ\"", 1, 8, "invalid \\u escape"),
    // Bytes
    .init(bytes: [0x22, 0x61, 0xC3, 0x28, 0x22], 1, 3, "invalid UTF-8"),
    .init(bytes: [0x22, 0xC0, 0x80, 0x22], 1, 2, "invalid UTF-8"),
    .init(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], 1, 2, "invalid UTF-8"),
    .init(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1, 2, "invalid UTF-8"),
    .init(bytes: [0x22, 0x80, 0x22], 1, 2, "invalid UTF-8"),
    .init(bytes: [0x22, 0xE2, 0x82], 1, 2, "invalid UTF-8"),
    .init(bytes: [0x0A, 0x22, 0x61, 0xFF, 0x22], 2, 3, "invalid UTF-8 (byte 0xFF)"),
    .init(bytes: [0xFF], 1, 1, "expected a value, found byte 0xFF"),
    .init(bytes: [0x5B, 0x00, 0x5D], 1, 2, "expected a value, found byte 0x00"),
]

// MARK: - Valid documents

@Test func scalarsParse() throws {
    #expect(try parse("null") == .null)
    #expect(try parse(" true ") == .bool(true))
    #expect(try parse("\tfalse\r\n") == .bool(false))
    #expect(try parse("42") == .number(42))
    #expect(try parse("-0.5e1") == .number(-5))
    #expect(try parse("\"hi\"") == .string("hi"))
    #expect(try parse("[]") == .array([]))
    #expect(try parse("{ }") == .object(JSONObject()))
    #expect(try parse("\u{FEFF}[1]") == .array([.number(1)]))
}

@Test func stringEscapesAndUnicode() throws {
    #expect(try parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
    #expect(try parse(#""\u00e9\u00C9\ud83d\ude00\u0000""#) == .string("éÉ😀\u{0}"))
    #expect(try parse("\"é😀 ok\"") == .string("é😀 ok"))
    #expect(try parse("\"\u{7F}\"") == .string("\u{7F}"))
    let value = JSONValue.string("a\"b\\c\n\u{1}é")
    #expect(value.compactText == #""a\"b\\c\n\u0001é""#)
    #expect(try parse(value.compactText) == value)
}

@Test func keyOrderIsKept() throws {
    let value = try parse(#"{"z": 1, "a": {"y": true, "b": null}, "m": [3, 2, 1]}"#)
    guard case .object(let object) = value else {
        Issue.record("expected an object")
        return
    }
    #expect(object.keys == ["z", "a", "m"])
    #expect(object["z"] == .number(1))
    #expect(object["missing"] == nil)
    if case .object(let inner)? = object["a"] {
        #expect(inner.keys == ["y", "b"])
    } else {
        Issue.record("expected a nested object")
    }
    #expect(value.compactText == #"{"z":1,"a":{"y":true,"b":null},"m":[3,2,1]}"#)
    // Order matters for equality.
    let swapped = JSONObject([(key: "b", value: .null), (key: "a", value: .null)])
    let ordered = JSONObject([(key: "a", value: .null), (key: "b", value: .null)])
    #expect(swapped != ordered)
    #expect(swapped == JSONObject([(key: "b", value: .null), (key: "a", value: .null)]))
}

@Test func manyKeysAreCheckedForDuplicates() throws {
    let members = (0..<100).map { "\"k\($0)\": \($0)" }
    let valid = "{" + members.joined(separator: ", ") + "}"
    guard case .object(let object) = try parse(valid) else {
        Issue.record("expected an object")
        return
    }
    #expect(object.keys.count == 100)
    #expect(object["k99"] == .number(99))
    let duplicate = "{" + (members + ["\"k42\": 0"]).joined(separator: ", ") + "}"
    let error = #expect(throws: JSONSyntaxError.self) { try parse(duplicate) }
    #expect(error?.message == "duplicate key \"k42\"")
}

@Test(arguments: [
    "null", "true", "false", "0", "-0", "3", "-17", "0.1", "1e-05", "2.5e20", "1e308", "-1e308",
    "5e-324", "1e-400", "9007199254740992", "18446744073709551616", "-9007199254740994",
    "9007199254740993.0", "123456789012345678901234567890.0", "0.30000000000000004",
    "1.7976931348623157e308", "2.2250738585072014e-308", "\"\"", "\"\\u0000\\u001f\"",
    "[]", "{}", "[[[]]]", "[1,[2,[3,{}]]]",
    #"{"name": "study", "seed": 42, "runs": 1e6, "rate": 0.05, "tags": ["a", "b"], "nested": {"x": [null, true, false, -1.5e-7]}}"#,
    #"{"e\u0301": "\ud83d\ude00", "k\n": "\\\"/"}"#,
])
func validDocumentsRoundTrip(text: String) {
    expectRoundTrip(text)
}

@Test func compactNumberFormatting() throws {
    let cases: [(String, String)] = [
        ("3.0", "3"), ("-0", "-0"), ("0", "0"), ("-0.0", "-0"), ("1e2", "100"), ("0.1", "0.1"),
        ("1e-5", "1e-05"), ("2.5e20", "2.5e+20"), ("1e308", "1e+308"), ("4.9e-324", "5e-324"),
        ("9007199254740991", "9007199254740991"), ("-9007199254740991", "-9007199254740991"),
        ("9007199254740992", "9007199254740992.0"), ("1e16", "1e+16"), ("123.456", "123.456"),
    ]
    for (input, expected) in cases {
        #expect(try parse(input).compactText == expected, "\(input)")
    }
    #expect(JSONValue.number(.infinity).compactText == "null")
    #expect(JSONValue.number(.nan).compactText == "null")
}

@Test func numbersMatchDoubleParsing() throws {
    let fixed = [
        "0.1", "0.2", "0.3", "1.7976931348623157e308", "2.2250738585072011e-308", "4.9406564584124654e-324",
        "2.4e-324", "2.5e-324", "9007199254740993.0", "9007199254740995e0", "1e22", "1e23", "8.98846567431158e307",
        "1E5", "1e+5", "2.5E-3", "123456789012345678.0", "1234567890123456789e0", "12345678901234567890.0",
        "0.000001", "100000000000000000000000.0", "3.141592653589793238462643383279", "-0.0", "1e-22", "1e-23",
        "9007199254740992", "9007199254740994", "18446744073709551616", "-18446744073709551616",
        "100000000000000000000", "1000000000000000000000", "-9223372036854775808",
    ]
    for text in fixed {
        #expect(try parse(text) == .number(Double(text)!), "\(text)")
    }
    var rng = XorShift64(seed: 12345)
    for _ in 0..<2000 {
        let digits = 1 + rng.below(20)
        var mantissa = String(1 + rng.below(9))
        for _ in 1..<digits { mantissa.append(String(rng.below(10))) }
        let point = rng.below(digits + 1)
        if point > 0 && point < digits {
            mantissa.insert(".", at: mantissa.index(mantissa.startIndex, offsetBy: point))
        }
        var text = (rng.below(2) == 0 ? "-" : "") + mantissa
        if rng.below(2) == 0 { text += "e\(rng.below(60) - 30)" }
        // An integer literal must be exactly its double (glibc's %.0f prints a double's exact digits).
        let exact = String(format: "%.0f", Double(text)!.magnitude) == text.drop(while: { $0 == "-" })
        if text.allSatisfy({ $0 == "-" || $0.isNumber }), !exact {
            #expect(throws: JSONSyntaxError.self, "\(text)") { try parse(text) }
        } else {
            #expect(try parse(text) == .number(Double(text)!), "\(text)")
        }
    }
}

@Test func nonContiguousInput() throws {
    let bytes = Array("[1, {\"a\": \"é\"}]".utf8).lazy.map { $0 }
    #expect(try JSONValue.parse(bytes) == .array([.number(1), .object(JSONObject([(key: "a", value: .string("é"))]))]))
    #expect(try JSONValue.parse("true".utf8) == .bool(true))
}

@Test func typeDescriptions() throws {
    #expect(JSONValue.null.typeDescription == "null")
    #expect(JSONValue.bool(true).typeDescription == "a boolean")
    #expect(JSONValue.number(1).typeDescription == "a number")
    #expect(JSONValue.string("").typeDescription == "a string")
    #expect(JSONValue.array([]).typeDescription == "an array")
    #expect(JSONValue.object(JSONObject()).typeDescription == "an object")
}

// MARK: - Errors

@Test(arguments: malformedCases)
func malformedDocumentsReportPosition(_ test: MalformedCase) {
    let error = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(test.bytes) }
    guard let error else { return }
    #expect(error.line == test.line, "\(error)")
    #expect(error.column == test.column, "\(error)")
    #expect(error.message.contains(test.fragment), "\(error)")
    #expect(!error.description.contains("\n"))
    #expect(error.description == "line \(error.line), column \(error.column): \(error.message)")
}

@Test func errorDescriptionFormat() {
    let error = JSONSyntaxError(line: 3, column: 7, message: "duplicate key \"seed\"")
    #expect(error.description == "line 3, column 7: duplicate key \"seed\"")
}

@Test func longOffendingTextIsTruncated() {
    let huge = "1" + String(repeating: "9", count: 10_000) + "e400"
    let error = #expect(throws: JSONSyntaxError.self) { try parse(huge) }
    #expect(error?.message.hasPrefix("number out of range: 1999") == true)
    #expect((error?.message.utf8.count ?? .max) < 100)
}

// MARK: - Depth

@Test func depthLimit() throws {
    #expect(JSONValue.maximumDepth == 256)
    let deepest = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
    #expect(throws: Never.self) { try parse(deepest) }
    let tooDeep = String(repeating: "[", count: 257) + String(repeating: "]", count: 257)
    let error = #expect(throws: JSONSyntaxError.self) { try parse(tooDeep) }
    #expect(error?.message == "nesting deeper than 256 levels")
    #expect(error?.column == 257)

    let objects = String(repeating: "{\"a\":", count: 256) + "1" + String(repeating: "}", count: 256)
    #expect(throws: Never.self) { try parse(objects) }
    let tooDeepObjects = String(repeating: "{\"a\":", count: 257) + "1" + String(repeating: "}", count: 257)
    let objectError = #expect(throws: JSONSyntaxError.self) { try parse(tooDeepObjects) }
    #expect(objectError?.column == 256 * 5 + 1)
}

@Test func millionDeepNestingFailsCleanly() {
    let arrays = [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)
    let error = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(arrays) }
    #expect(error?.message == "nesting deeper than 256 levels")
    #expect(error?.line == 1)
    #expect(error?.column == 257)

    let mixed = Array(String(repeating: "{\"k\":[", count: 200_000).utf8)
    let mixedError = #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(mixed) }
    #expect(mixedError?.message == "nesting deeper than 256 levels")
}

// MARK: - Fuzzing

private let sampleConfig = """
    {
      "name": "pi estimate",
      "seed": 20240601,
      "trials": 1e6,
      "tolerance": 0.001,
      "tags": ["quick", "caf\\u00e9", "😀"],
      "model": {"kind": "uniform", "bounds": [-1.5, 1.5], "enabled": true, "notes": null}
    }
    """

/// Parses hostile bytes: it must return a value that round-trips, or throw a
/// well-formed error. A crash or hang fails the whole run.
private func checkHostile(_ bytes: [UInt8]) {
    do {
        let value = try JSONValue.parse(bytes)
        let again = try JSONValue.parse(Array(value.compactText.utf8))
        #expect(again == value)
    } catch {
        let lineCount = bytes.count { $0 == 0x0A || $0 == 0x0D } + 1
        #expect(error.line >= 1 && error.line <= lineCount, "\(error)")
        #expect(error.column >= 1 && error.column <= bytes.count + 1, "\(error)")
        #expect(!error.message.isEmpty)
    }
}

@Test func randomBytesNeverCrash() {
    var rng = XorShift64(seed: 0xDEAD_BEEF)
    let alphabet = Array("{}[],:\"\\ntrufalsenul0123456789-+.eEx \n\tNaInfiy/u".utf8) + [0x00, 0x80, 0xC3, 0xED, 0xF4, 0xFF]
    var parsedCount = 0
    for _ in 0..<3000 {
        let length = rng.below(48)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for _ in 0..<length {
            if rng.below(4) == 0 {
                bytes.append(UInt8(truncatingIfNeeded: rng.next()))
            } else {
                bytes.append(alphabet[rng.below(alphabet.count)])
            }
        }
        checkHostile(bytes)
        if (try? JSONValue.parse(bytes)) != nil { parsedCount += 1 }
    }
    #expect(parsedCount > 0)
}

@Test func mutatedConfigNeverCrashes() throws {
    let original = Array(sampleConfig.utf8)
    #expect(throws: Never.self) { try JSONValue.parse(original) }
    var rng = XorShift64(seed: 42)
    for round in 0..<3000 {
        var bytes = original
        let index = rng.below(bytes.count)
        switch round % 3 {
        case 0: bytes[index] = UInt8(truncatingIfNeeded: rng.next())
        case 1: bytes.remove(at: index)
        default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: index)
        }
        checkHostile(bytes)
    }
}

/// An integer literal (no fraction, no exponent) must be exactly the double it reads as: 2^53 + 1
/// would otherwise be read as 2^53 without a word (a seed, a count).
@Test func integerLiteralsMustBeExact() throws {
    for text in ["9007199254740993", "-9007199254740993", "9007199254740995", "123456789012345678901234567890",
                 "100000000000000000000000", "18446744073709551617", "-18446744073709551615"] {
        let error = #expect(throws: JSONSyntaxError.self, "\(text)") { try parse("[1,\n " + text + "]") }
        #expect(error == JSONSyntaxError(line: 2, column: 2, message: "integer \(text) has no exact double-precision value"))
    }
    let long = String(repeating: "9", count: 60)
    let error = #expect(throws: JSONSyntaxError.self) { try parse(long) }
    #expect(error?.message == "integer \(String(repeating: "9", count: 40))... has no exact double-precision value")
    let huge = #expect(throws: JSONSyntaxError.self) { try parse("1" + String(repeating: "0", count: 400)) }
    #expect(huge?.message.hasPrefix("number out of range") == true)
}

/// `numbers: .exact` (configs): every exact decimal form of an integer n ≤ 2^53 reads as n; the
/// same digits with a nonzero digit appended beyond a double's precision, which rounds back to
/// n, are refused naming n; a nonzero literal that underflows to 0 or to a subnormal is refused.
/// `.rounded` (plain JSON) takes every one of them, as before.
@Test func exactNumbersRefuseWhatRoundingWouldChange() throws {
    func exact(_ text: String) throws(JSONSyntaxError) -> JSONValue { try JSONValue.parse(Array(text.utf8), numbers: .exact) }
    var rng = XorShift64(seed: 2323)
    for _ in 0..<2000 {
        let n = max(1, rng.below(1 << 53) >> rng.below(50))
        let digits = String(n)
        let shift = rng.below(digits.count + 1)
        var forms = [digits, "\(digits).000", "\(digits)e0", "\(digits)0e-1", "-\(digits).0"]
        // The point moved `shift` places left, and the exponent `shift` up: 1234 → 12.34e2, 0.1234e4.
        let cut = digits.index(digits.startIndex, offsetBy: digits.count - shift)
        forms.append((cut == digits.startIndex ? "0" : String(digits[..<cut])) + "." + (shift == 0 ? "0" : String(digits[cut...])) + "e\(shift)")
        for form in forms {
            let value = try exact(form)
            #expect(value == .number(form.hasPrefix("-") ? -Double(n) : Double(n)), "\(form)")
            #expect(try JSONValue.parse(Array(form.utf8)) == value, "\(form)")
        }
        let blurred = "\(digits).\(String(repeating: "0", count: 17 + rng.below(20)))\(1 + rng.below(9))"
        #expect(Double(blurred) == Double(n), "\(blurred) rounds to \(n)")
        let error = #expect(throws: JSONSyntaxError.self, "\(blurred)") { try exact(blurred) }
        #expect(error?.message.hasSuffix("is not exactly \(n), the integer it would be read as") == true, "\(String(describing: error))")
        #expect(try JSONValue.parse(Array(blurred.utf8)) == .number(Double(n)))
    }
    for text in ["1e-400", "-1e-400", "0.0000000000000000000000000000000000000000000000000000000000001e-300"] {
        let error = #expect(throws: JSONSyntaxError.self, "\(text)") { try exact(text) }
        #expect(error?.message.contains("underflows to 0") == true, "\(text): \(String(describing: error))")
    }
    for text in ["1e-320", "4.9e-324", "2.2250738585072011e-308"] {
        let error = #expect(throws: JSONSyntaxError.self, "\(text)") { try exact(text) }
        #expect(error?.message.contains("smallest normal double") == true, "\(text): \(String(describing: error))")
    }
    for text in ["0", "0.0", "-0.0", "0e-400", "0.000e5", "2.2250738585072014e-308", "0.1", "1e308", "9007199254740992", "123.456"] {
        #expect(try exact(text) == JSONValue.parse(Array(text.utf8)), "\(text)")
    }
}
