// The relay on real loopback sockets, once per backend, driven by a real EventLoop in this thread.
import Glibc
import XCTest
@testable import Reactor

final class RelayTests: XCTestCase {
    private func run(backend: BackendKind) throws {
        let log = Logger()
        let loop = try EventLoop(backend: backend, log: log)
        let pool = PipePool(size: 64 * 1024, limit: 4)
        let counters = RelayCounters()
        let (clientOuter, clientInner) = try LoopbackSockets.tcpPair()   // test <-> relay side a
        let (upInner, upOuter) = try LoopbackSockets.tcpPair()           // relay side b <-> test
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
                let n = payload.withUnsafeBytes { send(clientOuter.rawValue, $0.baseAddress! + sent, min(32768, payload.count - sent), Int32(MSG_NOSIGNAL)) }
                if n > 0 { sent += n }
            } else if !shut {
                clientOuter.shutdownWrite()
                shut = true
            }
            while true {
                let n = recv(upOuter.rawValue, &buf, buf.count, Int32(MSG_DONTWAIT))
                if n > 0 { received += buf[0..<n]; continue }
                if n == 0 && !upDone { upDone = true; upOuter.shutdownWrite() }
                break
            }
            if recv(clientOuter.rawValue, &buf, buf.count, Int32(MSG_DONTWAIT)) == 0 { downDone = true }
            if turns > 200_000 { loop.stop() }
        }
        loop.schedule(pump, after: 1_000_000)
        try loop.run()
        XCTAssertEqual(received, Array("seed:".utf8) + payload, backend.rawValue)
        XCTAssertTrue(upDone && downDone, backend.rawValue)
        XCTAssertEqual(ended, .completed, backend.rawValue)
        XCTAssertEqual(counters.bytesUp, UInt64(payload.count + 5))
        XCTAssertGreaterThan(counters.splicedBytes, 0)
        clientOuter.close()
        upOuter.close()
    }

    func testRelayMovesBytesAndPropagatesHalfCloseOnEpoll() throws { try run(backend: .epoll) }
    func testRelayMovesBytesAndPropagatesHalfCloseOnIOUring() throws { try run(backend: .ioUring) }
}

/// A relay that adopts registrations an earlier handler had (a peek, an HTTP session before an upgrade):
/// the bytes that handler was told about and left in the socket still move, with no new report.
final class RelayAdoptionTests: XCTestCase {
    private final class Ignoring: IOHandler {
        var reports = 0
        func ready(fd: FileDescriptor, _ events: Readiness) { reports += 1 }
    }

    private func run(backend: BackendKind) throws {
        let loop = try EventLoop(backend: backend, log: Logger())
        let pool = PipePool(size: 64 * 1024, limit: 4)
        let (clientOuter, clientInner) = try LoopbackSockets.tcpPair()
        let (upInner, upOuter) = try LoopbackSockets.tcpPair()
        defer { clientOuter.close(); upOuter.close() }
        let earlier = Ignoring()
        let ta = try loop.register(fd: clientInner, handler: earlier)
        let tb = try loop.register(fd: upInner, handler: earlier)
        LoopbackSockets.put(Array("early".utf8), clientOuter)
        // One turn: the earlier handler gets (and ignores) the reports; the bytes stay in the socket.
        let tick = Timer { _ in loop.stop() }
        loop.schedule(tick, after: 50_000_000)
        try loop.run()
        XCTAssertGreaterThan(earlier.reports, 0, "\(backend)")
        let relay = Relay(id: 1, loop: loop, pool: pool, counters: RelayCounters(),
                          a: PlainTransport(fd: clientInner), b: PlainTransport(fd: upInner),
                          connecting: false, idleTimeout: 5_000_000_000)
        var ended: Relay.End?
        relay.onEnd = { _, e in ended = e; loop.stop() }
        relay.start(connectTimeout: 0, adoptingA: ta, adoptingB: tb)
        var received: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        // A little later (the loop would otherwise wait for the deadline: nothing new happens), take what
        // arrived upstream and end both sides.
        let later = Timer { _ in
            while case .bytes(let n) = buf.withUnsafeMutableBytes({ upOuter.receive(into: $0) }) { received += buf[0..<n] }
            clientOuter.shutdownWrite()
            upOuter.shutdownWrite()
        }
        loop.schedule(later, after: 20_000_000)
        let deadline = Timer { _ in loop.stop() }
        loop.schedule(deadline, after: 2_000_000_000)
        try loop.run()
        XCTAssertEqual(received, Array("early".utf8), "\(backend): bytes waiting before the hand-over move")
        XCTAssertEqual(ended, .completed, "\(backend)")
    }

    func testAdoptedRegistrationsOnEpoll() throws { try run(backend: .epoll) }
    func testAdoptedRegistrationsOnIOUring() throws { try run(backend: .ioUring) }
}
