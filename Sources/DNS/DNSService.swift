// The DNS server on the reactor: UDP and TCP listeners on the addresses dnsmasq's options name, each
// packet answered by the DNSResponder from local data, or by the forwarder (cache, then upstreams).
import CStoep
import Glibc
import Reactor

public final class DNSService {
    public final class Counters {
        public var queries: UInt64 = 0
        public var queriesUDP: UInt64 = 0
        public var queriesTCP: UInt64 = 0
        public var local: UInt64 = 0
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
    public internal(set) var forwarder: DNSForwarder
    var querySink: DNSQueryLogSink?
    private var udp: [DNSUDPListener] = []
    private var tcp: [DNSTCPListener] = []
    public private(set) var addresses: [String] = []

    /// Builds the service for `settings` with `zone`, bound to its listen addresses.
    init(setup: DNSSetup, loop: EventLoop) throws {
        let settings = setup.settings
        self.settings = settings
        self.loop = loop
        let sink = DNSQueryLogSink(facility: settings.logFacility, fallback: loop.log)
        querySink = sink
        responder = DNSResponder(zone: setup.zone, settings: settings) { line in sink.line(line) }
        forwarder = DNSForwarder(settings: settings, resolvServers: setup.resolvServers, loop: loop,
                                 log: settings.logQueries == .off ? nil : { line in sink.line(line) })
        var binds: [(String, Bool)] = settings.listenAddresses.map { ($0.description, false) }
        if !settings.interfaces.isEmpty {
            // interface= binds each address of the named interfaces (loopback implied, as in dnsmasq);
            // stoep always binds addresses then, whether or not bind-interfaces is given.
            for a in InterfaceAddresses.of(settings.interfaces + ["lo"]) where !binds.contains(where: { $0.0 == a }) {
                binds.append((a, false))
            }
        }
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

    /// Flushes a query log kept in its own file (`log-facility=/path`); once per loop turn.
    public func flushQueryLog() { querySink?.flush() }

    /// The local zone answering now.
    public var zone: LocalZone { responder.zone }

    /// Replaces the local zone at once (reload, and later names published by the proxy).
    public func swapZone(_ zone: LocalZone) {
        responder.zone = zone
    }

    public func stop() {
        forwarder.stop()
        for u in udp { u.close() }
        for t in tcp { t.close() }
        udp = []
        tcp = []
    }

    enum Handling {
        case answer([UInt8])
        /// Not local: call `forward` with a closure that sends the answer when it comes.
        case forward(DNSQuery, limit: Int)
        case drop
    }

    /// Decides what to do with one message. Local answers come back at once (no closure allocated on
    /// that hot path); the rest goes through `forward`.
    func handle(_ packet: [UInt8], transport: DNSTransport, client: IPAddress?) -> Handling {
        counters.queries &+= 1
        switch responder.respond(to: packet, transport: transport, client: client) {
        case .answer(let bytes):
            counters.local &+= 1
            count(bytes)
            return .answer(bytes)
        case .forward(let query):
            return .forward(query, limit: responder.responseSizeLimit(for: query, transport: transport))
        case .drop:
            counters.dropped &+= 1
            return .drop
        }
    }

    /// Resolves a non-local query through the cache and the upstreams; `reply` gets the answer later.
    func forward(_ query: DNSQuery, limit: Int, reply: @escaping ([UInt8]) -> Void) {
        forwarder.resolve(query, limit: limit) { [unowned self] bytes in
            self.count(bytes)
            reply(bytes)
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
