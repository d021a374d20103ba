import Foundation
import MonteCarlo
import Report
import Reporting
import Studies
import TestSupport
import Testing

/// No sentence of a report names a number that is not in a finding: the renderers type words and
/// formulas, read labels (grid values, names) from the folder, and get every number from a
/// ``Finding`` a rule computed.
struct ProseTests {
    static func typedNumbers(_ prose: Prose) -> [String] { prose.typedNumbers }

    /// Labels that carry digits must be text of the folder: a grid value in a CSV or a value in a manifest.
    static func foreignLabels(_ prose: Prose, folder: String) -> [String] {
        prose.parts.compactMap { part -> String? in
            guard case .label(let label) = part, label.contains(where: { $0.isASCII && $0.isNumber }) else { return nil }
            return folder.contains(label.trimmingCharacters(in: CharacterSet(charactersIn: "`"))) ? nil : label
        }
    }

    func sentences(_ report: StudyReport) -> [Prose] {
        report.answer().flatMap { [$0.regime, $0.law, $0.measured] } + report.decisions().flatMap(\.sentences)
    }

    func check(_ folder: URL) throws {
        let report = try StudyReport.load(from: folder)
        let text = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".csv") || $0.hasSuffix(".json") }
            .map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n")
        var findings = 0
        for sentence in sentences(report) {
            #expect(Self.typedNumbers(sentence).isEmpty, "typed into prose: \(Self.typedNumbers(sentence)) in \(sentence)")
            #expect(Self.foreignLabels(sentence, folder: text).isEmpty, "labels not in the folder: \(Self.foreignLabels(sentence, folder: text))")
            findings += sentence.findings.count
        }
        #expect(findings > 20, "the sentences state their numbers through findings")
    }

    @Test func committedReportsTypeNoNumberIntoProse() throws {
        try check(packageRoot.appendingPathComponent("results"))
        try check(packageRoot.appendingPathComponent("results/quick"))
    }

    @Test func partialFoldersTypeNoNumberIntoProse() throws {
        for only in [["ema"], ["dynamics-edge"], ["sqrt-law", "adabelief"], ["gauss-newton-beyond"]] {
            let folder = try quickResults(only: only)
            defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
            let report = try StudyReport.load(from: folder)
            for sentence in sentences(report) {
                #expect(Self.typedNumbers(sentence).isEmpty, "\(only): typed into prose: \(sentence)")
            }
        }
    }

    /// The checker itself: a number typed into words is caught, the same number as a finding,
    /// a formula or a claim label is not.
    @Test func theCheckerSeesATypedNumber() {
        #expect(Self.typedNumbers("a factor 38.8 here") == ["a factor 38.8 here"])
        #expect(Self.typedNumbers("a factor \(Finding.derived(38.8)) by T5′ and C2, \(formula: "2(1+β₁)/(1−β₁)")").isEmpty)
        #expect(Self.typedNumbers("the T11 result").count == 1)
        #expect(Self.foreignLabels("β₂ = \(label: "0.999")", folder: "\"beta2\": [0.99, 0.999]").isEmpty)
        #expect(Self.foreignLabels("β₂ = \(label: "0.5")", folder: "\"beta2\": [0.99, 0.999]") == ["0.5"])
    }

    /// Each form prints through the one formatter.
    @Test func findingsPrintThroughTheOneFormatter() {
        #expect(Finding(estimate: 0.7616, mcse: 0.0001237, theory: 0.7615, form: .estimate).text == "0.76160 ± 0.00012 (theory 0.76150)")
        #expect(Finding(estimate: 1.112, mcse: 0.0001, replications: 32, form: .interval).text == "1.11200 " + EstimateText.interval(1.112, mcse: 0.0001, replications: 32))
        #expect(Finding.percent(0.014, mcse: 0.002).text == "(1.40 ± 0.20)%")
        #expect(Finding.percent(0.014).text == "1.4%")
        #expect(Finding.count(24).text == "24")
        #expect(Finding.derived(-0.0).text == "0")
        #expect(Finding(estimate: 1.25, mcse: 0.01, theory: 1.2574, theoryIsLimit: true, form: .estimate).text == "1.250 ± 0.010 (limit 1.257)")
    }
}
