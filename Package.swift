// swift-tools-version:6.0
// stoep: one static binary for local DNS, a Traefik-compatible reverse proxy and live stats.
// Layers, one direction (docs/architecture.md draws the graph):
//   pure parsers, importing nothing but what they parse with: HTTP, JSON, Rules (HTTP + PCRE2)
//   PKI (keys, signatures, certificates on libcrypto): pure computation beside the parsers
//   CStoep, CStoepTLS (C shims) -> Reactor (the only importer of the shims, the only caller of the kernel)
//   Config (libyaml; reads its files through the Reactor's readWholeFile)
//   Reactor + parsers -> Stats, DNS, Proxy, Discovery -> stoep (CLI and wiring).
// No Foundation, no Dispatch, no Swift concurrency in Sources: they cost idle memory and start threads.
import PackageDescription

// Checked builds (-O): array bounds and integer overflow trap instead of corrupting memory on a hostile
// packet (issue 17). A hot loop that measurably needs unchecked access says so where it is written, with
// its bounds reasoning, and is fuzzed (docs/fuzzing.md); BENCHMARKS.md holds the cost measured.
//
// Dynamic exclusivity enforcement (the runtime's check that two accesses to one class property or global do
// not overlap) is off in release builds: it cost 17 % of the user-space instructions of a keep-alive request
// (swift_beginAccess / AccessSet::insert / swift_endAccess, BENCHMARKS.md "Session 8: exclusivity checks").
// An overlapping access is a bug in our code (a trap with the check, undefined without it); the check stays
// where the code runs under test: debug builds (`swift test`) and the fuzz build (STOEP_CHECKED_EXCLUSIVITY=1,
// set by `make fuzz`, which drives every parser with hostile input). Bounds and overflow checks stay on.
let exclusivity = Context.environment["STOEP_CHECKED_EXCLUSIVITY"] == nil ? ["-enforce-exclusivity=unchecked"] : []
let optimize: [SwiftSetting] = [.unsafeFlags(["-O", "-wmo"] + exclusivity, .when(configuration: .release))]
// The parser modules also publish their function bodies (cross-module optimisation), so the proxy's
// per-request calls into them (a rule matched against its request view, header scans) are specialised
// and inlined as they were when the parsers lived inside Proxy: no witness-table call per request.
let parser: [SwiftSetting] = [.unsafeFlags(["-O", "-wmo", "-cross-module-optimization"] + exclusivity,
                                           .when(configuration: .release))]

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
        // nghttp2 for HTTP/2 to clients (framing, HPACK, flow control; no I/O of its own), linked statically;
        // a session exists only per HTTP/2 connection (docs/dependencies.md).
        .systemLibrary(name: "CNGHTTP2", path: "Sources/CNGHTTP2"),
        // OpenSSL's libcrypto headers for what Swift calls directly (base64 for basicAuth and acme.json);
        // the library itself is CStoepTLS's static libcrypto (docs/dependencies.md).
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        // zlib, brotli's encoder and zstd for the compress middleware (gzip, br, zstd), linked statically; an
        // encoder's state exists only while a compressed response streams (docs/dependencies.md).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CBrotli", path: "Sources/CBrotli"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        // Keys, signatures, certificates and requests on OpenSSL's libcrypto (ACME, the community CA): pure
        // computation, no file, socket or loop. libcrypto is named here as well as by CStoepTLS so that
        // PKITests, which links nothing else, gets it; the linker takes each archive member once.
        .target(name: "PKI", dependencies: ["COpenSSL"], swiftSettings: optimize,
                linkerSettings: [.unsafeFlags(["-Xlinker", "-l:libcrypto.a"])]),
        // The pure parsers: bytes or text in, values out; no socket, no loop, no kernel.
        // HTTP/1.1 heads, the chunked decoder, the header writer, request-target paths (RFC 9112, 3986), and
        // the buffered response reader of stoep's own clients.
        .target(name: "HTTP", swiftSettings: parser),
        // JSON reader and writer (stats socket, Docker Engine API, Traefik's API).
        .target(name: "JSON", swiftSettings: parser),
        // Traefik's rule language (Host, PathPrefix, HostRegexp, ...) on PCRE2; matches what HTTP parsed.
        .target(name: "Rules", dependencies: ["HTTP", "CPCRE2"], swiftSettings: parser,
                linkerSettings: [.unsafeFlags(["-Xlinker", "-l:libpcre2-8.a"])]),
        // stoep's TOML, Traefik's TOML/YAML static and dynamic configuration, dnsmasq option lines.
        .target(name: "Config", dependencies: ["Reactor", "CYAML", "HTTP", "Rules"], swiftSettings: optimize,
                linkerSettings: [.unsafeFlags(["-Xlinker", "-l:libyaml.a"])]),
        .target(name: "Reactor", dependencies: ["CStoep", "CStoepTLS"], swiftSettings: optimize),
        .target(name: "Stats", dependencies: ["Reactor", "JSON"], swiftSettings: optimize),
        .target(name: "DNS", dependencies: ["Reactor", "Config", "Stats"], swiftSettings: optimize),
        .target(name: "Proxy", dependencies: ["Reactor", "Config", "Stats", "HTTP", "Rules", "JSON", "CCrypt", "COpenSSL", "PKI", "ACME",
                                              "HTTPClient", "CNGHTTP2", "CZlib", "CBrotli", "CZstd"],
                swiftSettings: optimize, linkerSettings: [.unsafeFlags(["-Xlinker", "-l:libcrypt.a", "-Xlinker", "-l:libnghttp2.a",
                                                                        "-Xlinker", "-l:libz.a", "-Xlinker", "-l:libbrotlienc.a",
                                                                        "-Xlinker", "-l:libbrotlicommon.a", "-Xlinker", "-l:libzstd.a"])]),
        // stoep's one HTTP client: a request on the loop (plain, TLS or a unix socket; each address in turn;
        // the answer whole or streamed) and the http(s) URL it is sent to. For the ACME client, DNS-01's
        // httpreq hook and the Docker Engine API.
        .target(name: "HTTPClient", dependencies: ["Reactor", "HTTP"], swiftSettings: optimize),
        // Providers of dynamic configuration: the Docker Engine API client on the loop (Traefik labels ->
        // routers) and Traefik's file provider.
        .target(name: "Discovery", dependencies: ["Reactor", "Config", "HTTP", "HTTPClient", "JSON", "Rules"], swiftSettings: optimize),
        // The ACME client (RFC 8555) on the loop: directory, nonces, account, orders, challenges handed to
        // solvers, finalize and download; one HTTPClient exchange at a time (docs/tls.md). DNS-01's
        // solvers use the DNS module's lookups (the propagation check) and Config's dnsChallenge.
        .target(name: "ACME", dependencies: ["Reactor", "HTTP", "HTTPClient", "JSON", "DNS", "Config", "PKI"], swiftSettings: optimize),
        // The cluster channel between the stoeps of a swarm (docs/cluster.md): mutual TLS against the cluster
        // CA, `GET /cluster/v1/<name>` served by handlers registered by name, peers from the Swarm listing.
        .target(name: "Cluster", dependencies: ["Reactor", "Config", "HTTP", "HTTPClient", "JSON", "PKI"], swiftSettings: optimize),
        .executableTarget(
            name: "stoep",
            dependencies: ["Reactor", "Config", "Stats", "DNS", "Proxy", "Discovery", "Rules", "JSON", "PKI", "Cluster"],
            swiftSettings: optimize,
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "-no-pie"], .when(configuration: .release))]
        ),
        // The parsers of untrusted input as libFuzzer targets (one file each) and the one executable that
        // runs the target STOEP_FUZZ_TARGET names: `make fuzz` (-sanitize=fuzzer,address), docs/fuzzing.md.
        .target(name: "FuzzTargets", dependencies: ["DNS", "Config", "HTTP", "JSON", "Rules", "Discovery", "Proxy",
                                                    "ACME", "PKI", "Reactor"], path: "Sources/Fuzz"),
        // Linked with GNU ld: gold stops with an internal error (format_file_lineno) on the sanitizer build.
        .executableTarget(name: "stoep-fuzz", dependencies: ["FuzzTargets"], path: "Sources/FuzzMain",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])],
                          linkerSettings: [.unsafeFlags(["-use-ld=bfd"])]),
        // What several test targets share (SplitMix64); a library, since test targets cannot import each other.
        .target(name: "TestSupport", dependencies: ["Reactor"], path: "Tests/TestSupport"),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "TestSupport"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "RulesTests", dependencies: ["Rules", "HTTP"]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "TestSupport"]),
        .testTarget(name: "StatsTests", dependencies: ["Stats", "JSON"]),
        .testTarget(name: "DNSTests", dependencies: ["DNS", "Config"]),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor"]),
        .testTarget(name: "ProxyTests", dependencies: ["Proxy", "HTTP", "HTTPClient", "JSON", "Rules", "PKI", "Reactor", "TestSupport"]),
        .testTarget(name: "PKITests", dependencies: ["PKI"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "HTTP", "Reactor", "TestSupport"]),
        .testTarget(name: "ACMETests", dependencies: ["ACME", "HTTPClient", "JSON", "PKI", "Config", "DNS", "Reactor"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "Config", "JSON", "PKI", "Reactor", "HTTPClient", "TestSupport"]),
        .testTarget(name: "DiscoveryTests", dependencies: ["Discovery", "Config", "Proxy", "JSON", "HTTPClient", "Reactor", "TestSupport"]),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets"]),
    ],
    swiftLanguageModes: [.v6]
)
