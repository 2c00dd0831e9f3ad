// swift-tools-version:6.1
// Waypost: a peer-to-peer, offline-first sync node for case files and service directories.

import PackageDescription

/// Upcoming features every target builds with (see STYLE.md: "Public API").
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Waypost",
    products: [
        .executable(name: "waypost", targets: ["waypost"]),
        .library(name: "WaypostCore", targets: ["WaypostCore"]),
        .library(name: "WaypostStore", targets: ["WaypostStore"]),
        .library(name: "WaypostBundle", targets: ["WaypostBundle"]),
        .library(name: "WaypostNode", targets: ["WaypostNode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // The pure merge core: clocks, versions, schema, CRDT rules. Standard library only.
        .target(name: "WaypostCore"),

        // libsodium, as the Debian package ships it.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        // prctl(2), which Swift cannot call directly (it is variadic).
        .systemLibrary(name: "CProcessControl"),
        // Keys and randomness behind a small Swift API.
        .target(name: "WaypostCrypto", dependencies: ["CSodium", "CProcessControl", "WaypostCore"]),

        // Hash chains, signatures, certificates and who is trusted.
        .target(name: "WaypostTrust", dependencies: ["WaypostCore", "WaypostCrypto"]),

        // The bundle file format: frames, and the encrypted, signed container around them. Bytes in, bytes out.
        .target(name: "WaypostBundle", dependencies: ["WaypostCore", "WaypostCrypto", "WaypostTrust"]),

        // The SQLite replica.
        .target(
            name: "WaypostStore",
            dependencies: [
                "WaypostCore", "WaypostCrypto", "WaypostTrust",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),

        // A node's home directory: identity, replica, peers, bundles.
        .target(
            name: "WaypostNode",
            dependencies: ["WaypostCore", "WaypostCrypto", "WaypostTrust", "WaypostBundle", "WaypostStore"]
        ),

        // The sync protocol without sockets: handshake, channel, messages, backoff. Bytes in, bytes out.
        .target(name: "WaypostSync", dependencies: ["WaypostCore", "WaypostCrypto"]),

        // Live sync over TCP with SwiftNIO: `serve` and `sync`.
        .target(
            name: "WaypostNet",
            dependencies: [
                "WaypostCore", "WaypostCrypto", "WaypostTrust", "WaypostBundle", "WaypostStore", "WaypostNode", "WaypostSync",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The command-line interface: argument parsing and printing only.
        .executableTarget(
            name: "waypost",
            dependencies: [
                "WaypostCore", "WaypostNode", "WaypostStore", "WaypostBundle", "WaypostSync", "WaypostNet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Scripts/bench: Waypost against the ceiling of its storage engine (issue #5).
        .executableTarget(
            name: "waypost-bench",
            dependencies: [
                "WaypostCore", "WaypostCrypto", "WaypostTrust", "WaypostBundle", "WaypostStore", "WaypostNode", "WaypostNet",
                "WaypostSync",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // What the test suites share: a seeded generator for randomised tests.
        .target(name: "WaypostTesting"),

        .testTarget(name: "WaypostCoreTests", dependencies: ["WaypostCore", "WaypostTesting"]),
        .testTarget(
            name: "WaypostBundleTests",
            dependencies: ["WaypostCore", "WaypostCrypto", "WaypostTrust", "WaypostBundle", "WaypostTesting"]),
        .testTarget(
            name: "WaypostStoreTests",
            dependencies: [
                "WaypostCore", "WaypostCrypto", "WaypostTrust", "WaypostStore", "WaypostTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(name: "WaypostCryptoTests", dependencies: ["WaypostCore", "WaypostCrypto"]),
        .testTarget(name: "WaypostSyncTests", dependencies: ["WaypostCore", "WaypostCrypto", "WaypostSync", "WaypostTesting"]),
        // The transport's channel handlers and tables, without sockets (NIO's EmbeddedChannel).
        .testTarget(
            name: "WaypostNetTests",
            dependencies: [
                "WaypostCore", "WaypostCrypto", "WaypostTrust", "WaypostSync", "WaypostNet",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]),
        .testTarget(
            name: "WaypostCLITests",
            dependencies: [
                "WaypostCore", "WaypostCrypto", "WaypostTrust", "WaypostStore", "WaypostNode", "WaypostSync", "waypost",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + strictSettings
}
