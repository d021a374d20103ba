/// The closed form an estimate is held against, and how far it holds (docs/RESULTS.md, `theory_kind`).
public enum Theory: Sendable, Equatable {
    /// No closed form.
    case none
    /// A closed form that holds at the cell's parameters: (estimate − theory)/mcse is a z-score.
    case exact(Double)
    /// A closed form that holds only in a limit of the parameters (β₂ → 1, say): the estimate's
    /// gap to it is reported, never counted as agreement or disagreement.
    case limit(Double)

    /// The value, for either kind.
    public var value: Double? {
        switch self {
        case .none: nil
        case .exact(let x), .limit(let x): x
        }
    }

    /// The value when the theory is exact.
    public var exact: Double? { if case .exact(let x) = self { x } else { nil } }

    /// `exact`, `limit` or empty: the CSV's `theory_kind`.
    public var kind: String {
        switch self {
        case .none: ""
        case .exact: "exact"
        case .limit: "limit"
        }
    }
}

/// One estimand of a study: what it is (`quantity`), the coordinate it belongs to (`index`, nil
/// for a scalar), its closed form from docs/SCIENCE.md, and how replications are summarised into it.
public struct Output: Sendable, Equatable {
    public var quantity: String
    public var index: Int?
    public var theory: Theory
    public var summary: Summary
    /// The coordinate's curvature (Hᵢᵢ, or the input variance) on a per-coordinate output.
    public var h: Double?
    /// Why the estimand is not available in this cell; such an output has no statistic, and its
    /// row in the CSV an empty estimate.
    public var note: String?

    public init(_ quantity: String, index: Int? = nil, theory: Theory = .none, summary: Summary = .mean,
                h: Double? = nil, note: String? = nil) {
        (self.quantity, self.index, self.theory, self.summary, self.h, self.note) = (quantity, index, theory, summary, h, note)
    }
}

/// How an output's estimate is formed from the replications' statistics.
public enum Summary: Sendable, Equatable {
    /// The mean over replications of the statistic the replication writes in this output's
    /// slot; MCSE sd/√R.
    case mean
    /// The ratio of the means of two other outputs' statistics, x̄/ȳ: a ratio estimator, stable
    /// where a mean of per-replication ratios is not. MCSE by the delta method:
    /// √((s²ₓ − 2r·sₓᵧ + r²s²ᵧ)/R)/|ȳ|. Replications leave this output's own slot unwritten.
    case ratio(numerator: Int, denominator: Int)
}

/// A scalar output's place in a replication's statistics.
public struct Slot: Sendable, Equatable {
    let position: Int
}

/// A ratio output (``OutputLayout/ratio(_:of:over:)``): no place of its own, since replications
/// do not write it; the handle gives it a theory.
public struct RatioOutput: Sendable, Equatable {
    let position: Int
}

/// A per-coordinate output's places: coordinate i at `start + i`.
public struct VectorSlot: Sendable, Equatable {
    let start: Int
    public let count: Int
}

/// The outputs of a cell, declared once: the same code declares each output and hands back the
/// slot a replication writes it to, so the two can never disagree.
///
/// A layout is built in one of two modes. **Counting** (``init(counting:)``) only counts the
/// statistics a replication writes, evaluating no condition and no theory, so that the engine can
/// size a run's memory from the cell before anything is allocated; an output declared with a
/// condition (`when:`) counts as present, so the count is an upper bound. **Building** evaluates
/// the conditions and keeps each output, to which ``Study/init(cell:design:)`` then gives its
/// theory (``setTheory(_:_:)``).
public struct OutputLayout: Sendable {
    public let isCounting: Bool
    /// The statistics a replication writes (an upper bound when counting).
    public private(set) var count = 0
    /// Blocks of outputs in slot order: quantity, first slot, count, summary, and for an output not
    /// available in the cell the note why (built only).
    private var blocks: [(quantity: String, start: Int, count: Int, isVector: Bool, summary: Summary, note: String?)] = []
    /// The curvature of each coordinate, shown beside per-coordinate outputs of as many coordinates.
    private var curvature: [Double]?
    /// Theory per block (built only), as a function of the coordinate.
    private var theories: [@Sendable (Int) -> Theory] = []

    /// A layout that keeps its outputs.
    public init() { isCounting = false }

    /// A layout that only counts.
    public init(counting: Void) { isCounting = true }

    /// A scalar output, if `present` (evaluated only when building). When it is not and
    /// `otherwise` says why, the output is kept, without a statistic, as a row with an empty
    /// estimate and that note: a reader sees that the estimand is missing and why.
    public mutating func scalar(_ quantity: Quantity, when present: @autoclosure () -> Bool = true,
                                otherwise note: @autoclosure () -> String? = nil) -> Slot? {
        guard isCounting || present() else {
            if let note = note() {
                blocks.append((quantity.name, count, 1, false, .mean, note))
                theories.append { _ in .none }
            }
            return nil
        }
        return Slot(position: add(quantity, count: 1, isVector: false, summary: .mean))
    }

    /// A per-coordinate output of `count` coordinates, if `present` (evaluated only when building).
    public mutating func vector(_ quantity: Quantity, count: Int, when present: @autoclosure () -> Bool = true) -> VectorSlot? {
        guard isCounting || present() else { return nil }
        return VectorSlot(start: add(quantity, count: count, isVector: true, summary: .mean), count: count)
    }

    /// The ratio x̄/ȳ of two scalar outputs' means (``Summary/ratio(numerator:denominator:)``);
    /// replications leave its slot unwritten, so it has none to give.
    public mutating func ratio(_ quantity: Quantity, of numerator: Slot, over denominator: Slot) -> RatioOutput {
        RatioOutput(position: add(quantity, count: 1, isVector: false,
                                  summary: .ratio(numerator: numerator.position, denominator: denominator.position)))
    }

    private mutating func add(_ quantity: Quantity, count: Int, isVector: Bool, summary: Summary) -> Int {
        let start = self.count
        self.count += count
        if !isCounting {
            blocks.append((quantity.name, start, count, isVector, summary, nil))
            theories.append { _ in .none }
        }
        return start
    }

    /// Gives the scalar output at `slot` its theory.
    public mutating func setTheory(_ slot: Slot, _ theory: Theory) {
        setTheory(at: slot.position) { _ in theory }
    }

    /// Gives a ratio output its theory.
    public mutating func setTheory(_ ratio: RatioOutput, _ theory: Theory) {
        setTheory(at: ratio.position) { _ in theory }
    }

    /// Gives the per-coordinate output at `slot` its theory, coordinate by coordinate.
    public mutating func setTheory(_ slot: VectorSlot, _ theory: @escaping @Sendable (Int) -> Theory) {
        setTheory(at: slot.start, theory)
    }

    private mutating func setTheory(at start: Int, _ theory: @escaping @Sendable (Int) -> Theory) {
        guard let block = blocks.firstIndex(where: { $0.start == start && $0.note == nil }) else { return }
        theories[block] = theory
    }

    /// Shows `h` beside every per-coordinate output of `h.count` coordinates (the `h` column).
    public mutating func setCurvature(_ h: [Double]) { curvature = h }

    /// Every output with a statistic, in slot order (building mode).
    public var outputs: [Output] {
        precondition(!isCounting, "a counting layout keeps no outputs")
        var outputs: [Output] = []
        outputs.reserveCapacity(count)
        for (block, theory) in zip(blocks, theories) where block.note == nil {
            let h = block.isVector && curvature?.count == block.count ? curvature : nil
            for i in 0..<block.count {
                outputs.append(Output(block.quantity, index: block.isVector ? i : nil, theory: theory(i), summary: block.summary, h: h?[i]))
            }
        }
        return outputs
    }

    /// The outputs not available in this cell, each with its note (building mode).
    public var missing: [Output] {
        blocks.filter { $0.note != nil }.map { Output($0.quantity, note: $0.note) }
    }
}

/// One replication's statistics, written by slot: `statistics[v, i] = x`, `statistics[slope] = y`.
public struct StatisticsRow {
    public let buffer: UnsafeMutableBufferPointer<Double>

    public init(_ buffer: UnsafeMutableBufferPointer<Double>) { self.buffer = buffer }

    public subscript(slot: Slot) -> Double {
        get { buffer[slot.position] }
        nonmutating set { buffer[slot.position] = newValue }
    }

    public subscript(slot: VectorSlot, i: Int) -> Double {
        get { buffer[slot.start + i] }
        nonmutating set { buffer[slot.start + i] = newValue }
    }

    /// The statistics of a per-coordinate output, to write in bulk.
    public func values(_ slot: VectorSlot) -> UnsafeMutableBufferPointer<Double> {
        UnsafeMutableBufferPointer(rebasing: buffer[slot.start ..< slot.start + slot.count])
    }
}
