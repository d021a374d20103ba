// swift-tools-version: 6.1
//
// HessianStudy: Monte Carlo evidence on whether Adam's second moment measures the Hessian.
//
// Layers, each importing only those below it:
//   CGSL         the GNU Scientific Library (module map + shim header)
//   CGSLErrors   GSL's error handler replaced, its per-thread state in a .c file
//   CZiggurat    GSL's Gaussian ziggurat on taus2 drawn inline, bit for bit GSL's draws
//   CKernels     the one hot loop written in C so that it vectorises (restrict pointers)
//   CBuildID     the linker's build ID of the running image (dl_iterate_phdr): the build's identity
//   CLAPACK      declarations of the LAPACK routines OpenBLAS exports (eigen, QR, Cholesky),
//                called only with the OpenBLAS trait on
//   GSL          Swift over GSL: streams, distributions, matrices, BLAS, eigen, fits, errors
//   StrictJSON   the strict JSON parser and writer configs and part files are read with
//   MonteCarlo   design grid, seed sequence, deterministic parallel runner, configs, results
//   Reporting    result files read back (validated), agreement rules, figure descriptions: what a
//                study's own report code is written with
//   Studies      one folder per study of docs/SCIENCE.md: the study, its figures
//   Report       REPORT.md from the result files, the claims C1–C5, figures drawn with gnuplot
//   hessian-study  the command line
import PackageDescription

let package = Package(
    name: "HessianStudy",
    products: [
        .executable(name: "hessian-study", targets: ["hessian-study"]),
        .library(name: "Studies", targets: ["Studies"]),
    ],
    traits: [
        .trait(
            name: "OpenBLAS",
            description: "Serve GSL's CBLAS calls from OpenBLAS (libopenblas) instead of GSL's reference CBLAS (libgslcblas), and the symmetric eigen-decomposition, QR and Cholesky from OpenBLAS's LAPACK instead of GSL's unblocked routines."
        ),
        .default(enabledTraits: ["OpenBLAS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CGSL"),
        .target(name: "CKernels"),
        .target(name: "CGSLErrors", linkerSettings: [.linkedLibrary("gsl")]),
        .target(name: "CZiggurat", linkerSettings: [.linkedLibrary("gsl")]),
        .target(name: "CLAPACK"),
        .target(name: "CBuildID"),
        .target(
            name: "GSL",
            dependencies: ["CGSL", "CGSLErrors", "CKernels", "CLAPACK", "CZiggurat"],
            linkerSettings: [
                // Order matters: the first library that defines cblas_* serves GSL's BLAS calls.
                // With the trait on, OpenBLAS comes first (and serves CLAPACK's LAPACK routines);
                // libgslcblas is always linked so that the package also builds with the trait
                // off (`--disable-default-traits`), when no LAPACK routine is called.
                .linkedLibrary("openblas", .when(traits: ["OpenBLAS"])),
                .linkedLibrary("gslcblas"),
            ]
        ),
        .target(name: "StrictJSON"),
        .target(name: "MonteCarlo", dependencies: ["CBuildID", "GSL", "StrictJSON", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Reporting", dependencies: ["MonteCarlo"]),
        .target(name: "Studies", dependencies: ["CKernels", "GSL", "MonteCarlo", "Reporting"]),
        .target(name: "Report", dependencies: ["MonteCarlo", "Reporting", "Studies"]),
        .executableTarget(
            name: "hessian-study",
            dependencies: [
                "Studies", "MonteCarlo", "GSL", "Report", "Reporting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "hessian-bench",
            dependencies: [
                "GSL", "MonteCarlo", "Studies",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "GSLTests", dependencies: ["GSL"]),
        .testTarget(name: "StrictJSONTests", dependencies: ["StrictJSON"]),
        .testTarget(name: "MonteCarloTests", dependencies: ["MonteCarlo", "GSL"]),
        .testTarget(name: "StudiesTests", dependencies: ["Studies", "MonteCarlo", "GSL", "Report", "Reporting", "TestSupport", "hessian-study"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Reporting", "MonteCarlo", "Studies", "TestSupport", "hessian-study"]),
    ]
)
