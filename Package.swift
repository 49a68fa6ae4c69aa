// swift-tools-version:6.2
import PackageDescription

#if canImport(Glibc)
import Glibc
#endif

/// Warnings are errors in our own targets only; dependencies are left alone. `any` is spelled
/// out for every existential, and a file imports every module whose members it uses.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Whether this machine links with packed relative relocations (DT_RELR): lld is on the PATH
/// (Swift's toolchains ship it) and glibc is 2.36 or later. A binary with them needs glibc 2.36
/// to start (lld marks it `GLIBC_ABI_DT_RELR`), so an older build host keeps the classic ones.
let packsRelocations: Bool = {
    #if canImport(Glibc)
    var text = [CChar](repeating: 0, count: 64)  // "glibc 2.36"
    guard confstr(Int32(_CS_GNU_LIBC_VERSION), &text, text.count) > 0 else { return false }
    let bytes = text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    let version =
        String(decoding: bytes, as: UTF8.self).split(separator: " ").last?.split(separator: ".")
        .compactMap { Int($0) } ?? []
    guard version.count >= 2, (version[0], version[1]) >= (2, 36) else { return false }
    let path = getenv("PATH").map { String(cString: $0) } ?? ""
    return path.split(separator: ":").contains { access("\($0)/ld.lld", X_OK) == 0 }
    #else
    return false
    #endif
}()

/// The functions the daemon runs, placed side by side (lld's `--symbol-ordering-file`, the list
/// `scripts/link-order.sh` writes): the kernel maps 64 KB around every code page a process
/// touches, and the 3 MB of functions `serve` runs were spread through 32 MB of machine code, so
/// most of it was resident in every daemon. A function the list does not name links as before;
/// a name it has that no longer exists is skipped without a warning.
let codeOrdering: [String] = {
    let list = Context.packageDirectory + "/scripts/link-order.txt"
    #if canImport(Glibc)
    guard access(list, R_OK) == 0 else { return [] }
    #endif
    return ["-Xlinker", "--symbol-ordering-file=\(list)", "-Xlinker", "--no-warn-symbol-ordering"]
}()

/// How the release daemon is linked on Linux: no symbol table exported for code loaded at run
/// time (the daemon loads none), and with lld and relative relocations packed where the build
/// host allows (`packsRelocations`). The statically linked binary's exported symbols (2.9 MB)
/// and relocations (3.6 MB; 30 KB packed) were read and kept resident by every process: `serve`
/// with two accounts fell from 43 to 40 MB of RSS without the symbols and to 37 MB with packed
/// relocations as well (README, "Where the memory goes"). `scripts/package.sh` makes the Debian
/// package depend on glibc 2.36 when the binary has them.
let releaseLinking: [LinkerSetting] = [
    .unsafeFlags(
        ["-Xlinker", "--no-export-dynamic"]
            + (packsRelocations ? ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"] + codeOrdering : []),
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
