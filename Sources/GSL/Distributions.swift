import CGSL

extension Matrix {
    /// A random orthogonal matrix from the Haar measure on O(n): the Q of a QR factorisation of
    /// an n×n standard Gaussian matrix, with each column's sign fixed so that R has a positive
    /// diagonal (Mezzadri 2007, "How to generate random matrices from the classical compact
    /// groups"; without the sign fix Q is not Haar).
    ///
    /// The QR is LAPACK's with the `OpenBLAS` trait, GSL's without (``LinearAlgebra``); both
    /// factor the same Z, so their Q agree to rounding.
    public static func haarOrthogonal(dimension n: Int, stream: RandomStream,
                                      using backend: LinearAlgebra = .default) throws -> Matrix {
        let z = try Matrix(rows: n, columns: n)
        stream.fillGaussian(z)
        return try orthogonalFactor(of: z, using: backend)
    }
}
