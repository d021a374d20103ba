import Foundation
import GSL
import MonteCarlo

/// The worked example of docs/ADDING-A-STUDY.md: Adam's bias correction.
///
/// Gradients gₜ ~ N(0, σ²) i.i.d. feed v = β₂v + (1−β₂)g², v₀ = 0. After t steps
/// E[vₜ] = (1 − β₂ᵗ)σ² (the EMA's weights sum to 1 − β₂ᵗ), so the bias-corrected v̂ = v/(1 − β₂ᵗ)
/// has E[v̂ₜ] = σ² exactly, at every t: both are `exact` theories.
struct BiasCorrection: Study {
    static let name = "bias-correction"
    static let summary = "Adam's bias-corrected v̂ on i.i.d. gradients: E[v̂ₜ] = σ² at every t"

    // 1. Parameters: typed keys, declared once; `cell[Self.beta2]` reads them.
    static let beta2 = Parameter<Double>("beta2", .unitHalfOpen, "β₂, the decay of v")
    static let sigma = Parameter<Double>("sigma", .positive, default: 1, "σ, the sd of g")
    static let steps = Parameter<Int>("steps", minimum: 1, "t, the step at which v is read")
    static let parameters = [beta2.erased, sigma.erased, steps.erased]

    // 2. Outputs: each quantity named once, declared with the slot a replication writes.
    enum Quantities {
        static let v = Quantity("v"), vHat = Quantity("v_hat")
    }
    struct Slots: Sendable { let v: Slot, vHat: Slot }

    static func declareOutputs(_ cell: Cell, _ layout: inout OutputLayout) -> Slots {
        Slots(v: layout.scalar(Quantities.v)!, vHat: layout.scalar(Quantities.vHat)!)
    }

    // 3. What the cell allocates beyond the engine's own tables: nothing.
    static func memory(_ cell: Cell) -> MemoryNeed { MemoryNeed(parameter: "replications") }

    static func validate(_ cell: Cell, replications: Int) throws(CellError) {}

    // 4. Prepare the cell: read the parameters, give each output its theory.
    let beta2: Double, sigma: Double, steps: Int
    let slots: Slots
    let outputs: [Output]

    init(cell: Cell, design: RandomStream) throws {
        (beta2, sigma, steps) = (cell[Self.beta2], cell[Self.sigma], cell[Self.steps])
        var layout = OutputLayout()
        slots = Self.declareOutputs(cell, &layout)
        let variance = sigma * sigma, weight = 1 - pow(beta2, Double(steps))
        layout.setTheory(slots.v, .exact(weight * variance))
        layout.setTheory(slots.vHat, .exact(variance))
        outputs = layout.outputs
    }

    // 5. One replication: draw from its own stream, write each slot.
    func makeWorkspace() throws {}

    func replicate(_ stream: RandomStream, _ workspace: inout Void, _ statistics: StatisticsRow) throws {
        var v = 0.0
        for _ in 0..<steps {
            let g = sigma * stream.gaussian()
            v = beta2 * v + (1 - beta2) * g * g
        }
        statistics[slots.v] = v
        statistics[slots.vHat] = v / (1 - pow(beta2, Double(steps)))
    }
}
