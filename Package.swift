// swift-tools-version:6.0
import PackageDescription

// C libraries come from Debian packages and are found through pkg-config
// (`make deps` installs them).

// IJEPA_MPI=1 builds data-parallel Pretrain over Open MPI (`make build-mpi`,
// into .build-mpi); the default build needs no MPI.
let mpi = Context.environment["IJEPA_MPI"] == "1"
let mpiTargets: [Target] = mpi ? [
    .systemLibrary(name: "CMPI", pkgConfig: "mpi-c", providers: [.apt(["libopenmpi-dev"])]),
    .target(name: "MPIShim", dependencies: ["CMPI"]),
] : []

let package = Package(
    name: "ijepa-swift",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "Prepare", targets: ["Prepare"]),
        .executable(name: "Pretrain", targets: ["Pretrain"]),
        .executable(name: "Probe", targets: ["Probe"]),
        .executable(name: "Report", targets: ["Report"]),
        .executable(name: "Store", targets: ["Store"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
    ],
    targets: [
        // System libraries.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        // PNG/JPEG decode and encode in C: both libraries report errors by
        // longjmp, which Swift cannot catch.
        .target(name: "CCodecs", dependencies: ["CPNG", "CJPEG"]),

        // Libraries by concern.
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "COpenMP"),
        .systemLibrary(name: "CDNNL"),
        .target(name: "Threads", dependencies: ["CMalloc", "COpenMP"]),
        .target(name: "Imaging", dependencies: ["CCodecs", "CZlib"]),
        .target(name: "Shards", dependencies: ["CHDF5", "CZlib", "Threads"]),
        // Pipeline's typed settings build the model shape and the mask sampler,
        // and check them, so Numerics and Training sit below it.
        // Configuration and artifacts: no domain library below it (the mask
        // keys' rule shares MaskGeometry, a leaf, with the sampler).
        .target(name: "MaskGeometry"),
        .target(name: "Pipeline", dependencies: [
            "Yams", "Threads", "CCrypto", "MaskGeometry",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "Random"),
        .target(name: "SafeTensors"),
        .target(name: "Numerics", dependencies: ["CBLAS", "CDNNL", "CKernels", "Threads", "Random"]),
        .target(name: "Training", dependencies: ["Numerics", "MaskGeometry", "Random", "Threads", "Shards", "Imaging"]),
        .target(name: "Distributed", dependencies: ["Numerics", "Training"] + (mpi ? ["MPIShim"] : []),
                swiftSettings: mpi ? [.define("IJEPA_MPI")] : []),
        .target(name: "Evaluation", dependencies: ["Numerics", "Random", "Pipeline", "Shards", "Threads"]),
        // Weights in and out under the official names (safetensors).
        .target(name: "Interop", dependencies: ["SafeTensors", "Training", "Numerics"]),
        .target(name: "Pretraining", dependencies: ["Interop", "Training", "Distributed", "Evaluation", "Preparation", "Pipeline", "Numerics", "Random",
                                                    "Shards", "Imaging", "Threads"]),
        .target(name: "Preparation", dependencies: ["Imaging", "Shards", "Pipeline", "Threads"]),
        .target(name: "Probing", dependencies: ["Evaluation", "Pretraining", "Training", "Preparation", "Pipeline", "Numerics", "Random",
                                                "Shards", "Threads"]),
        .target(name: "Reporting", dependencies: ["Probing", "Pretraining", "Preparation", "Pipeline"]),

        .target(name: "StageCLI", dependencies: [
            "Pipeline", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Thin executables.
        .executableTarget(name: "Prepare", dependencies: [
            "Preparation", "Pipeline", "StageCLI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Mutation fuzzing of the decoders (Tests/EndToEnd/fuzz_decoders.sh, under AddressSanitizer).
        .executableTarget(name: "FuzzDecoders", dependencies: [
            "Imaging", "CZlib", "Random", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The benchmarks' instruments (step clock, GEMM replay, the timed run),
        // kept out of the libraries that train.
        .target(name: "Benchmarks", dependencies: ["Pretraining", "Preparation", "Training", "Numerics", "Pipeline", "Shards",
                                                   "Threads"]),
        .executableTarget(name: "NumericsBench", dependencies: [
            "Benchmarks", "Numerics", "Pipeline", "Random", "Threads", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "PretrainBench", dependencies: [
            "Benchmarks", "Pipeline", "StageCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "Pretrain", dependencies: [
            "Pretraining", "Pipeline", "StageCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "Probe", dependencies: [
            "Probing", "Pipeline", "StageCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "Report", dependencies: [
            "Reporting", "Pipeline", "StageCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Store maintenance: verify, gc-list, a sweep's variant count.
        .executableTarget(name: "Store", dependencies: [
            "Reporting", "Pipeline", "StageCLI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Random"]),
        .testTarget(name: "ShardsTests", dependencies: ["Shards"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "MaskGeometry"]),
        .testTarget(name: "NumericsTests", dependencies: ["Numerics", "Random", "CKernels", "Threads", "Shards"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Numerics", "Random", "Shards"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "InteropTests", dependencies: ["Interop", "SafeTensors", "Training", "Numerics", "Shards", "Evaluation",
                                                      "Imaging"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PretrainingTests", dependencies: ["Evaluation", "Pretraining", "Preparation", "Pipeline", "Shards", "Training",
                                                          "SafeTensors", "Numerics"]),
        .testTarget(name: "ProbingTests", dependencies: ["Random", "Evaluation", "Probing", "Pretraining", "Preparation", "Training", "Numerics",
                                                      "Pipeline", "Shards"]),
        .testTarget(name: "ReportingTests", dependencies: ["Random", "Reporting", "Probing", "Pretraining", "Preparation", "Pipeline"]),
        .testTarget(name: "PreparationTests", dependencies: ["Preparation", "Imaging", "Shards", "Pipeline"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Pipeline", "Preparation"]),
    ] + mpiTargets
)
