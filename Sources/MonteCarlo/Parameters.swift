import Foundation

/// A spectrum of eigenvalues (the diagonal of H, or the input variances): an explicit list, or
/// `count` values spaced geometrically from `min` to `max` inclusive. The geometric form stays
/// symbolic until ``values`` is asked for, so an absurd `count` is refused before anything is
/// allocated.
public enum Spectrum: Sendable, Equatable {
    case explicit([Double])
    case geometric(min: Double, max: Double, count: Int)

    /// The number of eigenvalues, d.
    public var count: Int {
        switch self {
        case .explicit(let values): values.count
        case .geometric(_, _, let count): count
        }
    }

    /// Whether at least two eigenvalues differ (a slope of log v on log h needs two), without
    /// materialising a geometric spectrum.
    public var hasDistinctValues: Bool {
        switch self {
        case .explicit(let values): values.contains { $0 != values[0] }
        case .geometric(let min, let max, let count): count > 1 && min < max
        }
    }

    /// The eigenvalues: minᵢ·(max/min)^(i/(count−1)) for the geometric form.
    public var values: [Double] {
        switch self {
        case .explicit(let values):
            return values
        case .geometric(let min, let max, let count):
            guard count > 1 else { return [min] }
            let ratio = (max / min)
            return (0..<count).map { i in
                i == count - 1 ? max : min * pow(ratio, Double(i) / Double(count - 1))
            }
        }
    }
}

/// The value of one parameter in one cell.
public enum ParameterValue: Sendable, Equatable {
    case number(Double)
    case integer(Int)
    case choice(String)
    case spectrum(Spectrum)

    /// The value as a result CSV's grid column writes it (a number in its shortest round-trip
    /// form, a name as it is), so that a rule finds a cell by the same text whether the value
    /// was gridded, fixed or left at its default; nil for a spectrum, which labels no cell.
    public var label: String? {
        switch self {
        case .number(let x): format(x)
        case .integer(let n): String(n)
        case .choice(let s): s
        case .spectrum: nil
        }
    }
}

/// Where a real-valued parameter may lie; each case names its own error text.
public enum NumberDomain: Sendable {
    /// Any finite number.
    case finite
    /// x > 0.
    case positive
    /// x ≥ 0.
    case nonNegative
    /// 0 ≤ x < 1 (decay rates β).
    case unitHalfOpen
    /// −1 < x < 1 (correlations).
    case symmetricOpenUnit

    func contains(_ x: Double) -> Bool {
        guard x.isFinite else { return false }
        switch self {
        case .finite: return true
        case .positive: return x > 0
        case .nonNegative: return x >= 0
        case .unitHalfOpen: return x >= 0 && x < 1
        case .symmetricOpenUnit: return x > -1 && x < 1
        }
    }

    /// The rule in words, as in "must be > 0".
    public var rule: String {
        switch self {
        case .finite: "a finite number"
        case .positive: "a number > 0"
        case .nonNegative: "a number ≥ 0"
        case .unitHalfOpen: "a number in [0, 1)"
        case .symmetricOpenUnit: "a number in (−1, 1)"
        }
    }
}

/// A parameter a study accepts, as the config reader sees it: its name as written in configs,
/// what values it takes, its default (nil: required), and one line of documentation for
/// `hessian-study list`. Studies declare typed keys (``Parameter``) and list their `erased` forms.
public struct AnyParameter: Sendable {
    public enum Kind: Sendable {
        case number(NumberDomain)
        /// An integer ≥ `minimum` (and ≤ 2⁵³, the largest integer a JSON number holds exactly).
        case integer(minimum: Int)
        case choice([String])
        case spectrum
    }

    public let name: String
    public let kind: Kind
    public let defaultValue: ParameterValue?
    public let summary: String

    public init(_ name: String, _ kind: Kind, default defaultValue: ParameterValue? = nil, _ summary: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.summary = summary
    }

    /// The largest integer a JSON number (an IEEE double) holds exactly.
    public static let largestExactInteger = 1 << 53

    /// Reads a value of this parameter from JSON; the error text completes "KEY: …".
    func parse(_ json: JSONValue) throws(KeyedMessage) -> ParameterValue {
        switch kind {
        case .number(let domain):
            guard case .number(let x) = json else {
                throw KeyedMessage(message: "must be \(domain.rule), got \(json.typeDescription)")
            }
            guard domain.contains(x) else { throw KeyedMessage(message: "must be \(domain.rule), got \(format(x))") }
            return .number(x)
        case .integer(let minimum):
            return .integer(try AnyParameter.integer(json, minimum: minimum))
        case .choice(let options):
            let list = options.map { "\"\($0)\"" }.joined(separator: ", ")
            guard case .string(let s) = json, options.contains(s) else {
                throw KeyedMessage(message: "must be one of \(list), got \(json.compactTextPreview)")
            }
            return .choice(s)
        case .spectrum:
            return .spectrum(try AnyParameter.spectrum(json))
        }
    }

    /// An integer in [minimum, 2⁵³].
    static func integer(_ json: JSONValue, minimum: Int, path: String = "") throws(KeyedMessage) -> Int {
        let rule = "an integer ≥ \(minimum)"
        guard case .number(let x) = json else {
            throw KeyedMessage(path: path, message: "must be \(rule), got \(json.typeDescription)")
        }
        guard x.rounded() == x, x >= Double(minimum), x <= Double(largestExactInteger) else {
            throw KeyedMessage(path: path, message: "must be \(rule) and ≤ 2^53, got \(format(x))")
        }
        return Int(x)
    }

    static func spectrum(_ json: JSONValue) throws(KeyedMessage) -> Spectrum {
        switch json {
        case .array(let items):
            guard !items.isEmpty else { throw KeyedMessage(message: "is empty; give at least one eigenvalue") }
            var values: [Double] = []
            values.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                guard case .number(let x) = item else {
                    throw KeyedMessage(path: "[\(i)]", message: "must be a number > 0, got \(item.typeDescription)")
                }
                guard x > 0, x.isFinite else {
                    throw KeyedMessage(path: "[\(i)]", message: "eigenvalues must be > 0 and finite, got \(format(x))")
                }
                values.append(x)
            }
            return .explicit(values)
        case .object(let object):
            for key in object.keys where !["min", "max", "count"].contains(key) {
                throw KeyedMessage(path: ".\(key)", message: "unknown key; a spectrum object has min, max and count")
            }
            func bound(_ key: String) throws(KeyedMessage) -> Double {
                guard let value = object[key] else {
                    throw KeyedMessage(path: ".\(key)", message: "missing; a spectrum object has min, max and count")
                }
                guard case .number(let x) = value else {
                    throw KeyedMessage(path: ".\(key)", message: "must be a number > 0, got \(value.typeDescription)")
                }
                guard x > 0, x.isFinite else {
                    throw KeyedMessage(path: ".\(key)", message: "eigenvalues must be > 0 and finite, got \(format(x))")
                }
                return x
            }
            let min = try bound("min"), max = try bound("max")
            guard let countValue = object["count"] else {
                throw KeyedMessage(path: ".count", message: "missing; a spectrum object has min, max and count")
            }
            let count = try integer(countValue, minimum: 1, path: ".count")
            guard max >= min else { throw KeyedMessage(path: ".max", message: "must be ≥ min (\(format(min))), got \(format(max))") }
            guard count > 1 || min == max else {
                throw KeyedMessage(path: ".count", message: "must be ≥ 2 when min ≠ max, got 1")
            }
            return .geometric(min: min, max: max, count: count)
        default:
            throw KeyedMessage(message: "must be an array of eigenvalues or {\"min\", \"max\", \"count\"}, got \(json.typeDescription)")
        }
    }
}

/// An error message about a key, with an optional path below that key (".count", "[3]").
struct KeyedMessage: Error {
    var path: String = ""
    var message: String
}

/// Shortest round-trip text of a double, as CSV and messages print it.
public func format(_ x: Double) -> String {
    if x.isFinite, x.rounded() == x, abs(x) < 1e15 { return String(Int64(x)) }
    return "\(x)"
}

extension JSONValue {
    /// The value's JSON text, cut to 60 characters for messages.
    var compactTextPreview: String {
        let text = compactText
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }
}

/// A type whose values a parameter takes: it reads itself out of the untyped ``ParameterValue``
/// the config reader made.
public protocol ParameterType: Sendable {
    init?(_ value: ParameterValue)
    /// The value back in the untyped form, to label it as the result files do.
    var parameterValue: ParameterValue { get }
}

extension Double: ParameterType {
    public init?(_ value: ParameterValue) {
        guard case .number(let x) = value else { return nil }
        self = x
    }
    public var parameterValue: ParameterValue { .number(self) }
}

extension Int: ParameterType {
    public init?(_ value: ParameterValue) {
        guard case .integer(let n) = value else { return nil }
        self = n
    }
    public var parameterValue: ParameterValue { .integer(self) }
}

extension Spectrum: ParameterType {
    public init?(_ value: ParameterValue) {
        guard case .spectrum(let s) = value else { return nil }
        self = s
    }
    public var parameterValue: ParameterValue { .spectrum(self) }
}

/// A parameter that takes one of a fixed set of names: an enumeration whose raw values are the
/// names configs write (`"adam"`, `"haar"`).
public protocol Choice: ParameterType, CaseIterable, RawRepresentable where RawValue == String {}

extension Choice {
    public init?(_ value: ParameterValue) {
        guard case .choice(let s) = value else { return nil }
        self.init(rawValue: s)
    }
    public var parameterValue: ParameterValue { .choice(rawValue) }
}

/// A typed parameter key, declared once by its study (`static let sigma = Parameter<Double>(…)`)
/// and read with `cell[Self.sigma]`: a misspelt key is a compile error, and the value comes out
/// with its type, checked against its domain when the config was read.
public struct Parameter<Value: ParameterType>: Sendable {
    /// What the config reader needs: the name, the domain, the default and the summary.
    public let erased: AnyParameter
    public var name: String { erased.name }

    fileprivate init(_ erased: AnyParameter) { self.erased = erased }

    /// The value a result file's label stands for (``ParameterValue/label``), checked against the
    /// parameter's domain; nil when the label is no value of it.
    public func value(label: String) -> Value? {
        let json: JSONValue
        switch erased.kind {
        case .number, .integer:
            guard let x = Double(label) else { return nil }
            json = .number(x)
        case .choice: json = .string(label)
        case .spectrum: return nil
        }
        return (try? erased.parse(json)).flatMap(Value.init)
    }

    /// The condition "this parameter is `value`", by the text the result files label it with:
    /// what a rule looks rows up by (`results.rows(SqrtLaw.Quantities.v, SqrtLaw.rotation.is(.none))`).
    public func `is`(_ value: Value) -> ParameterCondition {
        ParameterCondition(name: name, label: value.parameterValue.label ?? "")
    }
}

/// A parameter and the label of one of its values (``Parameter/is(_:)``).
public struct ParameterCondition: Sendable, Hashable {
    public let name: String, label: String
}

extension Parameter where Value == Double {
    /// A real number in `domain`.
    public init(_ name: String, _ domain: NumberDomain, default value: Double? = nil, _ summary: String) {
        self.init(AnyParameter(name, .number(domain), default: value.map(ParameterValue.number), summary))
    }
}

extension Parameter where Value == Int {
    /// An integer in [`minimum`, 2⁵³].
    public init(_ name: String, minimum: Int, default value: Int? = nil, _ summary: String) {
        self.init(AnyParameter(name, .integer(minimum: minimum), default: value.map(ParameterValue.integer), summary))
    }
}

extension Parameter where Value == Spectrum {
    /// A spectrum: an array of positive numbers or {min, max, count}.
    public init(_ name: String, _ summary: String) {
        self.init(AnyParameter(name, .spectrum, default: nil, summary))
    }
}

extension Parameter where Value: Choice {
    /// One of `Value`'s cases, by raw value.
    public init(_ name: String, default value: Value? = nil, _ summary: String) {
        self.init(AnyParameter(name, .choice(Value.allCases.map(\.rawValue)), default: value.map { .choice($0.rawValue) }, summary))
    }
}
