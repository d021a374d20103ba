import Foundation
import GSL
import Testing

/// LAPACK (OpenBLAS, the default with the trait) and GSL's routines behind one API give the same
/// answers to rounding. Each test runs both backends on the same input in one build (in a build
/// without the trait only GSL's exists, and the comparisons are skipped).
///
/// The bounds come from backward stability: each routine returns the exact eigenpairs of A + E
/// with ‖E‖₂ ≤ p(d)·ε·‖A‖₂ for a modest p(d) (Golub & Van Loan §8.3, LAPACK Users' Guide §4.7),
/// so two of them differ in an eigenvalue by at most 2p(d)·ε·‖A‖₂ (Weyl) and in an eigenvector
/// by an angle of at most 2p(d)·ε·‖A‖₂/gap (Davis–Kahan). We take p(d) = 4d, generous for both
/// (their errors grow like √d·ε in practice), and ‖A‖_F ≥ ‖A‖₂.
struct LinearAlgebraTests {
    static let epsilon = Double.ulpOfOne

    /// A = X·Xᵀ/m + shift·I, symmetric positive definite, from a seeded stream.
    static func randomSPD(_ d: Int, seed: UInt32, shift: Double = 0.1) throws -> Matrix {
        let stream = try RandomStream(seed: seed)
        let x = try Matrix(rows: d, columns: d + 3), a = try Matrix(rows: d, columns: d)
        stream.fillGaussian(x)
        try BLAS.gemm(1 / Double(d + 3), x, x, transposeB: true, 0, a)
        for i in 0..<d { a[i, i] += shift }
        return a
    }

    static func bound(_ d: Int, _ a: Matrix) -> Double { 2 * 4 * Double(d) * epsilon * a.frobeniusNorm }

    @Test(arguments: [1, 2, 7, 64, 200])
    func eigenpairsAgreeAcrossBackends(d: Int) throws {
        guard LinearAlgebra.isLAPACKAvailable else { return }
        let a = try Self.randomSPD(d, seed: UInt32(100 + d))
        let lapack = try SymmetricEigen(dimension: d, using: .lapack), gsl = try SymmetricEigen(dimension: d, using: .gsl)
        try lapack.decompose(a)
        try gsl.decompose(a)
        let bound = Self.bound(d, a)
        let λ = lapack.values.elements, μ = gsl.values.elements
        #expect(λ == λ.sorted() && μ == μ.sorted(), "both ascending")
        for i in 0..<d { #expect(abs(λ[i] - μ[i]) <= bound, "λ\(i): \(λ[i]) vs \(μ[i]), bound \(bound)") }
        // Eigenvectors up to sign, where the gap to the neighbours makes them well defined.
        for j in 0..<d {
            let gap = min(j > 0 ? λ[j] - λ[j - 1] : .infinity, j < d - 1 ? λ[j + 1] - λ[j] : .infinity)
            guard gap > 1e3 * bound else { continue }
            let dot = (0..<d).reduce(0.0) { $0 + lapack.vectors[$1, j] * gsl.vectors[$1, j] }
            // 1 − |cos θ| ≤ θ²/2 with θ ≤ bound/gap; plus the rounding of the dot product itself.
            let angle = bound / gap
            #expect(1 - abs(dot) <= angle * angle / 2 + 2 * Double(d) * Self.epsilon, "vector \(j): |cos| = \(abs(dot))")
        }
        // Both reconstruct A: ‖V·diag(λ)·Vᵀ − A‖ within the same bound.
        for eigen in [lapack, gsl] {
            let back = try Matrix(rows: d, columns: d)
            try eigen.apply({ $0 }, into: back)
            for i in 0..<d { for j in 0...i { #expect(abs(back[i, j] - a[i, j]) <= bound) } }
        }
    }

    /// The matrix square root (what sqrt-law's recovery error reads): for SPD A with λ_min ≥ 0.1,
    /// a perturbation E of A moves A^(1/2) by at most ‖E‖/(2√λ_min) (the Fréchet derivative of
    /// the square root), so the two backends' roots differ by at most bound/(2√0.1) < 2·bound.
    @Test func squareRootsAgreeAcrossBackends() throws {
        guard LinearAlgebra.isLAPACKAvailable else { return }
        let d = 96
        let a = try Self.randomSPD(d, seed: 9)
        let roots = try [LinearAlgebra.lapack, .gsl].map { backend -> Matrix in
            let root = try Matrix(rows: d, columns: d)
            try SymmetricEigen(dimension: d, using: backend).squareRoot(of: a, into: root)
            return root
        }
        let bound = 2 * Self.bound(d, a)
        for (x, y) in zip(roots[0].elements, roots[1].elements) { #expect(abs(x - y) <= bound) }
    }

    @Test(arguments: [1, 3, 10])
    func largestEigenvaluesMatchTheFullDecomposition(k: Int) throws {
        let d = 150
        let a = try Self.randomSPD(d, seed: 31)
        for backend in LinearAlgebra.available {
            let eigen = try SymmetricEigen(dimension: d, using: backend)
            try eigen.decompose(a)
            let full = eigen.values.elements
            let top = try eigen.largest(k, of: a)
            #expect(top.count == k)
            #expect(top == top.sorted(by: >), "largest first")
            let bound = Self.bound(d, a)
            for i in 0..<k { #expect(abs(top[i] - full[d - 1 - i]) <= bound, "\(backend) λ(\(i)): \(top[i]) vs \(full[d - 1 - i])") }
        }
        #expect(try SymmetricEigen(dimension: d).largest(0, of: a).isEmpty)
    }

    /// The same reflections multiplied out by both backends (`dorgqr`, `gsl_linalg_QR_unpack`):
    /// each step applies an orthogonal reflection, so the two differ by rounding that grows at
    /// most like d·ε per element, 40 · 1.1e-16 ≈ 4e-15 here; the bound 1e-12 leaves a margin.
    @Test func haarRotationsAgreeAcrossBackends() throws {
        guard LinearAlgebra.isLAPACKAvailable else { return }
        let d = 40
        let q = try [LinearAlgebra.lapack, .gsl].map { try Matrix.haarOrthogonal(dimension: d, stream: try RandomStream(seed: 77), using: $0) }
        let worst = zip(q[0].elements, q[1].elements).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-12, "largest difference \(worst)")
        let product = try Matrix(rows: d, columns: d)
        try BLAS.gemm(1, q[0], transposeA: true, q[0], 0, product)
        for i in 0..<d { for j in 0..<d { #expect(abs(product[i, j] - (i == j ? 1 : 0)) < 1e-12) } }
    }

    @Test func choleskyAgreesAcrossBackends() throws {
        let d = 50
        let a = try Self.randomSPD(d, seed: 4)
        let factors = try LinearAlgebra.available.map { backend -> Matrix in
            let l = try a.copy()
            try choleskyDecompose(l, using: backend)
            return l
        }
        // L·Lᵀ = A to rounding, for each backend; the strict upper triangle is left as it was.
        for l in factors {
            for i in 0..<d {
                for j in 0...i {
                    let s = (0...j).reduce(0.0) { $0 + l[i, $1] * l[j, $1] }
                    #expect(abs(s - a[i, j]) <= Self.bound(d, a))
                }
                for j in (i + 1)..<d { #expect(l[i, j] == a[i, j]) }
            }
        }
        if factors.count == 2 {
            for (x, y) in zip(factors[0].elements, factors[1].elements) { #expect(abs(x - y) <= 10 * Self.bound(d, a)) }
        }
    }

    @Test func nonPositiveDefiniteThrowsInEveryBackend() throws {
        for backend in LinearAlgebra.available {
            let a = try Matrix(rows: 2, columns: 2, elements: [1, 2, 2, 1])
            let error = #expect(throws: GSLError.self) { try choleskyDecompose(a, using: backend) }
            #expect(error?.status == GSLError.domain)
            #expect(error?.reason.contains("positive definite") == true)
        }
    }

    @Test func lapackIsTheDefaultExactlyWithTheTrait() {
        #expect(LinearAlgebra.default == (BLAS.isOpenBLAS ? .lapack : .gsl))
    }
}

/// The edges of the raw BLAS wrappers, where the product is empty: an inner dimension k = 0
/// makes α·op(A)·op(B) the zero matrix, so C ← β·C exactly; n = 0 (syrk) or m = 0 (gemm) leaves
/// nothing to do. (Generated mutants that tightened these preconditions to k > 0 and n > 0
/// survived every test: no caller reaches the edge.)
@Suite struct BLASEdgeTests {
    @Test func anEmptyInnerDimensionScalesC() {
        var c = [1.0, -2, 3, 4, 5, -6]  // 2 × 3
        let a = [Double](repeating: .nan, count: 1), b = [Double](repeating: .nan, count: 3)
        BLAS.gemm(m: 2, n: 3, k: 0, 7, a, lda: 1, b, ldb: 3, 0.5, &c, ldc: 3)
        #expect(c == [0.5, -1, 1.5, 2, 2.5, -3])
        var lower = [2.0, 9, 4, 6]  // 2 × 2: only the lower triangle is written
        BLAS.syrkTransposed(n: 2, k: 0, 3, b, lda: 2, 0.25, &lower, ldc: 2)
        #expect(lower == [0.5, 9, 1, 1.5])
    }

    @Test func emptyOutputsAreNoOps() {
        var c = [42.0]
        let a = [1.0, 2], b = [3.0, 4]
        BLAS.gemm(m: 0, n: 1, k: 2, 1, a, lda: 2, b, ldb: 1, 0, &c, ldc: 1)
        BLAS.syrkTransposed(n: 0, k: 2, 1, a, lda: 1, 0, &c, ldc: 1)
        #expect(c == [42])
    }
}

/// A vector's subscript at both ends of its range, and one past the end, which must stop the
/// process (a precondition), never read or write beside the buffer. (Generated mutants that moved
/// the bounds, index > 0 and index <= count, survived every test.)
@Suite struct VectorBoundsTests {
    @Test func bothEndsReadAndWrite() throws {
        let v = try Vector([1, 2, 3])
        #expect(v[0] == 1 && v[2] == 3)
        v[0] = -1
        v[2] = 9
        #expect(v.withElements { Array($0) } == [-1, 2, 9])
    }

    @Test func onePastTheEndStops() async {
        await #expect(processExitsWith: .failure) {
            let v = try Vector(count: 3)
            v[3] = 1
        }
        await #expect(processExitsWith: .failure) {
            let v = try Vector(count: 3)
            _ = v[-1]
        }
    }
}

/// A strided covariance at the last element its series hold (against the definition), and one
/// stride past it, which must stop the process rather than read beside the buffer. (A generated
/// mutant that let (count − 1)·stride reach the buffer's length survived every test.)
@Suite struct StridedCovarianceBoundsTests {
    @Test func theLastElementIsReadAndOnePastStops() async {
        let x = [1.0, 100, 2, 100, 4], y = [3.0, -100, 1, -100, 8]
        let (xs, ys) = ([1.0, 2, 4], [3.0, 1, 8])
        let (mx, my) = (7.0 / 3, 4.0)
        let definition = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / 2
        let covariance = x.withUnsafeBufferPointer { a in
            y.withUnsafeBufferPointer { b in Statistics.covariance(a, b, stride: 2, count: 3, means: (mx, my)) }
        }
        #expect(abs(covariance - definition) <= 1e-14 * abs(definition))
        await #expect(processExitsWith: .failure) {
            let (x, y) = ([1.0, 100, 2, 100], [3.0, -100, 1, -100])
            _ = x.withUnsafeBufferPointer { a in
                y.withUnsafeBufferPointer { b in Statistics.covariance(a, b, stride: 2, count: 3, means: (0, 0)) }
            }
        }
    }
}
