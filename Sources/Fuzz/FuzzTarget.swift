// The parsers of untrusted input, each as a libFuzzer target: a name (the corpus directory under
// tests/fuzz/<name>), the entry point that pushes one input through the same parser calls stoep makes, and,
// where flipping bytes cannot reach the interesting states, a structure-aware mutator. The `stoep-fuzz`
// executable picks one by name (`make fuzz`, docs/fuzzing.md); FuzzTests replays every seed through `run`.
// A target checks the parser's own contracts with `precondition`, so a broken contract is a crash too.

public struct FuzzTarget: Sendable {
    public let name: String
    public let run: @Sendable ([UInt8]) -> Void
    /// Rebuilds an input from its parts: (input, a random seed, the size limit, libFuzzer's byte mutator).
    public let mutate: (@Sendable ([UInt8], UInt64, Int, ([UInt8]) -> [UInt8]) -> [UInt8])?

    public init(_ name: String, run: @escaping @Sendable ([UInt8]) -> Void,
                mutate: (@Sendable ([UInt8], UInt64, Int, ([UInt8]) -> [UInt8]) -> [UInt8])? = nil) {
        self.name = name
        self.run = run
        self.mutate = mutate
    }

    public static let all: [FuzzTarget] = [
        FuzzTarget("dns", run: DNSPacketFuzz.run, mutate: DNSMessageMutator.mutate),
        FuzzTarget("http-request", run: HTTPRequestHeadFuzz.run, mutate: HeadMutator.mutate),
        FuzzTarget("http-response", run: HTTPResponseHeadFuzz.run, mutate: HeadMutator.mutate),
        FuzzTarget("chunked", run: ChunkedDecoderFuzz.run),
        FuzzTarget("client-hello", run: ClientHelloFuzz.run),
        FuzzTarget("rule", run: RuleFuzz.run),
        FuzzTarget("docker-labels", run: DockerLabelsFuzz.run),
        FuzzTarget("docker-api", run: DockerAPIFuzz.run),
        FuzzTarget("json", run: JSONFuzz.run),
        FuzzTarget("toml", run: TOMLFuzz.run),
        FuzzTarget("yaml", run: YAMLFuzz.run),
        FuzzTarget("dnsmasq-conf", run: DnsmasqConfFuzz.run),
        FuzzTarget("acme-json", run: ACMEStorageFuzz.run),
        FuzzTarget("pem", run: PEMFuzz.run),
        FuzzTarget("h2-frames", run: HTTP2FrameFuzz.run),
    ]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// The random source the mutators draw from (SplitMix64: tiny, and reproducible from libFuzzer's seed).
struct FuzzRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}
