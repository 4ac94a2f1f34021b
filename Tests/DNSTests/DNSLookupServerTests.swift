// DNSLookup against a real dnsmasq on loopback, on both backends: a TXT record as the DNS-01 check asks
// for it, a server that never answers (the next one is asked), an answer too large for UDP (asked again
// over TCP), NXDOMAIN, and addresses(of:) for A and AAAA. dnsmasq runs as a ChildProcess of the test's loop.
import Glibc
import XCTest
@testable import DNS
@testable import Reactor

final class DNSLookupServerTests: XCTestCase {
    private static let backends: [BackendKind] = [.epoll, .ioUring]
    private static let bigText = String(repeating: "x", count: 250)

    /// A free UDP+TCP port on 127.0.0.1 (bound, read, released; dnsmasq binds it a moment later).
    private func freePort() throws -> UInt16 {
        let s = try DatagramSocket.bind(SocketAddress(host: "127.0.0.1", port: 0)!, packetInfo: false)
        defer { s.close() }
        let text = s.fd.localAddress!.description
        return UInt16(text.split(separator: ":").last!)!
    }

    /// Starts dnsmasq serving the test's records on `port`; `exited` runs when it has been reaped.
    private func dnsmasq(_ loop: EventLoop, port: UInt16, exited: @escaping () -> Void) throws -> ChildProcess {
        let arguments = ["--keep-in-foreground", "--conf-file=/dev/null", "--user=root", "--port=\(port)",
                         "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                         "--txt-record=_acme-challenge.x.test,abc",  // argv: no shell, no quotes
                         "--txt-record=big.test," + Array(repeating: Self.bigText, count: 6).joined(separator: ","),
                         "--host-record=both.test,10.1.2.3,fd00::7", "--local=/test/"]
        return try ChildProcess(path: "dnsmasq", arguments: arguments, timeoutNanos: 60_000_000_000, loop: loop) { _ in exited() }
    }

    /// Runs `loop` until `done` holds or 10 s pass.
    private func run(_ loop: EventLoop, until done: @escaping () -> Bool) throws {
        let deadline = Timer { _ in loop.stop() }
        loop.schedule(deadline, after: 10_000_000_000)
        var active = true
        loop.addTurnHook { if active && done() { loop.stop() } }
        try loop.run()
        active = false
        loop.cancel(deadline)
    }

    private func lookup(_ loop: EventLoop, _ name: String, _ type: DNSRecordType, _ servers: [DNSServerAddress],
                        timeout: UInt64 = 1_000_000_000) throws -> Result<DNSLookupResult, DNSLookupError> {
        var result: Result<DNSLookupResult, DNSLookupError>?
        DNSLookup.query(name, type: type, servers: servers, loop: loop, timeoutPerServer: timeout) { result = $0 }
        try run(loop) { result != nil }
        return try XCTUnwrap(result, "no completion for \(name)")
    }

    func testAgainstDnsmasq() throws {
        for backend in Self.backends {
            let loop = try EventLoop(backend: backend, log: Logger())
            let port = try freePort()
            let server = DNSServerAddress(ip: .v4(IPv4Address(127, 0, 0, 1)), port: port)
            var exited = false
            let child = try dnsmasq(loop, port: port) { exited = true }
            defer {
                child.kill()
                try? run(loop) { exited }
                XCTAssertTrue(exited, "\(backend): dnsmasq reaped")
            }
            // Until dnsmasq listens, the ICMP refusal fails the lookup at once.
            var first = try lookup(loop, "_acme-challenge.x.test", .txt, [server], timeout: 200_000_000)
            for _ in 0..<50 where (try? first.get()) == nil {
                sleepBlocking(nanoseconds: 50_000_000)
                first = try lookup(loop, "_acme-challenge.x.test", .txt, [server], timeout: 200_000_000)
            }
            let txt = try first.get()
            XCTAssertEqual(txt.rcode, .noError, "\(backend)")
            XCTAssertEqual(txt.texts, ["abc"], "\(backend)")
            XCTAssertEqual(txt.server, "127.0.0.1:\(port)", "\(backend)")

            // A server that never answers (a bound socket nobody reads) costs its timeout, then the next answers.
            let silent = try DatagramSocket.bind(SocketAddress(host: "127.0.0.1", port: 0)!, packetInfo: false)
            defer { silent.close() }
            let silentServer = try XCTUnwrap(DNSServerAddress(silent.fd.localAddress!.description))
            let started = monotonicNanos()
            let failover = try lookup(loop, "_acme-challenge.x.test", .txt, [silentServer, server], timeout: 300_000_000).get()
            XCTAssertEqual(failover.texts, ["abc"], "\(backend)")
            XCTAssertGreaterThanOrEqual(monotonicNanos() - started, 300_000_000, "\(backend)")

            // 1,500 bytes of TXT: truncated over UDP (1,232), whole over TCP.
            let big = try lookup(loop, "big.test", .txt, [server]).get()
            XCTAssertEqual(big.answers.first?.data, .text(Array(repeating: Self.bigText, count: 6)), "\(backend)")

            let nx = try lookup(loop, "missing.test", .txt, [server]).get()
            XCTAssertEqual(nx.rcode, .nameError, "\(backend)")
            XCTAssertEqual(nx.texts, [], "\(backend)")

            if case .failure(let e) = try lookup(loop, "x.test", .txt, [silentServer], timeout: 100_000_000) {
                XCTAssertEqual(e, .unanswered(["\(silentServer): no answer in time"]), "\(backend)")
            } else {
                XCTFail("\(backend): a silent server answered")
            }

            var addresses: Result<[IPAddress], DNSLookupError>?
            DNSLookup.addresses(of: "both.test", servers: [server], loop: loop) { addresses = $0 }
            try run(loop) { addresses != nil }
            XCTAssertEqual(try addresses?.get().map(\.description), ["10.1.2.3", "fd00::7"], "\(backend)")
            addresses = nil
            DNSLookup.addresses(of: "missing.test", servers: [server], loop: loop) { addresses = $0 }
            try run(loop) { addresses != nil }
            if case .failure(let e) = addresses {
                XCTAssertEqual(e, .noAddresses(host: "missing.test", rcode: .nameError), "\(backend)")
            } else {
                XCTFail("\(backend): \(String(describing: addresses))")
            }
        }
    }

    func testLiteralsAndBadNamesAnswerWithoutAServer() throws {
        let loop = try EventLoop(backend: .epoll, log: Logger())
        var addresses: Result<[IPAddress], DNSLookupError>?
        DNSLookup.addresses(of: "2001:db8::5", servers: [], loop: loop) { addresses = $0 }
        try run(loop) { addresses != nil }
        XCTAssertEqual(try addresses?.get(), [IPAddress("2001:db8::5")!])
        let bad = try lookup(loop, "a..b", .txt, [DNSServerAddress("127.0.0.1")!])
        XCTAssertEqual(bad.failureValue, .invalidName("a..b"))
    }
}

extension Result {
    var failureValue: Failure? { if case .failure(let e) = self { e } else { nil } }
}
