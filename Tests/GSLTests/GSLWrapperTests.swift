import GSL
import Testing

/// The Swift layer over GSL: errors are thrown with GSL's reason (never abort), memory and
/// shapes are checked, and the numerical building blocks give known answers.
struct GSLWrapperTests {
    @Test func choleskyOfNonPositiveDefiniteMatrixThrowsWithGSLReason() throws {
        let a = try Matrix(rows: 2, columns: 2, elements: [1, 2, 2, 1])  // eigenvalues 3 and −1
        let error = #expect(throws: GSLError.self) { try choleskyDecompose(a) }
        #expect(error?.status == GSLError.domain)
        #expect(error?.function == (LinearAlgebra.default == .lapack ? "dpotrf" : "gsl_linalg_cholesky_decomp1"))
        #expect(error?.reason.contains("positive definite") == true, "the library's reason is carried: \(String(describing: error))")
    }

    @Test func choleskyOfPositiveDefiniteMatrix() throws {
        let a = try Matrix(rows: 2, columns: 2, elements: [4, 2, 2, 3])
        try choleskyDecompose(a)
        #expect(a[0, 0] == 2)
        #expect(a[1, 0] == 1)
        #expect(abs(a[1, 1] - 2.0.squareRoot()) < 1e-15)
    }

    @Test func eigenWithWrongDimensionThrows() throws {
        let eigen = try SymmetricEigen(dimension: 3)
        let error = #expect(throws: GSLError.self) { try eigen.decompose(try Matrix.identity(2)) }
        #expect(error?.status == GSLError.badLength)
        let notSquare = #expect(throws: GSLError.self) { try eigen.decompose(try Matrix(rows: 3, columns: 2)) }
        #expect(notSquare?.status == GSLError.notSquare)
    }

    @Test func blasShapeMismatchThrows() throws {
        let a = try Matrix(rows: 2, columns: 3), b = try Matrix(rows: 2, columns: 3), c = try Matrix(rows: 2, columns: 2)
        let error = #expect(throws: GSLError.self) { try BLAS.gemm(1, a, b, 0, c) }
        #expect(error?.status == GSLError.badLength)
    }

    @Test func gemmAndSyrkAgree() throws {
        let stream = try RandomStream(seed: 7)
        let a = try Matrix(rows: 5, columns: 9)
        stream.fillGaussian(a)
        let viaGemm = try Matrix(rows: 5, columns: 5), viaSyrk = try Matrix(rows: 5, columns: 5)
        try BLAS.gemm(1, a, a, transposeB: true, 0, viaGemm)
        try BLAS.syrk(1, a, 0, viaSyrk)
        try viaSyrk.symmetrizeFromLower()
        for (x, y) in zip(viaGemm.elements, viaSyrk.elements) { #expect(abs(x - y) <= 1e-12 * max(1, abs(x))) }
    }

    @Test func matrixSquareRootSquaresBack() throws {
        let stream = try RandomStream(.taus2, seed: 11)
        let x = try Matrix(rows: 6, columns: 6), a = try Matrix(rows: 6, columns: 6)
        stream.fillGaussian(x)
        try BLAS.gemm(1, x, x, transposeB: true, 0, a)  // symmetric positive definite
        let eigen = try SymmetricEigen(dimension: 6), root = try Matrix(rows: 6, columns: 6)
        try eigen.squareRoot(of: a, into: root)
        let square = try Matrix(rows: 6, columns: 6)
        try BLAS.gemm(1, root, root, 0, square)
        for (s, t) in zip(square.elements, a.elements) { #expect(abs(s - t) <= 1e-10 * a.frobeniusNorm) }
    }

    @Test func squareRootOfIndefiniteMatrixThrows() throws {
        let a = try Matrix(rows: 2, columns: 2, elements: [1, 2, 2, 1])
        let eigen = try SymmetricEigen(dimension: 2)
        let error = #expect(throws: GSLError.self) { try eigen.squareRoot(of: a, into: try Matrix(rows: 2, columns: 2)) }
        #expect(error?.status == GSLError.domain)
    }

    @Test func haarMatrixIsOrthogonal() throws {
        let q = try Matrix.haarOrthogonal(dimension: 8, stream: try RandomStream(seed: 3))
        let product = try Matrix(rows: 8, columns: 8)
        try BLAS.gemm(1, q, transposeA: true, q, 0, product)
        for i in 0..<8 { for j in 0..<8 { #expect(abs(product[i, j] - (i == j ? 1 : 0)) < 1e-12) } }
    }

    /// The mean of Q₁₁ over Haar matrices is 0 and E[Q₁₁²] = 1/n. Without Mezzadri's sign fix
    /// the product of the reflections gives a biased Q₁₁ (its sign follows the first draws). Over
    /// 4000 draws at n = 4 the sd of the mean of Q₁₁ is 0.5/√4000 = 0.0079; the bound 0.035 is
    /// 4.4 sd (false failure rate about 1e-5).
    @Test func haarMatrixHasUnbiasedEntries() throws {
        let stream = try RandomStream(seed: 5)
        var sum = 0.0, sumSquares = 0.0
        let draws = 4000
        for _ in 0..<draws {
            let q = try Matrix.haarOrthogonal(dimension: 4, stream: stream)
            sum += q[0, 0]
            sumSquares += q[0, 0] * q[0, 0]
        }
        #expect(abs(sum / Double(draws)) < 0.035)
        // Var(Q₁₁²) = E[Q₁₁⁴] − 1/16 = 3/24 − 1/16 = 1/16 at n = 4: sd of the mean 0.0040; 4.4 sd = 0.0175.
        #expect(abs(sumSquares / Double(draws) - 0.25) < 0.0175)
    }

    /// Every backend's P at n = 1 and 2 by hand. With the reflections' draws x = (α, β) and γ:
    /// H₀ maps x to r·e₁ (r = −sign(α)·‖x‖), so its first column is x/r and H₀ = [[α, β], [β, −α]]/r;
    /// H₁ = I (τ = 0 on one coordinate), the signs are s₀ = sign(r), s₁ = sign(γ), and
    /// P = diag(s₀, s₁)·H₀ = [[α, β], [s₀s₁β, −s₀s₁α]]/‖x‖. At n = 1, P = sign(α).
    /// In general P's first row is the first n draws over their norm. Each entry is a few
    /// roundings of numbers no larger than 2: the bounds are 9 and 4.5 ulps of 1.
    @Test func haarMatrixOfTwoByHand() throws {
        let draws = try RandomStream(seed: 12)
        var x = [Double](repeating: 0, count: 3)
        x.withUnsafeMutableBufferPointer { draws.fillGaussian($0) }
        let (alpha, beta, gamma) = (x[0], x[1], x[2]), norm = (alpha * alpha + beta * beta).squareRoot()
        let s = (alpha >= 0 ? -1.0 : 1.0) * (gamma < 0 ? -1.0 : 1.0)
        let expected = [alpha / norm, beta / norm, s * beta / norm, -s * alpha / norm]
        var products: [[Double]] = try LinearAlgebra.available.map { try Matrix.haarOrthogonal(dimension: 2, stream: RandomStream(seed: 12), using: $0).elements }
        products.append(try Portable.haarOrthogonal(dimension: 2, stream: RandomStream(seed: 12)))
        for p in products { for (a, b) in zip(p, expected) { #expect(abs(a - b) <= 2e-15, "\(p) against \(expected)") } }
        for backend in LinearAlgebra.available {
            #expect(try Matrix.haarOrthogonal(dimension: 1, stream: RandomStream(seed: 12), using: backend).elements == [alpha < 0 ? -1 : 1])
            let d = 40
            var first = [Double](repeating: 0, count: d)
            let firstDraws = try RandomStream(seed: 12)
            first.withUnsafeMutableBufferPointer { firstDraws.fillGaussian($0) }
            let length = first.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let p = try Matrix.haarOrthogonal(dimension: d, stream: RandomStream(seed: 12), using: backend)
            for j in 0..<d { #expect(abs(p[0, j] - first[j] / length) <= 1e-15) }
        }
    }

    /// The trace of a Haar matrix on O(n) has the moments of N(0, 1) up to order n
    /// (Diaconis and Shahshahani 1994): E[tr P] = 0, E[(tr P)²] = 1, Var (tr P)² = 3 − 1 = 2 at
    /// n = 4; and E[tr P²] = 1 with Var tr P² = 2 (1.99 in 200,000 NumPy draws). The product of
    /// the reflections without the signs has E[tr P] = −0.83 at n = 4. Over 4000 draws the sds of
    /// the means are 0.0158, 0.0224 and 0.0224; each bound is 4.4 sd (false failure about 1e-5 each).
    @Test func haarMatrixTraceHasGaussianMoments() throws {
        let stream = try RandomStream(seed: 6), n = 4, draws = 4000
        var trace = 0.0, traceSquared = 0.0, traceOfSquare = 0.0
        for _ in 0..<draws {
            let p = try Matrix.haarOrthogonal(dimension: n, stream: stream)
            let t = (0..<n).reduce(0.0) { $0 + p[$1, $1] }
            trace += t
            traceSquared += t * t
            traceOfSquare += (0..<n).reduce(0.0) { i, k in i + (0..<n).reduce(0.0) { $0 + p[k, $1] * p[$1, k] } }
        }
        #expect(abs(trace / Double(draws)) < 0.07)
        #expect(abs(traceSquared / Double(draws) - 1) < 0.098)
        #expect(abs(traceOfSquare / Double(draws) - 1) < 0.098)
    }

    @Test func streamsAreReproducibleAndDistinct() throws {
        for generator in Generator.allCases {
            let a = try RandomStream(generator, seed: 42), b = try RandomStream(generator, seed: 42)
            let c = try RandomStream(generator, seed: 43)
            let xa = (0..<10).map { _ in a.gaussian() }, xb = (0..<10).map { _ in b.gaussian() }
            let xc = (0..<10).map { _ in c.gaussian() }
            #expect(xa == xb)
            #expect(xa != xc)
        }
    }

    /// Mean and variance of 10⁶ ziggurat draws: sd of the mean 0.001, of the variance 0.0014;
    /// bounds of 5 sd (false failure rate below 1e-6).
    @Test(arguments: Generator.allCases)
    func zigguratDrawsAreStandardNormal(generator: Generator) throws {
        let stream = try RandomStream(generator, seed: 2024)
        var buffer = [Double](repeating: 0, count: 1_000_000)
        buffer.withUnsafeMutableBufferPointer { stream.fillGaussian($0) }
        let mean = buffer.withUnsafeBufferPointer { Statistics.mean($0, count: $0.count) }
        let sd = buffer.withUnsafeBufferPointer { Statistics.standardDeviation($0, count: $0.count, mean: mean) }
        #expect(abs(mean) < 0.005)
        #expect(abs(sd * sd - 1) < 0.007)
    }

    @Test func linearFitRecoversALine() throws {
        let fit = try LinearFit(x: [0, 1, 2, 3], y: [1, 3, 5, 7])
        #expect(abs(fit.slope - 2) < 1e-14)
        #expect(abs(fit.intercept - 1) < 1e-14)
        #expect(fit.slopeStandardError < 1e-12)
        #expect(throws: GSLError.self) { try LinearFit(x: [1, 1, 1], y: [1, 2, 3]) }
        #expect(throws: GSLError.self) { try LinearFit(x: [1], y: [1]) }
    }

    @Test func stridedStatisticsReadAColumn() throws {
        let table: [Double] = [1, 10, 2, 20, 3, 30]  // 3 rows × 2 columns
        table.withUnsafeBufferPointer { data in
            let column = UnsafeBufferPointer(rebasing: data[1...])
            #expect(Statistics.mean(column, stride: 2, count: 3) == 20)
            #expect(Statistics.standardDeviation(column, stride: 2, count: 3, mean: 20) == 10)
        }
    }

    @Test func blasLibraryIsTheOneTheTraitSelects() {
        let library = BLAS.library
        #expect(library.contains(BLAS.isOpenBLAS ? "openblas" : "gslcblas"), "cblas_dgemm is served by \(library)")
    }

    @Test func gslVersionIsKnown() {
        #expect(GSLRuntime.version.split(separator: ".").count >= 2)
    }
}
