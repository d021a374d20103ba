/// Strict JSON (RFC 8259) for configs and part files. The parser keeps object keys in file
/// order and refuses what a lenient parser lets through silently: duplicate keys, integer
/// literals no double holds exactly (`9007199254740993`), numbers out of range, NaN, Infinity,
/// comments, trailing commas, leading zeros, ill-formed UTF-8, nesting deeper than
/// ``JSONValue/maximumDepth``. Every failure is one ``JSONSyntaxError`` line: `line L, column C: …`.
///
/// Configs are JSON, not YAML. JSON is already YAML 1.2; accepting YAML's other syntax would
/// cost more than it gives. Under the YAML 1.1 rules libyaml-based readers follow, `no` and
/// `off` are booleans, `010` may be octal, `1e3` may be a string, `.nan` and `.inf` are
/// numbers, and anchors and merge keys (`<<`) build documents whose keys and size do not show
/// in the text. Each strict rule above would have to be re-established, and re-tested, on Yams'
/// own node types and number conversion, for a second syntax that could drift from the first;
/// a config is hashed into part-file fingerprints, where a seed read as a nearby double is a
/// different study. Yams also brings libyaml's C sources into every build on a two-core
/// machine, for files of ten to thirty lines. What users would gain is mainly comments, and a
/// study's purpose is written in docs/SCIENCE.md and the report, next to its numbers.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// Any JSON number, correctly rounded to a `Double`; always finite when produced by `parse`.
    case number(Double)
    /// A string with all escapes resolved.
    case string(String)
    case array([JSONValue])
    /// An object, with its members in file order.
    case object(JSONObject)
}

/// An object with its members in file order. Duplicate keys are a syntax error.
public struct JSONObject: Sendable, Equatable {
    /// The members in the order they were written.
    public var members: [(key: String, value: JSONValue)]

    public init(_ members: [(key: String, value: JSONValue)] = []) { self.members = members }

    /// The value of the first member named `key`, or `nil` if there is none (a linear search).
    public subscript(key: String) -> JSONValue? { members.first { $0.key == key }?.value }

    /// The member names in stored order.
    public var keys: [String] { members.map(\.key) }

    /// Two objects are equal when they have the same members in the same order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.elementsEqual(rhs.members) { $0.key == $1.key && $0.value == $1.value }
    }
}

/// A syntax error at a 1-based line and column. Columns count bytes from the start of the
/// line; lines end at LF, CR LF or a lone CR; a leading UTF-8 byte order mark is not counted.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int, column: Int
    /// What went wrong, e.g. `duplicate key "seed"` or `number out of range: 1e400`.
    public var message: String

    public init(line: Int, column: Int, message: String) {
        (self.line, self.column, self.message) = (line, column, message)
    }

    /// `line L, column C: message`.
    public var description: String { "line \(line), column \(column): \(message)" }
}

extension JSONValue {
    /// The deepest nesting of arrays and objects that `parse` accepts (256).
    public static let maximumDepth: Int = 256

    /// Parses a whole document, rejecting trailing content; a UTF-8 BOM is allowed and skipped.
    /// Errors report the offending byte; at the end of the input, the position just past the
    /// last byte, except an unterminated string, which reports its opening quote.
    public static func parse(_ bytes: some Collection<UInt8>, numbers: Numbers = .rounded) throws(JSONSyntaxError) -> JSONValue {
        var parser = Parser(Array(bytes), numbers: numbers)
        return try parser.document()
    }

    /// How a number literal that no double holds exactly is read.
    public enum Numbers: Sendable {
        /// Correctly rounded to the nearest double, as JSON readers do (an integer literal of
        /// 2^53 or more must still be exact).
        case rounded
        /// As `rounded`, but a literal is refused when rounding would change what it says: a
        /// literal that becomes an integer of magnitude ≤ 2^53 must be exactly that integer
        /// (`7.0000000000000001` and `9007199254740993.0` are refused, `5.0` and `1e3` are not),
        /// and a literal other than zero may not become 0 or a subnormal double (`1e-400`,
        /// `1e-310`). Configs are read so: a seed or a count is then exactly what was written,
        /// and the manifest's copy of the config is the config as written.
        case exact
    }

    /// Compact JSON text, keys in stored order, numbers in shortest round-trip form. Integral numbers with magnitude below 2^53 are written without a fraction (`3`, `-0`);
    /// others use `Double.description` (`0.1`, `1e-05`, `2.5e+20`), which is valid JSON for
    /// finite values. Non-finite numbers, which `parse` never produces, are written as `null`.
    /// Strings escape `"`, `\` and control characters only.
    public var compactText: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let d): Self.numberText(d)
        case .string(let s): Self.quoted(s)
        case .array(let elements): "[" + elements.map(\.compactText).joined(separator: ",") + "]"
        case .object(let object):
            "{" + object.members.map { Self.quoted($0.key) + ":" + $0.value.compactText }.joined(separator: ",") + "}"
        }
    }

    /// A short name of the value's type for error messages: "null", "a boolean", "a number",
    /// "a string", "an array", "an object".
    public var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    private static func numberText(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d.magnitude < 0x1p53, Double(Int64(d)) == d {  // truncation, exact below 2^53
            return d == 0 && d.sign == .minus ? "-0" : String(Int64(d))
        }
        return d.description
    }

    private static let escapes: [Unicode.Scalar: String] = [
        "\"": "\\\"", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u{8}": "\\b", "\u{C}": "\\f",
    ]

    private static func quoted(_ s: String) -> String {
        let body = s.unicodeScalars.map { escapes[$0] ?? ($0.value < 0x20 ? "\\u" + hex($0.value, 4, uppercase: false) : String($0)) }
        return "\"" + body.joined() + "\""
    }
}

/// `value` in hexadecimal, zero-padded to `width` digits.
private func hex(_ value: some BinaryInteger, _ width: Int, uppercase: Bool = true) -> String {
    let digits = String(value, radix: 16, uppercase: uppercase)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// A recursive-descent parser. Recursion is safe because it is bounded: every array or object
/// opened beyond ``JSONValue/maximumDepth`` is refused before descending, so a million `[` cost
/// 256 stack frames and one error, never a stack overflow.
private struct Parser {
    let bytes: [UInt8]
    /// The offset after an optional BOM; lines and columns count from here.
    let start: Int
    var pos: Int
    let numbers: JSONValue.Numbers

    init(_ bytes: [UInt8], numbers: JSONValue.Numbers = .rounded) {
        self.bytes = bytes
        self.numbers = numbers
        start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        pos = start
    }

    var current: UInt8? { pos < bytes.count ? bytes[pos] : nil }

    /// What follows a backslash in a string, and what it stands for: \" \\ \/ \b \f \n \r \t.
    static let escapes: [UInt8: UInt8] = [0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 0x08, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09]

    func fail(_ message: String, at offset: Int) -> JSONSyntaxError {
        var line = 1, lineStart = start
        for i in start..<offset where bytes[i] == 0x0A || bytes[i] == 0x0D {
            if !(bytes[i] == 0x0A && i > start && bytes[i - 1] == 0x0D) { line += 1 }  // CR LF is one break
            lineStart = i + 1
        }
        return JSONSyntaxError(line: line, column: offset - lineStart + 1, message: message)
    }

    /// `'c'` for printable ASCII, `byte 0xHH` otherwise.
    static func describe(_ b: UInt8) -> String {
        (0x20..<0x7F).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x" + hex(b, 2)
    }

    /// What is at `offset`, for messages: a described byte or "end of input".
    func found(_ offset: Int) -> String { offset < bytes.count ? Self.describe(bytes[offset]) : "end of input" }

    /// `expected WHAT, found 'c'`, or `unexpected end of input, expected WHAT`, at `pos`.
    func expected(_ what: String) -> JSONSyntaxError {
        fail(pos < bytes.count ? "expected \(what), found \(found(pos))" : "unexpected end of input, expected \(what)", at: pos)
    }

    /// Source text for a message, cut to 40 bytes to keep errors on one short line.
    func excerpt(_ range: Range<Int>) -> String {
        let text = String(decoding: bytes[range.prefix(40)], as: UTF8.self)
        return range.count > 40 ? text + "..." : text
    }

    static func isWordByte(_ b: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b | 0x20) || isDigit(b) || b == UInt8(ascii: "_")
    }
    static func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    mutating func skipWhitespace() {
        while let b = current, b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { pos += 1 }
    }

    mutating func document() throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        guard pos < bytes.count else { throw fail("empty document", at: pos) }
        let result = try value(depth: 0)
        skipWhitespace()
        if let b = current { throw fail("unexpected \(Self.describe(b)) after end of document", at: pos) }
        return result
    }

    /// The value at `pos` (after whitespace), inside `depth` open arrays and objects.
    mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        guard let b = current else { throw expected("a value") }
        switch b {
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            guard depth < JSONValue.maximumDepth else {
                throw fail("nesting deeper than \(JSONValue.maximumDepth) levels", at: pos)
            }
            pos += 1
            if b == UInt8(ascii: "[") { return try array(depth: depth + 1) }
            return try object(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case _ where Self.isWordByte(b): return try literal()
        case UInt8(ascii: "+"), UInt8(ascii: "."): throw fail("a number may not start with \(Self.describe(b))", at: pos)
        case UInt8(ascii: "/"): throw fail("comments are not allowed in JSON", at: pos)
        default: throw expected("a value")
        }
    }

    mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { pos += 1; return .array(elements) }
        while true {
            elements.append(try value(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                pos += 1
                skipWhitespace()
                if let b = current, b == UInt8(ascii: "]") || b == UInt8(ascii: "}") {
                    throw fail("trailing comma before \(Self.describe(b)) is not allowed", at: pos)
                }
            case UInt8(ascii: "]"):
                pos += 1
                return .array(elements)
            default: throw expected("',' or ']' after array element")
            }
        }
    }

    mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [], keys: Set<String> = []
        skipWhitespace()
        if current == UInt8(ascii: "}") { pos += 1; return .object(JSONObject()) }
        guard current == UInt8(ascii: "\"") else {
            throw fail("expected a string key or '}' after '{', found \(found(pos))", at: pos)
        }
        while true {
            let keyStart = pos
            let key = try string()
            guard keys.insert(key).inserted else {
                let text = JSONValue.string(key).compactText
                throw fail("duplicate key \(text.utf8.count > 66 ? String(text.prefix(64)) + "..." : text)", at: keyStart)
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw fail("expected ':' after object key, found \(found(pos))", at: pos) }
            pos += 1
            let member = try value(depth: depth)
            members.append((key, member))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                pos += 1
                skipWhitespace()
                switch current {
                case UInt8(ascii: "\""): continue
                case UInt8(ascii: "}"): throw fail("trailing comma before '}' is not allowed", at: pos)
                default: throw expected("a string key after ','")
                }
            case UInt8(ascii: "}"):
                pos += 1
                return .object(JSONObject(members))
            default: throw expected("',' or '}' after object member")
            }
        }
    }

    mutating func literal() throws(JSONSyntaxError) -> JSONValue {
        let begin = pos
        while let b = current, Self.isWordByte(b) { pos += 1 }
        let word = pos - begin <= 8 ? String(decoding: bytes[begin..<pos], as: UTF8.self) : ""
        switch word {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        case "NaN", "Infinity": throw fail("\(word) is not valid JSON", at: begin)
        default: throw fail("invalid literal '\(excerpt(begin..<pos))', expected true, false or null", at: begin)
        }
    }

    /// Skips one or more digits; `what` says where they were expected.
    mutating func digits(_ what: String) throws(JSONSyntaxError) {
        guard let b = current, Self.isDigit(b) else { throw fail("expected a digit \(what), found \(found(pos))", at: pos) }
        while let b = current, Self.isDigit(b) { pos += 1 }
    }

    /// Checks the grammar by hand (for the messages), then converts with `Double(_:)`, which is
    /// correctly rounded.
    mutating func number() throws(JSONSyntaxError) -> Double {
        let begin = pos
        if current == UInt8(ascii: "-") {
            pos += 1
            if current == UInt8(ascii: "I"), bytes[pos...].prefix(while: Self.isWordByte).elementsEqual("Infinity".utf8) {
                throw fail("-Infinity is not valid JSON", at: begin)
            }
        }
        let integer = pos
        try digits("after '-'")
        if bytes[integer] == UInt8(ascii: "0"), pos - integer > 1 {
            throw fail("leading zeros are not allowed in numbers", at: integer + 1)
        }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            pos += 1
            try digits("after '.'")
            isInteger = false
        }
        if let b = current, b | 0x20 == UInt8(ascii: "e") {
            pos += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { pos += 1 }
            try digits("in exponent")
            isInteger = false
        }
        if let b = current, Self.isWordByte(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") {
            throw fail("invalid character \(Self.describe(b)) in number", at: pos)
        }
        guard let value = Double(String(decoding: bytes[begin..<pos], as: UTF8.self)), value.isFinite else {
            throw fail("number out of range: \(excerpt(begin..<pos))", at: begin)
        }
        // An integer literal must be exactly the double it becomes: 9007199254740993 would
        // silently read as 2^53, a different seed or count.
        if isInteger, value.magnitude >= 0x1p53,
           !Self.exactDigits(value.magnitude).utf8.elementsEqual(bytes[integer..<pos]) {
            throw fail("integer \(excerpt(begin..<pos)) has no exact double-precision value", at: begin)
        }
        if numbers == .exact, !isInteger {
            let literal = Self.decimal(bytes[integer..<pos])
            if value == 0, !literal.digits.isEmpty {
                throw fail("number \(excerpt(begin..<pos)) underflows to 0; no double is that small", at: begin)
            }
            if value != 0, value.magnitude < Double.leastNormalMagnitude {
                throw fail("number \(excerpt(begin..<pos)) is below the smallest normal double (2.2e-308) and would lose its digits", at: begin)
            }
            if value.magnitude <= 0x1p53, value.rounded() == value,
               literal != Self.decimal(Array(Self.exactDigits(value.magnitude).utf8)[...]) {
                throw fail("number \(excerpt(begin..<pos)) is not exactly \(Self.exactDigits(value.magnitude)), the integer it would be read as", at: begin)
            }
        }
        return value
    }

    /// A non-negative decimal literal (digits, optional fraction, optional exponent) as its
    /// significant digits (no leading or trailing zeros) and the place of the decimal point
    /// relative to their start: two literals denote the same number exactly when these are
    /// equal (`7.0`, `7` and `0.7e1` give ("7", 1)). An exponent beyond ±10⁹ is clamped (such a
    /// literal is out of range or zero anyway).
    static func decimal(_ literal: ArraySlice<UInt8>) -> (digits: [UInt8], point: Int) {
        var digits: [UInt8] = [], point = 0, exponent = 0, sign = 1
        var i = literal.startIndex, inFraction = false
        while i < literal.endIndex {
            let b = literal[i]
            if isDigit(b) {
                digits.append(b)
                if !inFraction { point += 1 }
            } else if b == UInt8(ascii: ".") {
                inFraction = true
            } else {
                i += 1
                if i < literal.endIndex, literal[i] == UInt8(ascii: "-") || literal[i] == UInt8(ascii: "+") {
                    if literal[i] == UInt8(ascii: "-") { sign = -1 }
                    i += 1
                }
                for b in literal[i...] { exponent = min(exponent * 10 + Int(b - UInt8(ascii: "0")), 1_000_000_000) }
                break
            }
            i += 1
        }
        let leading = digits.prefix { $0 == UInt8(ascii: "0") }.count
        digits.removeFirst(leading)
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return (digits, digits.isEmpty ? 0 : point - leading + sign * exponent)
    }

    /// The exact decimal digits of a non-negative integral double: its 53-bit significand
    /// doubled in base-10⁹ limbs (at most 971 doublings of at most 35 limbs).
    static func exactDigits(_ x: Double) -> String {
        if x < 0x1p63 { return String(UInt64(x)) }
        var limbs: [UInt64] = [], significand = x.significandBitPattern | 1 << 52  // little-endian
        while significand > 0 { limbs.append(significand % 1_000_000_000); significand /= 1_000_000_000 }
        for _ in 0..<(Int(x.exponent) - 52) {
            var carry: UInt64 = 0
            for i in limbs.indices { (carry, limbs[i]) = (limbs[i] * 2 + carry).quotientAndRemainder(dividingBy: 1_000_000_000) }
            if carry > 0 { limbs.append(carry) }
        }
        return limbs.reversed().enumerated().map { i, limb in
            let text = String(limb)
            return i == 0 ? text : String(repeating: "0", count: 9 - text.count) + text
        }.joined()
    }

    /// The string whose opening quote is at `pos`, escapes resolved.
    mutating func string() throws(JSONSyntaxError) -> String {
        let quote = pos
        pos += 1
        var out: [UInt8] = [], copied = pos  // `out` holds the string up to `copied`
        while true {
            guard let b = current else { throw invalidUTF8(in: quote + 1..<pos) ?? fail("unterminated string", at: quote) }
            switch b {
            case UInt8(ascii: "\""):
                out += bytes[copied..<pos]
                pos += 1
                // Escapes add only well-formed UTF-8, so `out` is well-formed iff the raw bytes are.
                guard let string = String(validating: out, as: UTF8.self) else { throw invalidUTF8(in: quote + 1..<pos - 1)! }
                return string
            case UInt8(ascii: "\\"):
                out += bytes[copied..<pos]
                let backslash = pos
                do throws(JSONSyntaxError) { try escape(into: &out, quote: quote) } catch { throw invalidUTF8(in: quote + 1..<backslash) ?? error }
                copied = pos
            case ..<0x20:
                throw invalidUTF8(in: quote + 1..<pos) ?? fail("unescaped control character U+\(hex(b, 4)) in string", at: pos)
            default:
                pos += 1
            }
        }
    }

    /// The error for the first ill-formed UTF-8 sequence in `range`, or nil if there is none.
    func invalidUTF8(in range: Range<Int>) -> JSONSyntaxError? {
        guard String(validating: bytes[range], as: UTF8.self) == nil else { return nil }
        var parser = Unicode.UTF8.ForwardParser(), input = bytes[range].makeIterator(), offset = range.lowerBound
        while case .valid(let scalar) = parser.parseScalar(from: &input) { offset += scalar.count }
        let lead = bytes[min(offset, range.upperBound - 1)]
        return fail("invalid UTF-8 (\((0xC2...0xF4).contains(lead) ? "sequence starting with " : "")byte 0x\(hex(lead, 2)))", at: offset)
    }

    /// Resolves the escape whose backslash is at `pos`, in the string whose quote is at `quote`.
    mutating func escape(into out: inout [UInt8], quote: Int) throws(JSONSyntaxError) {
        let backslash = pos
        guard pos + 1 < bytes.count else { throw fail("unterminated string", at: quote) }
        let c = bytes[pos + 1]
        pos += 2
        switch c {
        case _ where Self.escapes[c] != nil: out.append(Self.escapes[c]!)
        case UInt8(ascii: "u"):
            var unit = try hex4(escapeAt: backslash)
            if (0xD800..<0xDC00).contains(unit), bytes[pos...].starts(with: #"\u"#.utf8) {
                let low = pos
                pos += 2
                let second = try hex4(escapeAt: low)
                if (0xDC00..<0xE000).contains(second) { unit = 0x10000 + (unit - 0xD800) << 10 + (second - 0xDC00) }
            }
            guard let scalar = Unicode.Scalar(unit) else {  // a surrogate left unpaired
                throw fail("unpaired \(unit < 0xDC00 ? "high" : "low") surrogate \\u\(hex(unit, 4)) in string", at: backslash)
            }
            out += Unicode.UTF8.encode(scalar)!
        default:
            throw fail("invalid escape sequence '\\' followed by \(Self.describe(c)) in string", at: backslash)
        }
    }

    /// The four hex digits at `pos` of the `\u` escape at `escapeAt`.
    mutating func hex4(escapeAt: Int) throws(JSONSyntaxError) -> UInt32 {
        let digits = bytes[pos...].prefix(4)
        guard digits.count == 4, digits.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }) else {
            throw fail("invalid \\u escape: expected 4 hex digits", at: escapeAt)
        }
        pos += 4
        return UInt32(String(decoding: digits, as: UTF8.self), radix: 16)!
    }
}
