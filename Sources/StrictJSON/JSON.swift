// JSON reading and writing for configuration files.
//
// The parser is strict RFC 8259: no comments, no trailing commas, no NaN or
// Infinity, no leading zeros, and only well-formed UTF-8. It never traps on
// malformed input: nesting is handled with an explicit stack (bounded by
// `JSONValue.maximumDepth`), and every failure is reported as a one-line
// `JSONSyntaxError` carrying the line and column of the offending byte.

/// A JSON value that keeps object keys in the order they were written.
public enum JSONValue: Sendable, Equatable {
    /// The literal `null`.
    case null
    /// The literal `true` or `false`.
    case bool(Bool)
    /// Any JSON number, converted to the nearest `Double` (correctly rounded,
    /// with `Double(String)` semantics). Always finite when produced by `parse`.
    case number(Double)
    /// A string with all escapes resolved.
    case string(String)
    /// An array, in file order.
    case array([JSONValue])
    /// An object, with its members in file order.
    case object(JSONObject)
}

/// An object with its members in file order. Duplicate keys are a syntax error.
public struct JSONObject: Sendable, Equatable {
    /// The members in the order they were written.
    public var members: [(key: String, value: JSONValue)]

    /// Creates an object from members in the given order.
    public init(_ members: [(key: String, value: JSONValue)] = []) {
        self.members = members
    }

    /// The value of the first member named `key`, or `nil` if there is none.
    /// Linear in the number of members.
    public subscript(key: String) -> JSONValue? {
        for member in members where member.key == key {
            return member.value
        }
        return nil
    }

    /// The member names in stored order.
    public var keys: [String] {
        members.map(\.key)
    }

    /// Two objects are equal when they have the same members in the same order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for (l, r) in zip(lhs.members, rhs.members) {
            guard l.key == r.key, l.value == r.value else { return false }
        }
        return true
    }
}

/// A syntax error with its 1-based line and column.
///
/// Columns count bytes (not characters) from the start of the line. Lines end
/// at LF, CR LF or a lone CR. A leading UTF-8 byte order mark is not counted.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line of the offending byte.
    public var line: Int
    /// The 1-based byte column of the offending byte within its line.
    public var column: Int
    /// What went wrong, e.g. `duplicate key "seed"` or `number out of range: 1e400`.
    public var message: String

    /// Creates an error at the given position.
    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    /// `line L, column C: message`.
    public var description: String {
        "line \(line), column \(column): \(message)"
    }
}

extension JSONValue {
    /// The deepest nesting of arrays and objects that `parse` accepts (256).
    public static let maximumDepth: Int = 256

    /// Parses a whole document (RFC 8259), rejecting trailing content; a UTF-8
    /// BOM is allowed and skipped.
    ///
    /// Errors report the offending byte. Errors at the end of the input report
    /// the position just past the last byte, except an unterminated string,
    /// which reports its opening quote. Runs in linear time and constant stack
    /// depth whatever the input.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            JSONParser.parseDocument(buffer)
        }
        if let contiguous {
            return try contiguous.get()
        }
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { buffer in
            JSONParser.parseDocument(buffer)
        }.get()
    }

    /// Compact JSON text, keys in stored order, numbers in shortest round-trip
    /// form.
    ///
    /// Integral numbers with magnitude below 2^53 are written without a
    /// fraction (`3`, `-0`); others use `Double.description` (`0.1`, `1e-05`,
    /// `2.5e+20`), which is valid JSON for finite values. Non-finite numbers,
    /// which `parse` never produces, are written as `null`. Strings escape `"`,
    /// `\` and control characters only. Recursive: intended for values no
    /// deeper than `maximumDepth`.
    public var compactText: String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        JSONWriter.write(self, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A short name of the value's type for error messages: "null",
    /// "a boolean", "a number", "a string", "an array", "an object".
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
}

// MARK: - Writer

/// Serialises values as compact JSON bytes.
private enum JSONWriter {
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null:
            out.append(contentsOf: "null".utf8)
        case .bool(let b):
            out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let d):
            out.append(contentsOf: numberText(d).utf8)
        case .string(let s):
            writeString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (i, member) in object.members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func numberText(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        // Truncating conversion only (no libm call); exact below 2^53.
        if d.magnitude < 9_007_199_254_740_992, Double(Int64(d)) == d {
            if d == 0 { return d.sign == .minus ? "-0" : "0" }
            return Int64(d).description
        }
        return d.description
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""):
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"):
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

// MARK: - Parser

/// A single-pass, non-recursive parser over a contiguous byte buffer.
private struct JSONParser {
    /// An array or object under construction.
    private struct Frame {
        var isObject: Bool
        var elements: [JSONValue] = []
        var members: [(key: String, value: JSONValue)] = []
        /// The key awaiting its value (objects only).
        var pendingKey: String = ""
        /// Built once an object has many members, to keep duplicate checks linear.
        var keySet: Set<String>? = nil
    }

    private typealias Failure = JSONSyntaxError

    private let buf: UnsafeBufferPointer<UInt8>
    /// Offset of the first byte after an optional BOM; positions count from here.
    private let bodyStart: Int
    private var pos: Int

    private init(_ buf: UnsafeBufferPointer<UInt8>) {
        self.buf = buf
        if buf.count >= 3, buf[0] == 0xEF, buf[1] == 0xBB, buf[2] == 0xBF {
            bodyStart = 3
        } else {
            bodyStart = 0
        }
        pos = bodyStart
    }

    static func parseDocument(_ buf: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONSyntaxError> {
        var parser = JSONParser(buf)
        do throws(JSONSyntaxError) {
            return .success(try parser.parseDocument())
        } catch {
            return .failure(error)
        }
    }

    // MARK: Errors

    private func error(_ message: String, at offset: Int) -> Failure {
        var line = 1
        var lineStart = bodyStart
        var i = bodyStart
        let limit = min(offset, buf.count)
        while i < limit {
            let b = buf[i]
            if b == 0x0A {
                line += 1
                lineStart = i + 1
            } else if b == 0x0D {
                if i + 1 < buf.count, buf[i + 1] == 0x0A {
                    if i + 1 == limit { break }  // offset is the LF of a CR LF pair
                    i += 1
                }
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        return JSONSyntaxError(line: line, column: offset - lineStart + 1, message: message)
    }

    /// `'c'` for printable ASCII, `byte 0xHH` otherwise.
    private static func describe(_ b: UInt8) -> String {
        if b >= 0x20 && b < 0x7F {
            return "'\(Character(Unicode.Scalar(b)))'"
        }
        let hex = String(b, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }

    /// What is at `offset`, for messages: a described byte or "end of input".
    private func found(at offset: Int) -> String {
        offset < buf.count ? Self.describe(buf[offset]) : "end of input"
    }

    /// Source text for a message, truncated to keep errors on one short line.
    private func excerpt(_ start: Int, _ end: Int, limit: Int = 40) -> String {
        let stop = min(end, start + limit)
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<stop]), as: UTF8.self)
        return stop < end ? text + "..." : text
    }

    // MARK: Document structure

    @inline(__always)
    private mutating func skipWhitespace() {
        while pos < buf.count {
            switch buf[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    private mutating func parseDocument() throws(Failure) -> JSONValue {
        skipWhitespace()
        if pos >= buf.count {
            throw error("empty document", at: pos)
        }
        var stack: [Frame] = []
        var value: JSONValue

        parsing: while true {
            // A value is expected at `pos` (after optional whitespace).
            skipWhitespace()
            guard pos < buf.count else {
                throw error("unexpected end of input, expected a value", at: pos)
            }
            switch buf[pos] {
            case UInt8(ascii: "["):
                guard stack.count < JSONValue.maximumDepth else {
                    throw error("nesting deeper than \(JSONValue.maximumDepth) levels", at: pos)
                }
                pos += 1
                skipWhitespace()
                if pos < buf.count, buf[pos] == UInt8(ascii: "]") {
                    pos += 1
                    value = .array([])
                } else {
                    stack.append(Frame(isObject: false))
                    continue parsing
                }
            case UInt8(ascii: "{"):
                guard stack.count < JSONValue.maximumDepth else {
                    throw error("nesting deeper than \(JSONValue.maximumDepth) levels", at: pos)
                }
                pos += 1
                skipWhitespace()
                if pos < buf.count, buf[pos] == UInt8(ascii: "}") {
                    pos += 1
                    value = .object(JSONObject())
                } else {
                    guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else {
                        throw error("expected a string key or '}' after '{', found \(found(at: pos))", at: pos)
                    }
                    var frame = Frame(isObject: true)
                    try readKey(into: &frame)
                    stack.append(frame)
                    continue parsing
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = .number(try parseNumber())
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                value = try parseLiteral()
            case UInt8(ascii: "+"):
                throw error("a number may not start with '+'", at: pos)
            case UInt8(ascii: "."):
                throw error("a number may not start with '.'", at: pos)
            case UInt8(ascii: "/"):
                throw error("comments are not allowed in JSON", at: pos)
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if !stack.isEmpty, pos > 0, lastNonWhitespace(before: pos) == UInt8(ascii: ",") {
                    throw error("trailing comma before \(Self.describe(buf[pos])) is not allowed", at: pos)
                }
                throw error("expected a value, found \(Self.describe(buf[pos]))", at: pos)
            default:
                throw error("expected a value, found \(Self.describe(buf[pos]))", at: pos)
            }

            // Attach the finished value to the enclosing containers, closing
            // as many as end here.
            while true {
                guard !stack.isEmpty else { break parsing }
                let top = stack.count - 1
                skipWhitespace()
                if stack[top].isObject {
                    let key = stack[top].pendingKey
                    stack[top].members.append((key: key, value: value))
                    guard pos < buf.count else {
                        throw error("unexpected end of input, expected ',' or '}' after object member", at: pos)
                    }
                    switch buf[pos] {
                    case UInt8(ascii: ","):
                        pos += 1
                        skipWhitespace()
                        guard pos < buf.count else {
                            throw error("unexpected end of input, expected a string key after ','", at: pos)
                        }
                        guard buf[pos] == UInt8(ascii: "\"") else {
                            if buf[pos] == UInt8(ascii: "}") {
                                throw error("trailing comma before '}' is not allowed", at: pos)
                            }
                            throw error("expected a string key after ',', found \(Self.describe(buf[pos]))", at: pos)
                        }
                        try readKey(into: &stack[top])
                        continue parsing
                    case UInt8(ascii: "}"):
                        pos += 1
                        let frame = stack.removeLast()
                        value = .object(JSONObject(frame.members))
                    default:
                        throw error("expected ',' or '}' after object member, found \(Self.describe(buf[pos]))", at: pos)
                    }
                } else {
                    stack[top].elements.append(value)
                    guard pos < buf.count else {
                        throw error("unexpected end of input, expected ',' or ']' after array element", at: pos)
                    }
                    switch buf[pos] {
                    case UInt8(ascii: ","):
                        pos += 1
                        continue parsing
                    case UInt8(ascii: "]"):
                        pos += 1
                        let frame = stack.removeLast()
                        value = .array(frame.elements)
                    default:
                        throw error("expected ',' or ']' after array element, found \(Self.describe(buf[pos]))", at: pos)
                    }
                }
            }
        }

        skipWhitespace()
        if pos < buf.count {
            throw error("unexpected \(Self.describe(buf[pos])) after end of document", at: pos)
        }
        return value
    }

    private func lastNonWhitespace(before offset: Int) -> UInt8? {
        var i = offset - 1
        while i >= bodyStart {
            switch buf[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i -= 1
            default: return buf[i]
            }
        }
        return nil
    }

    /// Reads `"key" :` at `pos` into `frame.pendingKey`, rejecting duplicates.
    private mutating func readKey(into frame: inout Frame) throws(Failure) {
        let keyStart = pos
        let key = try parseString()
        let isDuplicate: Bool
        if frame.keySet != nil {
            isDuplicate = !frame.keySet!.insert(key).inserted
        } else if frame.members.count >= 16 {
            var set = Set(frame.members.map(\.key))
            isDuplicate = !set.insert(key).inserted
            frame.keySet = set
        } else {
            isDuplicate = frame.members.contains { $0.key == key }
        }
        if isDuplicate {
            var quoted: [UInt8] = []
            JSONWriter.writeString(key, into: &quoted)
            var text = String(decoding: quoted, as: UTF8.self)
            if text.utf8.count > 66 {
                text = String(text.prefix(64)) + "..."
            }
            throw error("duplicate key \(text)", at: keyStart)
        }
        frame.pendingKey = key
        skipWhitespace()
        guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else {
            throw error("expected ':' after object key, found \(found(at: pos))", at: pos)
        }
        pos += 1
    }

    // MARK: Literals

    private static func isWordByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    /// The end of the run of word bytes starting at `start`.
    private func wordEnd(from start: Int) -> Int {
        var end = start
        while end < buf.count, Self.isWordByte(buf[end]) { end += 1 }
        return end
    }

    private func word(_ start: Int, _ end: Int, equals literal: StaticString) -> Bool {
        guard end - start == literal.utf8CodeUnitCount else { return false }
        let p = literal.utf8Start
        for i in 0..<(end - start) where buf[start + i] != p[i] {
            return false
        }
        return true
    }

    private mutating func parseLiteral() throws(Failure) -> JSONValue {
        let start = pos
        let end = wordEnd(from: start)
        if word(start, end, equals: "true") {
            pos = end
            return .bool(true)
        }
        if word(start, end, equals: "false") {
            pos = end
            return .bool(false)
        }
        if word(start, end, equals: "null") {
            pos = end
            return .null
        }
        if word(start, end, equals: "NaN") {
            throw error("NaN is not valid JSON", at: start)
        }
        if word(start, end, equals: "Infinity") {
            throw error("Infinity is not valid JSON", at: start)
        }
        throw error("invalid literal '\(excerpt(start, end))', expected true, false or null", at: start)
    }

    // MARK: Numbers

    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    @inline(__always)
    private static func isDigit(_ b: UInt8) -> Bool {
        b &- UInt8(ascii: "0") < 10
    }

    /// The exact decimal digits of a non-negative integral double (2^53 < x < 2^1024 among
    /// them), by doubling its 53-bit significand in base-10⁹ limbs: at most 971 doublings of at
    /// most 35 limbs.
    static func integerText(_ x: Double) -> String {
        precondition(x >= 0 && x.isFinite && x.rounded() == x)
        if x < 0x1p63 { return String(UInt64(x)) }
        var limbs: [UInt64] = []  // little-endian, base 10⁹
        var significand = UInt64(x.significandBitPattern) | 1 << 52
        while significand > 0 { limbs.append(significand % 1_000_000_000); significand /= 1_000_000_000 }
        for _ in 0..<(Int(x.exponent) - 52) {
            var carry: UInt64 = 0
            for i in limbs.indices {
                let doubled = limbs[i] * 2 + carry
                (limbs[i], carry) = (doubled % 1_000_000_000, doubled / 1_000_000_000)
            }
            if carry > 0 { limbs.append(carry) }
        }
        var text = String(limbs.last!)
        for limb in limbs.dropLast().reversed() {
            let part = String(limb)
            text += String(repeating: "0", count: 9 - part.count) + part
        }
        return text
    }

    private mutating func parseNumber() throws(Failure) -> Double {
        let start = pos
        var negative = false
        if buf[pos] == UInt8(ascii: "-") {
            negative = true
            pos += 1
            if pos < buf.count, buf[pos] == UInt8(ascii: "I") {
                let end = wordEnd(from: pos)
                if word(pos, end, equals: "Infinity") {
                    throw error("-Infinity is not valid JSON", at: start)
                }
            }
            guard pos < buf.count, Self.isDigit(buf[pos]) else {
                throw error("expected a digit after '-', found \(found(at: pos))", at: pos)
            }
        }

        // Mantissa digits accumulate while they fit exactly (fast path).
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var decimalExponent = 0

        if buf[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < buf.count, Self.isDigit(buf[pos]) {
                throw error("leading zeros are not allowed in numbers", at: pos)
            }
        } else {
            while pos < buf.count, Self.isDigit(buf[pos]) {
                if significantDigits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(buf[pos] &- UInt8(ascii: "0"))
                } else {
                    decimalExponent &+= 1
                }
                significantDigits &+= 1
                pos += 1
            }
        }

        var fraction = false, hasExponent = false
        if pos < buf.count, buf[pos] == UInt8(ascii: ".") {
            fraction = true
            pos += 1
            guard pos < buf.count, Self.isDigit(buf[pos]) else {
                throw error("expected a digit after '.', found \(found(at: pos))", at: pos)
            }
            while pos < buf.count, Self.isDigit(buf[pos]) {
                let digit = buf[pos] &- UInt8(ascii: "0")
                if significantDigits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(digit)
                    decimalExponent &-= 1
                    if mantissa != 0 { significantDigits &+= 1 }
                } else {
                    significantDigits &+= 1
                }
                pos += 1
            }
        }

        var exponent = 0
        if pos < buf.count, buf[pos] | 0x20 == UInt8(ascii: "e") {
            hasExponent = true
            pos += 1
            var exponentNegative = false
            if pos < buf.count, buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-") {
                exponentNegative = buf[pos] == UInt8(ascii: "-")
                pos += 1
            }
            guard pos < buf.count, Self.isDigit(buf[pos]) else {
                throw error("expected a digit in exponent, found \(found(at: pos))", at: pos)
            }
            while pos < buf.count, Self.isDigit(buf[pos]) {
                if exponent < 1_000_000 {
                    exponent = exponent * 10 + Int(buf[pos] &- UInt8(ascii: "0"))
                }
                pos += 1
            }
            if exponentNegative { exponent = -exponent }
        }

        if pos < buf.count {
            let b = buf[pos]
            if Self.isWordByte(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") {
                throw error("invalid character \(Self.describe(b)) in number", at: pos)
            }
        }

        // An integer literal (no fraction, no exponent) must be exactly the double it becomes:
        // 9007199254740993 would silently read as 2^53, a different seed or count.
        let isInteger = !fraction && !hasExponent
        if isInteger, significantDigits > 19 || mantissa > 1 << 53 {
            let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
            let digits = negative ? String(text.dropFirst()) : text
            guard let result = Double(text), result.isFinite else {
                throw error("number out of range: \(excerpt(start, pos))", at: start)
            }
            guard Self.integerText(result.magnitude) == digits else {
                throw error("integer \(excerpt(start, pos)) has no exact double-precision value", at: start)
            }
            return result
        }

        // Clinger's fast path: an exact mantissa scaled by an exact power of
        // ten is correctly rounded by a single IEEE multiply or divide.
        if significantDigits <= 19, mantissa <= 1 << 53 {
            let e = decimalExponent + exponent
            var result: Double?
            if e == 0 {
                result = Double(mantissa)
            } else if e > 0, e <= 22 {
                result = Double(mantissa) * Self.exactPowersOfTen[e]
            } else if e < 0, e >= -22 {
                result = Double(mantissa) / Self.exactPowersOfTen[-e]
            }
            if let result {
                return negative ? -result : result
            }
        }

        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
        guard let result = Double(text), result.isFinite else {
            throw error("number out of range: \(excerpt(start, pos))", at: start)
        }
        return result
    }

    // MARK: Strings

    /// Parses the string whose opening quote is at `pos`.
    private mutating func parseString() throws(Failure) -> String {
        let quote = pos
        pos += 1
        let start = pos
        // Fast path: plain ASCII without escapes.
        while pos < buf.count {
            let b = buf[pos]
            if b == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
                pos += 1
                return s
            }
            if b == UInt8(ascii: "\\") || b < 0x20 || b >= 0x80 { break }
            pos += 1
        }

        var out: [UInt8] = []
        out.reserveCapacity(pos - start + 16)
        out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<pos]))
        while true {
            guard pos < buf.count else {
                throw error("unterminated string", at: quote)
            }
            let b = buf[pos]
            switch b {
            case UInt8(ascii: "\""):
                pos += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &out, quote: quote)
            case 0..<0x20:
                let hex = String(b, radix: 16, uppercase: true)
                throw error("unescaped control character U+\(String(repeating: "0", count: 4 - hex.count) + hex) in string", at: pos)
            case 0x80...:
                let length = try validateUTF8Sequence()
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[pos..<pos + length]))
                pos += length
            default:
                out.append(b)
                pos += 1
            }
        }
    }

    /// Checks the multi-byte UTF-8 sequence at `pos` (RFC 3629) and returns its length.
    private func validateUTF8Sequence() throws(Failure) -> Int {
        let lead = buf[pos]
        let length: Int
        var secondLow: UInt8 = 0x80
        var secondHigh: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondLow = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondHigh = 0x9F
        case 0xF0: length = 4; secondLow = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondHigh = 0x8F
        default:
            throw error("invalid UTF-8 (byte 0x\(String(lead, radix: 16, uppercase: true)))", at: pos)
        }
        var valid = pos + length <= buf.count
        if valid {
            let second = buf[pos + 1]
            valid = second >= secondLow && second <= secondHigh
            var i = 2
            while valid, i < length {
                valid = buf[pos + i] & 0xC0 == 0x80
                i += 1
            }
        }
        guard valid else {
            throw error("invalid UTF-8 (sequence starting with byte 0x\(String(lead, radix: 16, uppercase: true)))", at: pos)
        }
        return length
    }

    /// Parses the escape sequence whose backslash is at `pos`, inside the
    /// string whose opening quote is at `quote`.
    private mutating func parseEscape(into out: inout [UInt8], quote: Int) throws(Failure) {
        let backslash = pos
        guard pos + 1 < buf.count else {
            throw error("unterminated string", at: quote)
        }
        let c = buf[pos + 1]
        pos += 2
        switch c {
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try hex4(escapeAt: backslash)
            var scalarValue = UInt32(unit)
            switch unit {
            case 0xD800...0xDBFF:
                let lowStart = pos
                guard pos + 1 < buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u") else {
                    throw error("unpaired high surrogate \(escapeText(unit)) in string", at: backslash)
                }
                pos += 2
                let low = try hex4(escapeAt: lowStart)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw error("unpaired high surrogate \(escapeText(unit)) in string", at: backslash)
                }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            case 0xDC00...0xDFFF:
                throw error("unpaired low surrogate \(escapeText(unit)) in string", at: backslash)
            default:
                break
            }
            // Surrogates were excluded above, so this is a valid scalar value.
            Self.appendUTF8(scalarValue, to: &out)
        default:
            throw error("invalid escape sequence '\\' followed by \(Self.describe(c)) in string", at: backslash)
        }
    }

    /// Appends the UTF-8 encoding of a (non-surrogate) scalar value.
    private static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80:
            out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | v >> 6))
            out.append(UInt8(0x80 | v & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | v >> 12))
            out.append(UInt8(0x80 | v >> 6 & 0x3F))
            out.append(UInt8(0x80 | v & 0x3F))
        default:
            out.append(UInt8(0xF0 | v >> 18))
            out.append(UInt8(0x80 | v >> 12 & 0x3F))
            out.append(UInt8(0x80 | v >> 6 & 0x3F))
            out.append(UInt8(0x80 | v & 0x3F))
        }
    }

    private func escapeText(_ unit: UInt16) -> String {
        let hex = String(unit, radix: 16, uppercase: true)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    /// Reads four hex digits at `pos` for the `\u` escape starting at `escapeAt`.
    private mutating func hex4(escapeAt: Int) throws(Failure) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard pos < buf.count else {
                throw error("invalid \\u escape: expected 4 hex digits", at: escapeAt)
            }
            let b = buf[pos]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default:
                throw error("invalid \\u escape: expected 4 hex digits", at: escapeAt)
            }
            value = value << 4 | UInt16(digit)
            pos += 1
        }
        return value
    }
}
