import GSL
import Testing

/// ``Portable``: the dense dynamics' design in plain loops, the same bits on every CPU.
struct PortableTests {
    /// The product of the same reflections as the library's: they differ by rounding, and
    /// QᵀQ = I to rounding (bounds as in ``LinearAlgebraTests/haarRotationsAgreeAcrossBackends()``).
    /// Sizes 1 and 2 are the degenerate cases of the reflections.
    @Test(arguments: [1, 2, 3, 40])
    func haarRotationIsTheLibrarysQ(d: Int) throws {
        let portable = try Portable.haarOrthogonal(dimension: d, stream: try RandomStream(seed: 77))
        let library = try Matrix.haarOrthogonal(dimension: d, stream: try RandomStream(seed: 77)).elements
        let worst = zip(portable, library).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-12, "largest difference \(worst)")
        for i in 0..<d {
            for j in 0..<d {
                let dot = (0..<d).reduce(0.0) { $0 + portable[$1 * d + i] * portable[$1 * d + j] }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-13)
            }
        }
    }

    /// The draws consumed are exactly the reflections' 7 + 6 + … + 1 = 28 normals: the stream
    /// continues where the library's does, and where 28 normal draws leave it.
    @Test func consumesExactlyTheDraws() throws {
        let a = try RandomStream(seed: 5), b = try RandomStream(seed: 5), c = try RandomStream(seed: 5)
        _ = try Portable.haarOrthogonal(dimension: 7, stream: a)
        _ = try Matrix.haarOrthogonal(dimension: 7, stream: b)
        var normals = [Double](repeating: 0, count: 28)
        normals.withUnsafeMutableBufferPointer { c.fillGaussian($0) }
        let next = c.uniform()
        #expect(a.uniform() == next)
        #expect(b.uniform() == next)
    }

    /// By hand: V = [[0.6, −0.8], [0.8, 0.6]] and x = (1, 4) give V·diag(x)·Vᵀ =
    /// [[2.92, −1.44], [−1.44, 2.08]].
    @Test func composeIsTheProductExactlySymmetric() throws {
        let q = [0.6, -0.8, 0.8, 0.6]
        let m = Portable.compose(vectors: q, values: [1, 4])
        let expected = [0.36 + 0.64 * 4, 0.48 - 0.48 * 4, 0.48 - 0.48 * 4, 0.64 + 0.36 * 4]
        for (x, y) in zip(m, expected) { #expect(abs(x - y) < 1e-15) }
        // Against the library's compose on a random rotation, and exactly symmetric.
        // Both of the library's branches: every λ ≥ 0 (one syrk) and mixed signs (a gemm).
        let d = 30
        let v = try Portable.haarOrthogonal(dimension: d, stream: try RandomStream(seed: 9))
        let positive: [Double] = (0..<d).map { 0.1 * Double($0 + 1) }
        let mixed: [Double] = (0..<d).map { 0.1 * Double($0 - 10) }
        for values in [positive, mixed] {
            let portable = Portable.compose(vectors: v, values: values)
            let library = try Matrix(rows: d, columns: d)
            try SymmetricEigen.compose(vectors: Matrix(rows: d, columns: d, elements: v), values: values,
                                       into: library, scratch: Matrix(rows: d, columns: d))
            for i in 0..<d {
                for j in 0..<d {
                    #expect(portable[i * d + j] == portable[j * d + i])
                    #expect(abs(portable[i * d + j] - library[i, j]) < 1e-13)
                }
            }
        }
    }

    /// By hand: [[1, 2], [3, 4]]·[[5, 6], [7, 8]] = [[19, 22], [43, 50]]; with Aᵀ [[26, 30], [38, 44]];
    /// with Bᵀ [[17, 23], [39, 53]].
    @Test func productByHand() {
        let a: [Double] = [1, 2, 3, 4], b: [Double] = [5, 6, 7, 8]
        #expect(Portable.product(a, b, n: 2) == [19, 22, 43, 50])
        #expect(Portable.product(a, b, n: 2, transposeA: true) == [26, 30, 38, 44])
        #expect(Portable.product(a, b, n: 2, transposeB: true) == [17, 23, 39, 53])
    }

    /// Jacobi by hand: [[2, 1], [1, 2]] has eigenvalues 1 and 3, eigenvectors (1, −1)/√2 and
    /// (1, 1)/√2 (one rotation by 45° diagonalises it). A diagonal matrix comes back sorted and
    /// untouched. On a random symmetric 30×30 (mixed signs, a repeated eigenvalue): the
    /// eigenvalues against LAPACK's (or GSL's) within 30·ε·‖A‖_F. V is a product of rotations,
    /// each orthogonal to rounding; every column meets n − 1 of them per sweep, and Jacobi takes
    /// well under 10 sweeps here, so VᵀV = I within 10·n·ε and V·diag(λ)·Vᵀ = A within
    /// 10·n·ε·‖A‖_F.
    @Test func jacobiEigenDecomposition() throws {
        let (values, vectors) = Portable.symmetricEigen([2, 1, 1, 2], n: 2)
        #expect(abs(values[0] - 1) < 1e-15 && abs(values[1] - 3) < 1e-15)
        let r = 0.5.squareRoot()
        #expect(abs(abs(vectors[0]) - r) < 1e-15 && abs(vectors[0] + vectors[2]) < 1e-15, "(1, −1)/√2: \(vectors)")
        #expect(abs(abs(vectors[1]) - r) < 1e-15 && abs(vectors[1] - vectors[3]) < 1e-15, "(1, 1)/√2: \(vectors)")
        let sorted = Portable.symmetricEigen([5, 0, 0, 0, -1, 0, 0, 0, 2], n: 3)
        #expect(sorted.values == [-1, 2, 5])
        #expect(sorted.vectors == [0, 0, 1, 1, 0, 0, 0, 1, 0])
        let d = 30
        let v = try Portable.haarOrthogonal(dimension: d, stream: try RandomStream(seed: 21))
        let lambda: [Double] = (0..<d).map { $0 == 7 ? 0.5 : 0.37 * Double($0 - 12) }
        let a = Portable.compose(vectors: v, values: lambda)
        let (found, u) = Portable.symmetricEigen(a, n: d)
        let norm = a.reduce(0) { $0 + $1 * $1 }.squareRoot(), bound = 30 * 2.2e-16 * norm, rotations = 10 * Double(d) * 2.2e-16
        let library = try SymmetricEigen(dimension: d)
        try library.decompose(try Matrix(rows: d, columns: d, elements: a))
        for (x, y) in zip(found, library.values.elements) { #expect(abs(x - y) <= bound, "\(x) against \(y)") }
        let back = Portable.compose(vectors: u, values: found), identity = Portable.product(u, u, n: d, transposeA: true)
        for k in 0..<(d * d) {
            #expect(abs(back[k] - a[k]) <= rotations * norm)
            #expect(abs(identity[k] - (k % (d + 1) == 0 ? 1 : 0)) <= rotations)
        }
    }
}
