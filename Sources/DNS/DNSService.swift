// The DNS server on the reactor: UDP and TCP listeners on the addresses dnsmasq's options name, each
// packet answered by the DNSResponder from local data, or by the forwarder (cache, then upstreams).
import Reactor

public final class DNSService {
    public final class Counters {
        public var queries: UInt64 = 0
        public var queriesUDP: UInt64 = 0
        public var queriesTCP: UInt64 = 0
        public var local: UInt64 = 0
        /// Answered as blocked (a blocklist matched).
        public var blocked: UInt64 = 0
        public var dropped: UInt64 = 0
        public var sendErrors: UInt64 = 0
        public var tcpConnections: UInt64 = 0
        /// Ignored: from a client outside the box's subnets under local-service.
        public var nonLocal: UInt64 = 0
        /// Answered REFUSED by the per-client rate limit.
        public var rateLimited: UInt64 = 0
        /// Connections closed at once because `maxConnections` were open (the per-listener cap).
        public var tcpRefused: UInt64 = 0
        /// Answers by rcode (the header's 4 bits) and by question type, in arrays for the common types:
        /// counting an answer hashes nothing (issue 18). `byType` and `byRcode` give the tables.
        var rcodeCounts = [UInt64](repeating: 0, count: 16)
        var typeCounts = [UInt64](repeating: 0, count: 256)
        var otherTypeCounts: [UInt16: UInt64] = [:]

        /// Answers by question type (types never asked are absent).
        public var byType: [UInt16: UInt64] {
            var table = otherTypeCounts
            for (t, n) in typeCounts.enumerated() where n > 0 { table[UInt16(t)] = n }
            return table
        }

        /// Answers by rcode (rcodes never sent are absent).
        public var byRcode: [UInt16: UInt64] {
            var table: [UInt16: UInt64] = [:]
            for (code, n) in rcodeCounts.enumerated() where n > 0 { table[UInt16(code)] = n }
            return table
        }

        @inline(__always)
        func countAnswer(rcode: UInt8, type: UInt16?) {
            rcodeCounts[Int(rcode & 0x0F)] &+= 1
            guard let type else { return }
            if type < 256 { typeCounts[Int(type)] &+= 1 } else { otherTypeCounts[type, default: 0] &+= 1 }
        }
    }

    public internal(set) var settings: DNSSettings
    public let counters = Counters()
    /// Per-client counts and the top names, in fixed memory (`show dns-clients`).
    public let clientStatistics = DNSClientStatistics()
    let loop: EventLoop
    var responder: DNSResponder
    public internal(set) var forwarder: DNSForwarder
    /// Forwarders a reload replaced that still have queries in flight: they finish them (answer or time
    /// out, within the upstream timeout), then go. A reload loses no answer.
    var retiring: [DNSForwarder] = []
    var querySink: DNSQueryLogSink?
    private var udp: [DNSUDPListener] = []
    private var tcp: [DNSTCPListener] = []
    /// The names blocked now; replaced whole when a load finishes (the old set serves until then).
    public private(set) var blocklist = Blocklist()
    private var blocklistLoader: BlocklistLoader?
    /// Under local-service (nil: every client is answered).
    public private(set) var localNetworks: DNSLocalNetworks?
    private var rateLimiter: DNSRateLimiter?
    private var warnedNonLocal = false
    /// The inotify watcher the lists are watched with (nil: none; SIGHUP re-reads them).
    var watcher: FileWatcher?
    /// /etc/hosts and addn-hosts as read at load, and the watches on the hostsdir directories.
    var staticHostsFiles: [HostsFile] = []
    var hostsDirectoryWatches: [Int] = []
    /// Zones rebuilt after a hostsdir change (tests wait for the next one).
    public internal(set) var hostsDirectoryReloads: UInt64 = 0
    public private(set) var addresses: [String] = []

    /// Builds the service for `settings` with `zone`, bound to its listen addresses.
    init(setup: DNSSetup, loop: EventLoop, watcher: FileWatcher? = nil) throws {
        let settings = setup.settings
        self.settings = settings
        self.loop = loop
        self.watcher = watcher
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
        if binds.isEmpty && settings.effectiveLocalService == .host {
            binds = [("127.0.0.1", false), ("::1", false)]  // dnsmasq's local-service=host: the lo interface
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
        startBlocklists()
        watchHostsDirectories(setup)
        applyClientPolicy()
    }

    /// local-service and the rate limit for the current settings; the box's subnets are read now (at start
    /// and on every reload; dnsmasq follows interface changes as they happen).
    func applyClientPolicy() {
        localNetworks = settings.effectiveLocalService == nil ? nil : DNSLocalNetworks.ofInterfaces()
        rateLimiter = DNSRateLimiter(count: settings.rateLimitCount, intervalSeconds: settings.rateLimitIntervalSeconds)
        warnedNonLocal = false
    }

    /// Starts loading the block and allow lists of `settings` (none: no blocking); the list in use keeps
    /// serving until the new one is complete.
    func startBlocklists() {
        blocklistLoader?.stop()
        blocklistLoader = nil
        guard !settings.blocklists.isEmpty else {
            blocklist = Blocklist()
            return
        }
        let sources = settings.blocklists.map { BlocklistLoader.Source(path: $0, allowlist: false) }
            + settings.allowlists.map { BlocklistLoader.Source(path: $0, allowlist: true) }
        let loader = BlocklistLoader(sources: sources, loop: loop, log: loop.log) { [unowned self] list, summary in
            self.blocklist = list
            self.blocklistLoads &+= 1
            self.loop.log.info(summary)
        }
        blocklistLoader = loader
        loader.start(watcher: watcher)
    }

    /// Lists loaded so far (tests and the stats page wait for the next one after a change).
    public private(set) var blocklistLoads: UInt64 = 0

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
        unwatchHostsDirectories()
        blocklistLoader?.stop()
        blocklistLoader = nil
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
    /// allocated on that hot path); the rest goes through `forward`. `packet` is normally `buffers.query`;
    /// the question's name is read into `buffers.name`, and local and cached answers are written into
    /// `buffers.answer`: give such an answer back with `buffers.recycle` once it is sent, and a steady
    /// stream of them allocates nothing (issue 18). A query to forward comes back with bytes of its own.
    func handle(_ packet: [UInt8], transport: DNSTransport, client: IPAddress?,
                buffers: inout DNSAnswerBuffers) -> Handling {
        counters.queries &+= 1
        if let localNetworks, let client, !localNetworks.contains(client) {
            counters.nonLocal &+= 1
            if !warnedNonLocal {
                warnedNonLocal = true
                loop.log.warning("dns: ignoring query from non-local network \(client) (local-service; name the addresses to "
                                 + "serve with listen-address= to answer other networks)")
            }
            return .drop
        }
        let query: DNSQuery
        switch DNSQuery.parse(packet, nameStorage: &buffers.name) {
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
        if let client, !client.isLoopback, case .refuse(let first)? = rateLimiter?.check(client, now: loop.now) {
            if let seconds = first {
                loop.log.info("Rate-limiting \(client) for at least \(seconds) second\(seconds == 1 ? "" : "s")")
            }
            counters.rateLimited &+= 1
            clientStatistics.record(client: client, name: query.question.name, outcome: .limited)
            let reply = DNSErrorResponse.make(to: query, rcode: .refused, advertisedUDPSize: UInt16(clamping: settings.ednsPacketMax))
            count(reply, type: query.question.type)
            return .answer(reply)
        }
        switch responder.answer(query, transport: transport, client: client, buffers: &buffers) {
        case .answer(let bytes):
            counters.local &+= 1
            clientStatistics.record(client: client, name: query.question.name, outcome: .local)
            count(bytes, type: query.question.type)
            return .answer(bytes)
        case .forward(let query):
            if !blocklist.isEmpty, query.question.recordClass == DNSQuestion.classIN || query.question.recordClass == DNSQuestion.classANY,
               blocklist.blocks(query.question.name) {
                counters.blocked &+= 1
                clientStatistics.record(client: client, name: query.question.name, outcome: .blocked)
                let bytes = responder.blockedAnswer(to: query, transport: transport, mode: settings.blockMode,
                                                    ttl: settings.blockTTL, reusing: buffers.takeAnswer())
                count(bytes, type: query.question.type)
                return .answer(bytes)
            }
            let limit = responder.responseSizeLimit(for: query, transport: transport)
            if let bytes = forwarder.cachedAnswer(to: query, limit: limit, buffers: &buffers) {
                clientStatistics.record(client: client, name: query.question.name, outcome: .cached)
                count(bytes, type: query.question.type)
                return .answer(bytes)
            }
            clientStatistics.record(client: client, name: query.question.name, outcome: .forwarded)
            // It waits for an upstream: it must not hold the listener's buffers (DNSAnswerBuffers).
            return .forward(query.owningItsBytes(), limit: limit)
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
        counters.countAnswer(rcode: reply[3], type: type?.rawValue)
    }
}
