// The DNS packet path: every input goes through the same parse-and-answer code the UDP and TCP listeners
// run, against a zone with wildcard, host-record, CNAME and local-only data, and is read as an upstream's
// answer too (matching, shaping for a client).
import Config
import DNS

enum DNSPacketFuzz {
    nonisolated(unsafe) static let responder: DNSResponder = {
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
    }()

    /// A fixed valid query (A fuzz.lan, EDNS) for shaping fuzzed "upstream answers".
    static let probeQuery: DNSQuery = {
        let bytes: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
                              4, 0x66, 0x75, 0x7a, 0x7a, 3, 0x6c, 0x61, 0x6e, 0, 0, 1, 0, 1,
                              0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]
        guard case .success(let q) = DNSQuery.parse(bytes) else { fatalError("probe query does not parse") }
        return q
    }()

    @Sendable static func run(_ packet: [UInt8]) {
        for transport in [DNSTransport.udp, .tcp] {
            if case .answer(let reply) = responder.respond(to: packet, transport: transport) {
                // Never amplify: an answer to garbage is never larger than a valid answer could be.
                precondition(reply.count <= 65535)
                if case .failure = DNSQuery.parse(packet) { precondition(reply.count <= packet.count + 11 + 12) }
            }
        }
        let answer = DNSUpstreamAnswer(packet)
        _ = answer.matches(queryID: 0x1234, question: probeQuery.question)
        _ = answer.rcode
        _ = answer.shaped(for: probeQuery, limit: 512, advertisedUDPSize: 1232)
    }
}
