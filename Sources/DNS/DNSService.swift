// The DNS server on the reactor: UDP and TCP listeners on the addresses dnsmasq's options name, each
// packet answered by the DNSResponder. Forwarding is not built yet: a query that is not local is
// answered REFUSED, as dnsmasq does when it has no usable upstream.
import CStoep
import Glibc
import Reactor

public final class DNSService {
    public final class Counters {
        public var queries: UInt64 = 0
        public var queriesUDP: UInt64 = 0
        public var queriesTCP: UInt64 = 0
        public var local: UInt64 = 0
        public var refused: UInt64 = 0
        public var dropped: UInt64 = 0
        public var sendErrors: UInt64 = 0
        public var tcpConnections: UInt64 = 0
        public var byType: [UInt16: UInt64] = [:]
        public var byRcode: [UInt16: UInt64] = [:]
    }

    public internal(set) var settings: DNSSettings
    public let counters = Counters()
    let loop: EventLoop
    var responder: DNSResponder
    private var udp: [DNSUDPListener] = []
    private var tcp: [DNSTCPListener] = []
    public private(set) var addresses: [String] = []

    /// Builds the service for `settings` with `zone`, bound to its listen addresses.
    init(settings: DNSSettings, zone: LocalZone, loop: EventLoop) throws {
        self.settings = settings
        self.loop = loop
        let log = loop.log
        responder = DNSResponder(zone: zone, settings: settings) { line in log.raw(line) }
        var binds: [(String, Bool)] = settings.listenAddresses.map { ($0.description, false) }
        if binds.isEmpty { binds = [("0.0.0.0", true), ("::", true)] }  // dnsmasq's default: every interface
        do {
            for (host, wildcard) in binds {
                guard let addr = SocketAddress(host: host, port: settings.port) else { continue }
                udp.append(try DNSUDPListener(address: addr, packetInfo: wildcard, service: self))
                tcp.append(try DNSTCPListener(address: addr, service: self))
                addresses.append(addr.description)
            }
        } catch {
            stop()
            throw error
        }
    }

    /// One line for the status page.
    public var summary: String {
        "\(addresses.joined(separator: ", ")), \(counters.queries) queries"
    }

    var logsQueries: Bool { responder.log != nil }

    /// Replaces the local zone at once (reload, and later names published by the proxy).
    public func swapZone(_ zone: LocalZone) {
        responder.zone = zone
    }

    public func stop() {
        for u in udp { u.close() }
        for t in tcp { t.close() }
        udp = []
        tcp = []
    }

    /// Decides the answer to one message; nil means send nothing.
    func handle(_ packet: [UInt8], transport: DNSTransport, client: IPAddress?) -> [UInt8]? {
        counters.queries &+= 1
        switch responder.respond(to: packet, transport: transport, client: client) {
        case .answer(let bytes):
            counters.local &+= 1
            count(bytes)
            return bytes
        case .forward(let query):
            counters.refused &+= 1
            let bytes = responder.refused(query)
            count(bytes)
            return bytes
        case .drop:
            counters.dropped &+= 1
            return nil
        }
    }

    /// Counts the reply by rcode and question type (read from the reply's question section).
    private func count(_ reply: [UInt8]) {
        guard reply.count >= 12 else { return }
        counters.byRcode[UInt16(reply[3] & 0x0F), default: 0] &+= 1
        var i = 12
        while i < reply.count, reply[i] != 0 {
            if reply[i] & 0xC0 == 0xC0 { i += 1; break }
            i += Int(reply[i]) + 1
        }
        if i + 2 < reply.count && UInt16(reply[4]) << 8 | UInt16(reply[5]) > 0 {
            counters.byType[UInt16(reply[i + 1]) << 8 | UInt16(reply[i + 2]), default: 0] &+= 1
        }
    }
}

extension IPAddress {
    /// The client address of a datagram or connection, from its socket address text ("ip:port", "[ip]:port").
    static func fromPeer(_ text: String) -> IPAddress? {
        var host = Substring(text)
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        return IPAddress(String(host))
    }
}
