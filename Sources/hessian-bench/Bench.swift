import ArgumentParser
import Foundation
import GSL
import MonteCarlo
import Studies
import Synchronization

/// `hessian-bench`: the package's kernels, timed in a release build, each printing one JSON line
/// {"kernel", "size", "workers", "unit", "value"} for `bench/compare.py`, which runs the NumPy
/// equivalents (bench/kernels.py) in the same session and prints the ratios.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hessian-bench",
        abstract: "Time the package's kernels (release build), one JSON line per measurement.",
        subcommands: [Dgemm.self, Full.self, Diagonal.self, DynamicsLoop.self]
    )
}

struct Timing: ParsableArguments {
    @Option(help: "Worker threads (BLAS single-threaded in each).")
    var workers = 2
    @Option(help: "Seconds to keep repeating the kernel for.")
    var seconds = 2.0
}

/// Repeats `body` (one unit of work per call, given the call number) until `seconds` have passed,
/// after one untimed warm-up call; returns (calls, elapsed seconds).
func repeatFor(_ seconds: Double, _ body: (Int) throws -> Void) rethrows -> (Int, Double) {
    try body(0)
    let start = DispatchTime.now()
    var calls = 0
    repeat {
        try body(calls + 1)
        calls += 1
    } while Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 < seconds
    return (calls, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
}

func report(_ kernel: String, size: String, workers: Int, unit: String, value: Double) {
    print(#"{"kernel": "\#(kernel)", "size": "\#(size)", "workers": \#(workers), "unit": "\#(unit)", "value": \#(value)}"#)
}

/// OpenBLAS's own dgemm on `workers` BLAS threads: the ceiling for the full kernel.
struct Dgemm: ParsableCommand {
    @Option var d = 1024
    @OptionGroup var timing: Timing

    func run() throws {
        BLAS.setThreads(timing.workers)
        let stream = try RandomStream(seed: 1)
        let a = try Matrix(rows: d, columns: d), b = try Matrix(rows: d, columns: d), c = try Matrix(rows: d, columns: d)
        stream.fillGaussian(a)
        stream.fillGaussian(b)
        let (calls, elapsed) = try repeatFor(timing.seconds) { _ in try BLAS.gemm(1, a, b, 0, c) }
        report("dgemm", size: "d=\(d)", workers: timing.workers, unit: "GFLOP/s", value: 2 * pow(Double(d), 3) * Double(calls) / elapsed / 1e9)
    }
}

/// The full E[ggᵀ] kernel of `sqrt-law` (FullSecondMoment): per worker, blocks of Z, G = M·Z,
/// Ê += G·Gᵀ, with one BLAS thread per worker. GFLOP/s counts 3d²n per estimate.
struct Full: ParsableCommand {
    @Option var d = 256
    @Option(help: "Gradients per estimate.") var samples = 4096
    @OptionGroup var timing: Timing

    func run() throws {
        BLAS.setThreads(1)
        let d = self.d, samples = self.samples, seconds = timing.seconds
        let results = Mutex<[(Int, Double)]>([])
        DispatchQueue.concurrentPerform(iterations: timing.workers) { worker in
            do {
                let stream = try RandomStream(seed: UInt32(worker + 1))
                let factor = try Matrix(rows: d, columns: d)
                stream.fillGaussian(factor)
                let kernel = try FullSecondMoment(factor: factor, samples: samples)
                let outcome = try repeatFor(seconds) { _ in _ = try kernel.estimate(stream) }
                results.withLock { $0.append(outcome) }
            } catch {
                fatalError("\(error)")
            }
        }
        let rate = results.withLock { $0.reduce(0) { $0 + Double($1.0) / $1.1 } }
        report("full", size: "d=\(d)", workers: timing.workers, unit: "GFLOP/s", value: 3 * Double(d * d) * Double(samples) * rate / 1e9)
    }
}

/// Runs a config through the engine (the same path as `hessian-study run`) and returns the wall
/// time of the run alone.
func timeRun(_ json: String, workers: Int) throws -> Double {
    let config = try Config(file: "bench.json", json: JSONValue.parse(Array(json.utf8)), studies: allStudies)
    let start = DispatchTime.now()
    _ = try Runner(config: config, threads: workers).run()
    return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// The diagonal path of `sqrt-law` (rotation "none"): normal draws per second through the engine.
struct Diagonal: ParsableCommand {
    @Option var d = 1000
    @Option var samples = 20000
    @Option(help: "Replications (spread over the workers).") var replications = 16
    @Option var generator = Generator.default.rawValue
    @OptionGroup var timing: Timing

    func run() throws {
        let json = """
            {"study": "sqrt-law", "seed": 1, "replications": \(replications), "generator": "\(generator)",
             "fixed": {"spectrum": {"min": 0.01, "max": 100, "count": \(d)}, "sigma": 1, "samples": \(samples)}}
            """
        _ = try timeRun(json.replacingOccurrences(of: "\"samples\": \(samples)", with: "\"samples\": 100"), workers: timing.workers)
        let elapsed = try timeRun(json, workers: timing.workers)
        report("diagonal", size: "d=\(d)", workers: timing.workers, unit: "M draws/s", value: Double(d * samples * replications) / elapsed / 1e6)
    }
}

/// The `dynamics` stepping loop: coordinate-steps per second for one optimizer, through the engine.
struct DynamicsLoop: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dynamics")
    @Option var d = 1000
    @Option var chains = 64
    @Option var steps = 2000
    @Option var optimizer = "adam"
    @Option var generator = Generator.default.rawValue
    @OptionGroup var timing: Timing

    func run() throws {
        let json = """
            {"study": "dynamics", "seed": 1, "replications": \(chains), "generator": "\(generator)",
             "fixed": {"optimizer": "\(optimizer)", "lr": 0.01, "noise_sigma": 0.001, "beta2": 0.999,
                       "spectrum": {"min": 0.01, "max": 100, "count": \(d)}, "steps": \(steps), "burn_in": \(steps / 4)}}
            """
        let elapsed = try timeRun(json, workers: timing.workers)
        report("dynamics", size: "d=\(d) chains=\(chains)", workers: timing.workers, unit: "M coordinate-steps/s",
               value: Double(d * chains * steps) / elapsed / 1e6)
    }
}
