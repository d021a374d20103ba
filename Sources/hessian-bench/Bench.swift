import ArgumentParser
import Foundation
import GSL
import MonteCarlo
import Studies
import Synchronization

/// `hessian-bench`: measurements below the whole studies, in a release build, each printing JSON
/// lines for `bench/compare.py` (which times the studies themselves, end to end, against NumPy's
/// bench/studies.py): OpenBLAS's dgemm, and the floor of sqrt-law's haar path with its profile.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hessian-bench",
        abstract: "Time what lies below the whole studies (release build), one JSON line per measurement.",
        subcommands: [Dgemm.self, HaarFloor.self]
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

/// The floor of sqrt-law's haar path: per replication, its own BLAS-3 products and one LAPACK
/// eigen-decomposition, nothing else (no draws, no design, no engine): S += Z·Zᵀ over the
/// blocks of a Z drawn once (`syrk`), Ê = M·S·M (two `gemm`), Ê = V·diag(λ)·Vᵀ (`dsyevd`) and
/// Ê^(1/2) = V·diag(√λ)·Vᵀ (one `syrk`). `replications` spread over `workers` threads, one BLAS
/// thread each, as `hessian-study run --threads workers` does. Prints the wall seconds of the
/// whole, and with `--phases` the seconds of each phase of one replication on one thread (the
/// Gaussian draws of a replication included, for the profile).
struct HaarFloor: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "haar-floor")
    @Option var d = 1024
    @Option var samples = 16384
    @Option var replications = 4
    @Option var workers = 2
    @Flag(help: "Print the seconds of each phase of one replication instead.") var phases = false

    func run() throws {
        BLAS.setThreads(1)
        let d = self.d, samples = self.samples, block = min(samples, FullSecondMoment.blockSize), phases = self.phases
        @Sendable func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now()
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        }
        /// One worker's matrices, made before any timing: M (symmetric positive definite), a block Z.
        final class Work: @unchecked Sendable {
            let m: Matrix, z: Matrix, s: Matrix, t: Matrix, eigen: SymmetricEigen
            init(d: Int, block: Int, stream: RandomStream) throws {
                (m, z, s, t) = (try Matrix(rows: d, columns: d), try Matrix(rows: d, columns: block),
                                try Matrix(rows: d, columns: d), try Matrix(rows: d, columns: d))
                eigen = try SymmetricEigen(dimension: d)
                stream.fillGaussian(t)
                try BLAS.gemm(1 / Double(d), t, t, transposeB: true, 0, m)
                stream.fillGaussian(z)
            }
        }
        @Sendable func replication(_ w: Work, _ stream: RandomStream) throws -> [(String, Double)] {
            var times: [(String, Double)] = []
            if phases {
                times.append(("gaussian draws (d·n)", seconds { for _ in 0..<(samples / block) { stream.fillGaussian(w.z) } }))
            }
            times.append(("syrk S += Z·Zᵀ", try seconds { w.s.setZero(); for _ in 0..<(samples / block) { try BLAS.syrk(1, w.z, 1, w.s) } }))
            times.append(("gemm Ê = M·S·M", try seconds {
                try w.s.symmetrizeFromLower()
                try BLAS.gemm(1, w.m, w.s, 0, w.t)
                try BLAS.gemm(1, w.t, w.m, 0, w.s)
                try w.s.scale(by: 1 / Double(samples))
                try w.s.symmetrizeFromLower()
            }))
            times.append(("eigen dsyevd", try seconds { try w.eigen.decompose(w.s) }))
            times.append(("syrk Ê^(1/2) = W·Wᵀ, W = V·diag(λ^(1/4))", try seconds { try w.eigen.apply({ max($0, 0).squareRoot() }, into: w.t) }))
            return times
        }
        if phases {
            // The design of the bench's haar cell (Runner.prepare: the Haar rotation, M = QΛQᵀ, the
            // diagonals and the theory), once per cell, before any replication.
            let json = """
                {"study": "sqrt-law", "seed": 1, "replications": \(replications),
                 "fixed": {"spectrum": {"min": 0.01, "max": 100, "count": \(d)}, "sigma": 0.5, "samples": \(samples), "rotation": "haar"}}
                """
            let config = try Config(file: "bench.json", json: JSONValue.parse(Array(json.utf8)), studies: allStudies)
            let design = try seconds { _ = try Runner(config: config, threads: 1).prepare() }
            print(#"{"phase": "design (once per cell)", "d": \#(d), "samples": \#(samples), "seconds": \#(design)}"#)
            let stream = try RandomStream(seed: 1)
            for (name, time) in try replication(try Work(d: d, block: block, stream: stream), stream) {
                print(#"{"phase": "\#(name)", "d": \#(d), "samples": \#(samples), "seconds": \#(time)}"#)
            }
            return
        }
        // Each worker prepares its matrices, waits for the others, then runs its share of the
        // replications; the floor is the slowest worker's time for its share.
        let next = Mutex(0), ready = Mutex(0), slowest = Mutex(0.0)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            do {
                let stream = try RandomStream(seed: UInt32(worker + 1))
                let work = try Work(d: d, block: block, stream: stream)
                ready.withLock { $0 += 1 }
                while ready.withLock({ $0 }) < workers { sched_yield() }
                let time = try seconds {
                    while next.withLock({ n in defer { n += 1 }; return n }) < replications { _ = try replication(work, stream) }
                }
                slowest.withLock { $0 = max($0, time) }
            } catch {
                fatalError("\(error)")
            }
        }
        let elapsed = slowest.withLock { $0 }
        report("haar-floor", size: "d=\(d)", workers: workers, unit: "s", value: elapsed)
    }
}
