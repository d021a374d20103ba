import Foundation
import MonteCarlo
import Reporting

/// Whether a re-run reproduced a result CSV (`make study-check`, `hessian-study compare`).
///
/// On one machine a config gives the same bytes whatever the threads, shards or resumption. On
/// another CPU, OpenBLAS picks other kernels (and libm other variants), which may sum the same
/// terms in another order, so the numbers that pass through them can differ in their last bits.
/// The comparison therefore asks for identical bytes everywhere except in the number columns
/// (`estimate`, `mcse`, `theory`, `sd`, `h`), where two values a and b of a row agree when
///
///     |a − b| ≤ τ · max(|a|, |b|, |estimate|, |theory|),   τ = 2²¹·u ≈ 2.3·10⁻¹⁰  (u = 2⁻⁵³).
///
/// Why τ: a sum of n terms evaluated in two orders differs by at most 2(n−1)u·Σ|terms|
/// (Higham, *Accuracy and Stability of Numerical Algorithms*, §4.2). The longest reduction any
/// study hands to BLAS or LAPACK has n ≤ 2²⁰ terms (a product's inner dimension: samples in a
/// block or the dimension d), and every quantity is a smooth function of such sums whose size is
/// that of the row's estimate or theory (an MCSE is measured against its estimate, since an MCSE
/// far below its estimate inherits the estimate's absolute error). A genuine change moves a
/// number by far more: one MCSE is at least 10⁻⁶ of its estimate in every committed table.
///
/// Two kinds of quantity are differences of numbers of order one, whose rounding error is
/// therefore absolute, not relative to their own (possibly tiny) size: logarithms (a log₁₀ is
/// exact to about u·|log₁₀ e| whatever its value: 0 from a ratio of 1 in one build is
/// −2.5·10⁻¹⁵ in another) and the relative gaps √v/u − 1 (`…_gap`). For their rows the size is at
/// least 1. Every other quantity keeps a purely relative bound: many are far below 1 (v̂ ≈ 10⁻¹⁷
/// in `network`), and an absolute floor would hide a real change there.
public enum ResultComparison {
    /// The tolerance τ of the comparison.
    public static let tolerance = 0x1p21 * 0x1p-53

    /// The columns compared within ``tolerance``; all others must be identical.
    public static let numberColumns: Set<String> = ["estimate", "mcse", "theory", "sd", "h"]

    public enum Outcome: Equatable, CustomStringConvertible {
        /// Byte for byte the same.
        case identical
        /// The same but for last-bit differences in number columns, the largest relative one given.
        case withinRounding(largest: Double)
        /// Different: where, and what.
        case differs(String)

        public var description: String {
            switch self {
            case .identical: "same bytes"
            case .withinRounding(let largest): "same to rounding (largest relative difference \(String(format: "%.1e", largest)), within τ = \(String(format: "%.1e", tolerance)))"
            case .differs(let reason): "DIFFERS: \(reason)"
            }
        }

        /// Whether the re-run reproduced the file.
        public var reproduces: Bool { if case .differs = self { false } else { true } }
    }

    /// Compares the committed CSV at the path `expected` with the re-run at `actual`, each at
    /// most ``StudyResults/maximumCSVBytes``; errors name the file.
    public static func compare(expectedFile expected: String, actualFile actual: String) throws(ConfigError) -> Outcome {
        let bytes = try FileInput.read(expected, limit: StudyResults.maximumCSVBytes)
        return try compare(expected: bytes, actual: FileInput.read(actual, limit: StudyResults.maximumCSVBytes), file: expected)
    }

    /// Compares a committed CSV (`expected`) with a re-run (`actual`).
    public static func compare(expected: [UInt8], actual: [UInt8], file: String = "csv") throws(ConfigError) -> Outcome {
        if expected == actual { return .identical }
        let a = try CSV.parse(expected, file: file), b = try CSV.parse(actual, file: file)
        guard let header = a.first?.fields, header == b.first?.fields else { return .differs("the header") }
        guard a.count == b.count else { return .differs("\(a.count - 1) rows against \(b.count - 1)") }
        let column = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var largest = 0.0
        for (x, y) in zip(a.dropFirst(), b.dropFirst()) {
            guard x.fields.count == header.count, y.fields.count == header.count else { return .differs("line \(x.line): field count") }
            func magnitude(_ name: String) -> Double {
                column[name].map { max(abs(Double(x.fields[$0]) ?? 0), abs(Double(y.fields[$0]) ?? 0)) } ?? 0
            }
            let quantity = column["quantity"].map { x.fields[$0] } ?? ""
            let scale = max(magnitude("estimate"), magnitude("theory"), Self.isOfOrderOne(quantity) ? 1 : 0)
            for (k, name) in header.enumerated() where x.fields[k] != y.fields[k] {
                guard numberColumns.contains(name), let p = Double(x.fields[k]), let q = Double(y.fields[k]),
                      p.isFinite, q.isFinite else {
                    return .differs("line \(x.line), \(name): \(x.fields[k]) against \(y.fields[k])")
                }
                let relative = abs(p - q) / max(abs(p), abs(q), scale)
                guard relative <= tolerance else {
                    return .differs("line \(x.line), \(name): \(x.fields[k]) against \(y.fields[k]) (relative \(String(format: "%.1e", relative)))")
                }
                largest = max(largest, relative)
            }
        }
        return .withinRounding(largest: largest)
    }

    /// Whether a quantity is a logarithm or a relative gap: a difference of numbers of order one.
    public static func isOfOrderOne(_ quantity: String) -> Bool {
        quantity.split(separator: "_").contains { $0 == "log" || $0 == "log10" } || quantity.hasSuffix("_gap")
    }
}
