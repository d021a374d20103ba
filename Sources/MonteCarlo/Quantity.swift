/// A quantity a study estimates, by the name its result files give it (the CSV's `quantity`
/// column). Declared once by its study (`static let v = Quantity("v")`, in the study's
/// `Quantities`) and used by the outputs that write it, the rules and figures that read it and the
/// tables that show it: a misspelt name is a compile error, and a renaming is one edit.
public struct Quantity: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public init(_ name: String) { self.name = name }
    public var description: String { name }
}

extension Output {
    /// Whether this output estimates `quantity`.
    public func estimates(_ quantity: Quantity) -> Bool { self.quantity == quantity.name }
}

extension CellResult {
    /// The cell's scalar estimate of `quantity`, if it has one.
    public func estimate(_ quantity: Quantity) -> Estimate? {
        estimates.first { $0.output.estimates(quantity) && $0.output.index == nil }
    }

    /// Every estimate of `quantity` in the cell (a per-coordinate quantity's coordinates).
    public func estimates(of quantity: Quantity) -> [Estimate] {
        estimates.filter { $0.output.estimates(quantity) }
    }
}
