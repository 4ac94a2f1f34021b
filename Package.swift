// swift-tools-version:6.0
// stoep: one static binary for local DNS, a Traefik-compatible reverse proxy and live stats.
// Layers, one direction: CStoep -> Reactor -> Config/Stats/DNS/Proxy -> stoep (see docs/architecture.md).
// No Foundation, no Dispatch, no Swift concurrency in Sources: they cost idle memory and start threads.
import PackageDescription

let optimize: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "stoep",
    targets: [
        // The thin C shim: liburing's inline helpers, splice, fcntl and friends Swift cannot call directly.
        .target(
            name: "CStoep",
            linkerSettings: [.unsafeFlags(["-Xlinker", "-l:liburing.a"])]
        ),
        // The OpenSSL glue (TLS transport), linked statically; contexts are created only when TLS is configured.
        .target(
            name: "CStoepTLS",
            linkerSettings: [.unsafeFlags(["-Xlinker", "-l:libssl.a", "-Xlinker", "-l:libcrypto.a"])]
        ),
        // PCRE2-8 for Traefik's regex matchers, linked statically (+0.55 MB idle against +2.45 MB for Swift
        // Regex: docs/dependencies.md).
        .systemLibrary(name: "CPCRE2", path: "Sources/CPCRE2"),
        // libyaml for Traefik's .yml files, linked statically (+0.3 MB, only when a YAML file is read).
        .systemLibrary(name: "CYAML", path: "Sources/CYAML"),
        // libxcrypt for basicAuth's bcrypt hashes ($2y$), linked statically.
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt"),
        .target(name: "Reactor", dependencies: ["CStoep", "CStoepTLS"], swiftSettings: optimize),
        .target(name: "Config", dependencies: ["Reactor", "CYAML"], swiftSettings: optimize,
                linkerSettings: [.unsafeFlags(["-Xlinker", "-l:libyaml.a"])]),
        .target(name: "Stats", dependencies: ["Reactor"], swiftSettings: optimize),
        .target(name: "DNS", dependencies: ["Reactor", "Stats"], swiftSettings: optimize),
        .target(name: "Proxy", dependencies: ["Reactor", "Config", "Stats", "CPCRE2", "CCrypt"], swiftSettings: optimize,
                linkerSettings: [.unsafeFlags(["-Xlinker", "-l:libpcre2-8.a", "-Xlinker", "-l:libcrypt.a"])]),
        // Docker provider: Engine API client on the loop, Traefik labels -> dynamic configuration.
        .target(name: "Discovery", dependencies: ["Reactor", "Config", "Stats"], swiftSettings: optimize),
        .executableTarget(
            name: "stoep",
            dependencies: ["Reactor", "Config", "Stats", "DNS", "Proxy", "Discovery"],
            swiftSettings: optimize,
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "-no-pie"], .when(configuration: .release))]
        ),
        // libFuzzer target for the DNS packet path: `make fuzz` (swift build -Xswiftc -sanitize=fuzzer).
        .executableTarget(name: "dns-fuzz", dependencies: ["DNS"], path: "Sources/DNSFuzz",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .testTarget(name: "ConfigTests", dependencies: ["Config"]),
        .testTarget(name: "StatsTests", dependencies: ["Stats"]),
        .testTarget(name: "DNSTests", dependencies: ["DNS"]),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor"]),
        .testTarget(name: "ProxyTests", dependencies: ["Proxy"]),
        .testTarget(name: "DiscoveryTests", dependencies: ["Discovery", "Config", "Proxy", "Stats"]),
    ],
    swiftLanguageModes: [.v6]
)
