import CGSL

extension Matrix {
    /// A random orthogonal matrix from the Haar measure on O(n): the Q of a QR factorisation of
    /// an n×n standard Gaussian matrix, with each column's sign fixed so that R has a positive
    /// diagonal (Mezzadri 2007, "How to generate random matrices from the classical compact
    /// groups"; without the sign fix Q is not Haar).
    public static func haarOrthogonal(dimension n: Int, stream: RandomStream) throws -> Matrix {
        let z = try Matrix(rows: n, columns: n)
        stream.fillGaussian(z)
        let tau = try Vector(count: n)
        try check(gsl_linalg_QR_decomp(z.gsl, tau.gsl), "gsl_linalg_QR_decomp")
        let q = try Matrix(rows: n, columns: n)
        let r = try Matrix(rows: n, columns: n)
        try check(gsl_linalg_QR_unpack(z.gsl, tau.gsl, q.gsl, r.gsl), "gsl_linalg_QR_unpack")
        for row in 0..<n {
            q.withRow(row) { qRow in
                for column in 0..<n where r[column, column] < 0 { qRow[column] = -qRow[column] }
            }
        }
        return q
    }
}
