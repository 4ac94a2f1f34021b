// stoep asking a question of its own, on the loop: the ACME server's address (no blocking getaddrinfo
// on the one thread) and the DNS-01 propagation check (is the TXT record visible yet?). One question to a
// list of servers, tried in order like the forwarder's default mode: each try is a DNSUpstreamAttempt
// (a fresh connected UDP socket, so a random source port; a random ID; the answer matched by ID and
// question), a timeout or a SERVFAIL/REFUSED moves to the next server, a truncated answer is asked
// again over TCP from the same server. NOERROR and NXDOMAIN are final.
import Reactor

public enum DNSLookupError: Error, Equatable, CustomStringConvertible {
    /// The name is not a valid domain name.
    case invalidName(String)
    /// No server to ask (an empty list, and /etc/resolv.conf names none).
    case noServers
    /// No server gave a usable answer: each server and why.
    case unanswered([String])
    /// `addresses(of:)`: the answers held no address (the rcode says why: NXDOMAIN, or NOERROR/NODATA).
    case noAddresses(host: String, rcode: DNSResponseCode)

    public var description: String {
        switch self {
        case .invalidName(let name): return "\"\(name)\" is not a domain name"
        case .noServers: return "no DNS server to ask (none given, none in /etc/resolv.conf)"
        case .unanswered(let why): return "no answer: \(why.joined(separator: "; "))"
        case .noAddresses(let host, let rcode):
            return rcode == .noError ? "\(host) has no address" : "\(host): \(rcode)"
        }
    }
}

public final class DNSLookup: DNSAttemptOwner {
    public typealias Completion = (Result<DNSLookupResult, DNSLookupError>) -> Void

    /// How long one server gets (over TCP, twice that) before the next is asked.
    public static let defaultTimeoutPerServer: UInt64 = 2_000_000_000

    public let question: DNSQuestion
    private let loop: EventLoop
    private let servers: [DNSUpstream]
    /// How each server is named in results and errors ("1.1.1.1:53", as it was given), by upstream.
    private let names: [ObjectIdentifier: String]
    private let timeout: UInt64
    private let packet: [UInt8]
    private var next = 0
    private var attempt: DNSUpstreamAttempt<DNSLookup>?
    private var why: [String] = []
    /// A SERVFAIL or REFUSED answer, returned when no server does better.
    private var fallback: DNSLookupResult?
    private var completion: Completion?
    /// The attempts' receive buffer (a datagram is read whole into it; TCP reads in pieces).
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    /// The lookup keeps itself alive until it completes or is cancelled: a caller need not hold it.
    private var running: DNSLookup?

    private init(question: DNSQuestion, servers: [(DNSUpstream, String)], timeout: UInt64, loop: EventLoop,
                 completion: @escaping Completion) {
        self.question = question
        self.servers = servers.map(\.0)
        names = Dictionary(servers.map { (ObjectIdentifier($0.0), $0.1) }, uniquingKeysWith: { a, _ in a })
        self.timeout = timeout
        self.loop = loop
        self.completion = completion
        packet = DNSLookupResult.query(for: question)
    }

    deinit { scratch.deallocate() }

    /// Asks `servers` (empty: the nameservers of /etc/resolv.conf) for `type` records of `name`.
    /// `completion` runs later on the loop, exactly once unless the lookup is cancelled.
    @discardableResult
    public static func query(_ name: String, type: DNSRecordType, servers: [DNSServerAddress] = [], loop: EventLoop,
                             timeoutPerServer: UInt64 = defaultTimeoutPerServer,
                             completion: @escaping Completion) -> DNSLookup? {
        let list = servers.isEmpty ? DNSServerAddress.system() : servers
        let upstreams = list.compactMap { s in DNSUpstream(ip: s.ip, port: s.port).map { ($0, s.description) } }
        guard let dnsName = try? DNSName(text: name) else {
            later(loop) { completion(.failure(.invalidName(name))) }
            return nil
        }
        guard !upstreams.isEmpty else {
            later(loop) { completion(.failure(.noServers)) }
            return nil
        }
        let lookup = DNSLookup(question: DNSQuestion(name: dnsName, type: type), servers: upstreams,
                               timeout: timeoutPerServer, loop: loop, completion: completion)
        lookup.running = lookup
        later(loop) { lookup.tryNext() }  // never calls back from inside this call
        return lookup
    }

    /// The IPv4 and IPv6 addresses of `host` (A and AAAA asked at once; the IPv4 ones first): for
    /// connecting to a server by name without getaddrinfo. An IP literal is its own answer.
    public static func addresses(of host: String, servers: [DNSServerAddress] = [], loop: EventLoop,
                                 timeoutPerServer: UInt64 = defaultTimeoutPerServer,
                                 completion: @escaping (Result<[IPAddress], DNSLookupError>) -> Void) {
        if let ip = IPAddress(host) {
            later(loop) { completion(.success([ip])) }
            return
        }
        var results: [DNSRecordType: Result<DNSLookupResult, DNSLookupError>] = [:]
        func collected(_ type: DNSRecordType, _ result: Result<DNSLookupResult, DNSLookupError>) {
            results[type] = result
            guard let v4 = results[.a], let v6 = results[.aaaa] else { return }
            let found = ((try? v4.get().addresses) ?? []) + ((try? v6.get().addresses) ?? [])
            if !found.isEmpty { return completion(.success(found)) }
            switch (v4, v6) {
            case (.success(let answer), _), (_, .success(let answer)):
                completion(.failure(.noAddresses(host: host, rcode: answer.rcode)))
            case (.failure(let error), _):
                completion(.failure(error))
            }
        }
        for type in [DNSRecordType.a, .aaaa] {
            query(host, type: type, servers: servers, loop: loop, timeoutPerServer: timeoutPerServer) { collected(type, $0) }
        }
    }

    /// Ends the lookup without calling back.
    public func cancel() {
        completion = nil
        attempt?.close()
        attempt = nil
        running = nil
    }

    // MARK: attempts

    private func tryNext() {
        guard completion != nil else { return }
        guard next < servers.count else {
            if let fallback { return finish(.success(fallback)) }
            return finish(.failure(.unanswered(why)))
        }
        let server = servers[next]
        next += 1
        launch(server, overTCP: false)
    }

    private func launch(_ server: DNSUpstream, overTCP: Bool) {
        let a = DNSUpstreamAttempt(upstream: server, overTCP: overTCP, pending: self, loop: loop, scratch: scratch)
        attempt = a
        a.start(packet, timeout: overTCP ? timeout * 2 : timeout)
    }

    func accept(_ response: [UInt8], from a: DNSUpstreamAttempt<DNSLookup>) -> Bool {
        guard completion != nil, a === attempt else { return false }
        let answer = DNSUpstreamAnswer(response, collectRecords: true)
        guard answer.matches(queryID: a.id, question: question) else { return false }  // stale or spoofed
        let server = name(a.upstream)
        a.close()
        attempt = nil
        if answer.isTruncated && !a.overTCP {
            launch(a.upstream, overTCP: true)
            return true
        }
        guard let result = DNSLookupResult(answer, server: server) else {
            why.append("\(server): malformed answer")
            tryNext()
            return true
        }
        if result.rcode == .serverFailure || result.rcode == .refused {
            why.append("\(server): \(result.rcode)")
            fallback = result
            tryNext()
            return true
        }
        finish(.success(result))
        return true
    }

    func attemptFailed(_ a: DNSUpstreamAttempt<DNSLookup>, _ failure: DNSAttemptFailure) {
        guard completion != nil, a === attempt else { return }
        attempt = nil
        why.append("\(name(a.upstream))\(a.overTCP ? " (TCP)" : ""): \(failure)")
        tryNext()
    }

    private func name(_ upstream: DNSUpstream) -> String { names[ObjectIdentifier(upstream)] ?? upstream.text }

    private func finish(_ result: Result<DNSLookupResult, DNSLookupError>) {
        guard let done = completion else { return }
        cancel()
        done(result)
    }

    /// Runs `body` in a later turn of the loop (a zero timer): completions never run inside the call
    /// that asked, so a caller's state is consistent when they come.
    private static func later(_ loop: EventLoop, _ body: @escaping () -> Void) {
        let t = Timer { _ in body() }
        loop.schedule(t, after: 0)
    }
}
