// The relay on real loopback sockets, once per backend, driven by a real EventLoop in this thread.
import Glibc
import XCTest
@testable import Reactor

final class RelayTests: XCTestCase {
    /// A connected TCP pair on loopback (client side, server side), both non-blocking.
    private func tcpPair() throws -> (Int32, Int32) {
        let addr = SocketAddress(host: "127.0.0.1", port: 0)!
        let l = try Socket.listenTCP(addr)
        defer { closeDescriptor(l) }
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(l, $0, &len) } }
        let c = try Socket.connectTCP(SocketAddress(storage: ss, length: len))
        var s: Int32 = -1
        for _ in 0..<1000 where s < 0 {
            s = accept(l, nil, nil)
            if s < 0 { usleep(1000) }
        }
        _ = fcntl(s, F_SETFL, O_NONBLOCK)
        return (c, s)
    }

    private func run(backend: BackendKind) throws {
        let log = Logger()
        let loop = try EventLoop(backend: backend, log: log)
        let pool = PipePool(size: 64 * 1024, limit: 4)
        let counters = RelayCounters()
        let (clientOuter, clientInner) = try tcpPair()   // test <-> relay side a
        let (upInner, upOuter) = try tcpPair()           // relay side b <-> test
        var ended: Relay.End?
        let relay = Relay(id: 1, loop: loop, pool: pool, counters: counters,
                          a: PlainTransport(fd: clientInner), b: PlainTransport(fd: upInner),
                          connecting: false, idleTimeout: 5_000_000_000,
                          seedUp: Array("seed:".utf8))
        relay.onEnd = { _, e in ended = e; loop.stop() }
        relay.start(connectTimeout: 1_000_000_000)
        let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var sent = 0, received: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        var upDone = false, downDone = false, shut = false
        // Interleave: the test writes to the client side and reads on the upstream side between turns.
        let pump = Timer { _ in }
        var turns = 0
        loop.addTurnHook {
            turns += 1
            if sent < payload.count {
                let n = payload.withUnsafeBytes { send(clientOuter, $0.baseAddress! + sent, min(32768, payload.count - sent), Int32(MSG_NOSIGNAL)) }
                if n > 0 { sent += n }
            } else if !shut {
                shutdown(clientOuter, Int32(SHUT_WR))
                shut = true
            }
            while true {
                let n = recv(upOuter, &buf, buf.count, Int32(MSG_DONTWAIT))
                if n > 0 { received += buf[0..<n]; continue }
                if n == 0 && !upDone { upDone = true; shutdown(upOuter, Int32(SHUT_WR)) }
                break
            }
            if recv(clientOuter, &buf, buf.count, Int32(MSG_DONTWAIT)) == 0 { downDone = true }
            if turns > 200_000 { loop.stop() }
        }
        loop.schedule(pump, after: 1_000_000)
        try loop.run()
        XCTAssertEqual(received, Array("seed:".utf8) + payload, backend.rawValue)
        XCTAssertTrue(upDone && downDone, backend.rawValue)
        XCTAssertEqual(ended, .completed, backend.rawValue)
        XCTAssertEqual(counters.bytesUp, UInt64(payload.count + 5))
        XCTAssertGreaterThan(counters.splicedBytes, 0)
        closeDescriptor(clientOuter)
        closeDescriptor(upOuter)
    }

    func testRelayMovesBytesAndPropagatesHalfCloseOnEpoll() throws { try run(backend: .epoll) }
    func testRelayMovesBytesAndPropagatesHalfCloseOnIOUring() throws { try run(backend: .ioUring) }
}
