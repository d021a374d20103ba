import ArgumentParser
import GSL
import MonteCarlo
import Studies

extension HessianStudy {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the studies, their parameters and defaults.")

        func run() {
            for study in allStudies {
                print("\(study.name): \(study.summary)")
                for p in study.parameters {
                    let value = p.defaultValue.map { "[default \(describe($0))]" } ?? "[required]"
                    print("  \(p.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(describe(p.kind)) \(value)  \(p.summary)")
                }
                print()
            }
            print("Top level: name (file stem), study, seed (integer), replications (integer ≥ 1), generator (\(Generator.allCases.map(\.rawValue).joined(separator: ", ")); default \(Generator.default.rawValue)), fixed {…}, grid {parameter: [values…]}.")
        }

        private func describe(_ kind: AnyParameter.Kind) -> String {
            switch kind {
            case .number(let domain): domain.rule
            case .integer(let minimum): "an integer ≥ \(minimum)"
            case .choice(let options): options.map { "\"\($0)\"" }.joined(separator: " | ")
            case .spectrum: "a spectrum: [λ…] or {min, max, count}"
            }
        }

        private func describe(_ value: ParameterValue) -> String {
            switch value {
            case .number(let x): format(x)
            case .integer(let n): String(n)
            case .choice(let s): "\"\(s)\""
            case .spectrum(let s): "\(s.count) eigenvalues"
            }
        }
    }
}
