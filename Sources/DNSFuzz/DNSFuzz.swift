// libFuzzer entry point for the DNS packet path: every input goes through the same parse-and-answer code
// the UDP listener runs, against a zone with wildcard, host-record, CNAME and local-only data.
// `make fuzz` builds it with -sanitize=fuzzer and -D FUZZING (libFuzzer provides main); a plain build
// gets a small main that replays the files given as arguments (a regression run of a corpus).
import Config
import DNS
import Glibc

#if FUZZING
// SwiftPM links executables with `main` defined as `<target>_main`, so libFuzzer's own main is not used:
// this entry point hands the arguments to libFuzzer's driver instead.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@_cdecl("dns_fuzz_main")
func fuzzDriverMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var args = argv
    return LLVMFuzzerRunDriver(&count, &args) { data, size in
        guard let data else { return 0 }
        return fuzzOne(data, size)
    }
}
#else
@main
struct ReplayCorpus {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let f = fopen(path, "rb") else { continue }
            var bytes: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = fread(&buf, 1, buf.count, f)
                if n <= 0 { break }
                bytes += buf[0..<n]
            }
            fclose(f)
            _ = bytes.withUnsafeBufferPointer { fuzzOne($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
        }
    }
}
#endif

private func makeResponder() -> DNSResponder {
    let lines = [
        DNSOption(name: "address", value: "/fuzz.lan/10.0.0.1", file: "fuzz", line: 1),
        DNSOption(name: "address", value: "/v6.fuzz.lan/fd00::1", file: "fuzz", line: 2),
        DNSOption(name: "host-record", value: "host.lan,10.0.0.2,fd00::2", file: "fuzz", line: 3),
        DNSOption(name: "cname", value: "alias.lan,host.lan", file: "fuzz", line: 4),
        DNSOption(name: "local", value: "/local.lan/", file: "fuzz", line: 5),
    ]
    let settings = DNSOptions.parse(lines).settings
    let zone = (try? LocalZone(settings: settings)) ?? LocalZone.empty
    return DNSResponder(zone: zone, settings: settings)
}

nonisolated(unsafe) private let responder = makeResponder()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let packet = Array(UnsafeBufferPointer(start: data, count: size))
    for transport in [DNSTransport.udp, .tcp] {
        if case .answer(let reply) = responder.respond(to: packet, transport: transport) {
            // Never amplify: an answer to garbage is never larger than a valid answer could be.
            precondition(reply.count <= 65535)
            if case .failure = DNSQuery.parse(packet) { precondition(reply.count <= packet.count + 11 + 12) }
        }
    }
    _ = DNSUpstreamAnswer.shape(packet, for: probeQuery, limit: 512, advertisedUDPSize: 1232)
    return 0
}

nonisolated(unsafe) private let probeQuery: DNSQuery = {
    // A fixed valid query (A fuzz.lan, EDNS) for shaping fuzzed "upstream answers".
    let bytes: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
                          4, 0x66, 0x75, 0x7a, 0x7a, 3, 0x6c, 0x61, 0x6e, 0, 0, 1, 0, 1,
                          0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]
    guard case .success(let q) = DNSQuery.parse(bytes) else { fatalError("probe query does not parse") }
    return q
}()
