// The DNS server on the reactor: UDP and TCP listeners on the addresses dnsmasq's options name, each
// packet answered by the DNSResponder from local data, or by the forwarder (cache, then upstreams).
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
        /// Connections closed at once because `maxConnections` were open (the per-listener cap).
        public var tcpRefused: UInt64 = 0
        public var byType: [UInt16: UInt64] = [:]
        public var byRcode: [UInt16: UInt64] = [:]
    }

    public internal(set) var settings: DNSSettings
    public let counters = Counters()
    let loop: EventLoop
    var responder: DNSResponder
    public internal(set) var forwarder: DNSForwarder
    /// Forwarders a reload replaced that still have queries in flight: they finish them (answer or time
    /// out, within the upstream timeout), then go. A reload loses no answer.
    var retiring: [DNSForwarder] = []
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
        for f in retiring { f.stop() }
        retiring = []
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

    /// Decides what to do with one message. Local answers and cache hits come back at once (no closure
    /// allocated on that hot path); the rest goes through `forward`.
    func handle(_ packet: [UInt8], transport: DNSTransport, client: IPAddress?) -> Handling {
        counters.queries &+= 1
        let query: DNSQuery
        switch DNSQuery.parse(packet) {
        case .failure(let rejection):
            guard let reply = rejection.reply else {
                counters.dropped &+= 1
                return .drop
            }
            counters.local &+= 1
            count(reply, type: rejection.questionType)
            return .answer(reply)
        case .success(let parsed):
            query = parsed
        }
        switch responder.answer(query, transport: transport, client: client) {
        case .answer(let bytes):
            counters.local &+= 1
            count(bytes, type: query.question.type)
            return .answer(bytes)
        case .forward(let query):
            let limit = responder.responseSizeLimit(for: query, transport: transport)
            if let bytes = forwarder.cachedAnswer(to: query, limit: limit) {
                count(bytes, type: query.question.type)
                return .answer(bytes)
            }
            return .forward(query, limit: limit)
        case .drop:
            counters.dropped &+= 1
            return .drop
        }
    }

    /// Resolves a non-local query the cache missed through the upstreams; `reply` gets the answer later.
    func forward(_ query: DNSQuery, limit: Int, reply: @escaping ([UInt8]) -> Void) {
        let type = query.question.type
        forwarder.forward(query, limit: limit) { [unowned self] bytes in
            self.count(bytes, type: type)
            reply(bytes)
        }
    }

    /// Counts a reply by rcode and by the type of the question it answers (nil: it echoes none).
    private func count(_ reply: [UInt8], type: DNSRecordType?) {
        guard reply.count >= DNSHeader.size else { return }
        counters.byRcode[UInt16(reply[3] & 0x0F), default: 0] &+= 1
        if let type { counters.byType[type.rawValue, default: 0] &+= 1 }
    }
}
