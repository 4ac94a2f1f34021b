// The cluster channel on real loopback sockets, once per backend: a node asks itself over mutual TLS
// (its own leaf from the cluster CA on both ends), a name nobody registered is a 404 failure, a peer that
// never answers is a failure within the timeout (never a hang), and clients without a certificate the
// cluster CA signed — none at all, or one of another CA — are refused by the handshake.
import Cluster
import Config
import HTTPClient
import JSON
import PKI
import Reactor
import TestSupport
import XCTest

final class ClusterChannelTests: XCTestCase {
    private static let backends: [BackendKind] = [.epoll, .ioUring]

    private func run(_ loop: EventLoop, seconds: Double = 5, until done: @escaping () -> Bool) throws {
        try runLoop(loop, seconds: seconds, until: done)
    }

    /// A CA in a file of its own; removed by the caller.
    private func caFile(_ name: String) throws -> (path: String, ca: ClusterCA) {
        let ca = try XCTUnwrap(ClusterCA.create(now: Int64(wallClockSeconds())))
        let path = "/tmp/stoep-cluster-\(getpid())-\(name).pem"
        try writeFileAtomically(path: path, bytes: ca.pem, durable: false)
        return (path, ca)
    }

    /// Swarm listing JSON naming `addresses` as running tasks of service "edge_stoep" on network "comm".
    private func listing(_ addresses: [String]) throws -> (JSONValue, JSONValue, JSONValue) {
        let tasks = addresses.enumerated().map { i, a in
            "{\"ID\":\"t\(i)\",\"ServiceID\":\"s\",\"NodeID\":\"node\(i)\",\"Status\":{\"State\":\"running\"},"
                + "\"NetworksAttachments\":[{\"Network\":{\"ID\":\"n\"},\"Addresses\":[\"\(a)/8\"]}]}"
        }
        return (try JSONParser.parse(Array("[{\"Name\":\"comm\",\"Id\":\"n\"}]".utf8)),
                try JSONParser.parse(Array("[{\"ID\":\"s\",\"Spec\":{\"Name\":\"edge_stoep\"}}]".utf8)),
                try JSONParser.parse(Array(("[" + tasks.joined(separator: ",") + "]").utf8)))
    }

    /// Holds accepted connections and never answers: a peer that hangs.
    private final class SilentPeer: AcceptHandler {
        var held: [FileDescriptor] = []
        func accepted(fd: FileDescriptor) { held.append(fd) }
        func close() { for fd in held { fd.close() } }
    }

    private func channel(loop: EventLoop, caPath: String, timeout: Double = 0.5) throws -> ClusterChannel {
        var settings = ClusterSettings(address: HostPort(host: "127.0.0.1", port: 0, isIPv6: false),
                                       location: SourceLocation(file: "test", line: 1, column: 1))
        settings.caPath = caPath
        settings.service = "edge_stoep"
        settings.timeout = timeout
        let c = try ClusterChannel(settings: settings, network: "comm", nodeName: "node-under-test", loop: loop)
        c.register("stats") { request in .json(Array("{\"asked\":\"\(request.name)\",\"query\":\"\(request.query)\"}".utf8)) }
        try c.start()
        return c
    }

    func testANodeAsksItselfAndAHangingPeerIsDownWithinTheTimeout() throws {
        let (path, _) = try caFile("fetch")
        defer { unlink(path) }
        for backend in Self.backends {
            let loop = try EventLoop(backend: backend, log: Logger())
            let c = try channel(loop: loop, caPath: path)
            defer { c.stop() }
            let port = try XCTUnwrap(c.server.localAddress?.port)
            let silent = SilentPeer()
            let hanging = try Listener.tcp(try XCTUnwrap(SocketAddress(host: "127.0.0.2", port: port)), loop: loop, handler: silent)
            defer { hanging.close(); silent.close() }
            let (n, s, t) = try listing(["127.0.0.1", "127.0.0.2"])
            c.updatePeers(networks: n, services: s, tasks: t)
            XCTAssertEqual(c.peers.map(\.address), ["127.0.0.1", "127.0.0.2"])
            XCTAssertTrue(c.isSelf(c.peers[0]))
            XCTAssertFalse(c.isSelf(c.peers[1]))

            var answers: [ClusterAnswer]?
            let started = monotonicNanos()
            c.fetchAll("stats", query: "x=1") { answers = $0 }
            try run(loop) { answers != nil }
            let elapsed = monotonicNanos() &- started
            let all = try XCTUnwrap(answers, "\(backend)")
            XCTAssertEqual(all.count, 2)
            let body = try all[0].result.get()
            XCTAssertEqual(try JSONParser.parse(body)["asked"]?.stringValue, "stats", "\(backend)")
            XCTAssertEqual(try JSONParser.parse(body)["query"]?.stringValue, "x=1")
            XCTAssertTrue(all[0].isSelf)
            guard case .failure(let why) = all[1].result else { return XCTFail("\(backend): the silent peer answered") }
            XCTAssertTrue(why.description.contains("no complete answer"), why.description)
            XCTAssertLessThan(elapsed, 2_000_000_000, "\(backend): bounded by the 0.5 s timeout")

            var missing: Result<[UInt8], ClusterFetchError>?
            c.fetch("certificates", from: c.peers[0]) { missing = $0 }
            try run(loop) { missing != nil }
            guard case .failure(let notFound)? = missing else { return XCTFail("\(backend): \(String(describing: missing))") }
            XCTAssertTrue(notFound.description.hasPrefix("status 404: no handler named \"certificates\""), notFound.description)
            XCTAssertEqual(c.server.handlerNames, ["stats"])
        }
    }

    func testClientsWithoutTheClusterCAsCertificateAreRefused() throws {
        let (path, ca) = try caFile("refuse")
        defer { unlink(path) }
        let other = try XCTUnwrap(ClusterCA.create(now: Int64(wallClockSeconds())))
        for backend in Self.backends {
            let loop = try EventLoop(backend: backend, log: Logger())
            let c = try channel(loop: loop, caPath: path)
            defer { c.stop() }
            let address = try XCTUnwrap(c.server.localAddress)
            // No client certificate at all, trusting the right CA.
            let anonymous = try TLSClientContext(trustingOnly: ca.certificatePEM)
            // A certificate from another cluster CA.
            let stranger = try TLSClientContext(trustingOnly: ca.certificatePEM)
            let key = try XCTUnwrap(PrivateKey.generate(.ec256))
            let leaf = try XCTUnwrap(other.issueNodeCertificate(nodeName: "stranger", key: key, lifetimeSeconds: 3600, now: Int64(wallClockSeconds())))
            try stranger.useCertificate(try TLSCertificate.load(certificatePEM: leaf, keyPEM: key.pem, source: "stranger").get())
            for (name, context) in [("no certificate", anonymous), ("another CA", stranger)] {
                var result: Result<HTTPClientResponse, HTTPClientError>?
                HTTPClientExchange.start(loop: loop, to: [.ip(address)], tls: (context, ClusterCA.peerName),
                                         request: HTTPClientRequest(.get, target: "/cluster/v1/stats", host: ClusterCA.peerName),
                                         timeout: 2_000_000_000, body: .whole(limit: 1 << 16)) { result = $0 }
                try run(loop) { result != nil }
                switch result {
                case .success(let r)?: XCTFail("\(backend) \(name): answered \(r.status)")
                case .failure(let e)?: XCTAssertFalse(e.reason.contains("no complete answer"), "\(backend) \(name): refused, not timed out: \(e)")
                case nil: XCTFail("\(backend) \(name): no result")
                }
            }
            XCTAssertGreaterThanOrEqual(c.server.refusedHandshakes, 2, "\(backend)")
        }
    }

    func testTheCAFileIsCheckedAtStart() throws {
        let loop = try EventLoop(backend: .epoll, log: Logger())
        XCTAssertThrowsError(try channel(loop: loop, caPath: "/nonexistent/ca.pem")) { error in
            XCTAssertTrue("\(error)".contains("cannot read"), "\(error)")
        }
        let path = "/tmp/stoep-cluster-\(getpid())-certonly.pem"
        defer { unlink(path) }
        let ca = try XCTUnwrap(ClusterCA.create(now: Int64(wallClockSeconds())))
        try writeFileAtomically(path: path, bytes: ca.certificatePEM, durable: false)
        XCTAssertThrowsError(try channel(loop: loop, caPath: path)) { error in
            XCTAssertTrue("\(error)".contains("no PEM private key"), "\(error)")
        }
        XCTAssertEqual(try ClusterCA.read(pem: ca.pem).get().fingerprint, ca.fingerprint)
    }
}
