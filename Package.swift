// swift-tools-version:6.2
import PackageDescription

/// Warnings are errors in our own targets only; dependencies are left alone. `any` is spelled
/// out for every existential, and a file imports every module whose members it uses.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// How the release daemon is linked on Linux: with lld, relative relocations packed (DT_RELR,
/// glibc 2.36+) and no symbol table exported for dlopen'd code, which the daemon never loads.
/// The statically linked binary's relocations (3.6 MB) and exported symbols (2.9 MB) were read
/// and kept resident by every process: `serve` with two accounts fell from 46 to 36 MB of RSS
/// (README, "Where the memory goes"). lld links it in under 2 s.
let releaseLinking: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
        .when(platforms: [.linux], configuration: .release))
]

let package = Package(
    name: "postsync",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "postsync", targets: ["postsync"]),
        .library(name: "PostSync", targets: ["PostSync"]),
        .library(name: "PostSyncSimulator", targets: ["PostSyncSimulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        .target(
            name: "PostSync",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PostSyncSimulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "postsync",
            dependencies: [
                "PostSync",
                "PostSyncSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict,
            linkerSettings: releaseLinking
        ),
        .executableTarget(
            // The adaptive schedule's benchmark (scripts/bench-schedule.sh).
            name: "ScheduleBench",
            dependencies: ["PostSync"],
            swiftSettings: strict
        ),
        .executableTarget(
            // The store's ingest beside a raw sqlite3 insert of the same rows (scripts/bench-scale.sh).
            name: "IngestBench",
            dependencies: ["PostSync"],
            swiftSettings: strict
        ),
        .target(
            name: "PostSyncTestSupport",
            dependencies: ["PostSync", "PostSyncSimulator"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PostSyncSimulatorTests",
            dependencies: ["PostSyncSimulator"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PostSyncTests",
            // `postsync` is listed so that `swift test` builds the binary the CLI tests run.
            dependencies: [
                "PostSync", "PostSyncSimulator", "PostSyncTestSupport", "postsync",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                // To change a stored row behind the daemon's back (SupervisorTests).
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
    ]
)
