// StreamConnection on both backends with real loopback sockets: the output queue stops at a full socket
// and finishes once the peer reads, the idle timeout waits for silence (readiness moves it), and close
// runs once and releases the registration and the descriptor.
import Glibc
import XCTest
@testable import Reactor

final class StreamConnectionTests: XCTestCase {
    private static let backends: [BackendKind] = [.epoll, .ioUring]

    /// A handler that drives its connection the way the workloads do: note, then flush.
    private final class Writer: IOHandler {
        var connection: StreamConnection<PlainTransport>!
        var outcomes: [StreamConnection<PlainTransport>.FlushOutcome] = []
        func ready(fd: FileDescriptor, _ events: Readiness) {
            connection.note(events)
            outcomes.append(connection.flush())
        }
    }

    private func run(_ loop: EventLoop, seconds: Double = 3, until done: @escaping () -> Bool) throws -> Bool {
        try loop.run(seconds: seconds, until: done)
    }

    /// A loop on `backend`, a connected pair, and our end registered for a Writer.
    private func connected(_ backend: BackendKind) throws -> (EventLoop, StreamConnection<PlainTransport>, Writer, FileDescriptor) {
        let loop = try EventLoop(backend: backend, log: Logger())
        let (ours, peer) = try LoopbackSockets.tcpPair()
        let writer = Writer()
        let c = StreamConnection(transport: PlainTransport(fd: ours), loop: loop)
        writer.connection = c
        try c.register(writer)
        return (loop, c, writer, peer)
    }

    func testQueueBlocksOnAFullSocketAndDrainsWhenThePeerReads() throws {
        for backend in Self.backends {
            let (loop, c, writer, peer) = try connected(backend)
            defer { peer.close() }
            // More than loopback's buffers hold: the first flush stops with bytes left.
            let total = 16 << 20
            c.enqueue([UInt8](repeating: 0x61, count: total))
            XCTAssertEqual(c.flush(), .blocked, "\(backend)")
            XCTAssertFalse(c.writable, "\(backend): EAGAIN clears the flag")
            XCTAssertGreaterThan(c.pendingOutput, 0, "\(backend)")
            // The peer reads on a timer (a separate reader, as a client would be); each read makes room and
            // the kernel reports the socket writable again.
            var received = 0
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            var reader: Reactor.Timer! = nil
            reader = Timer { _ in
                while case .bytes(let n) = buffer.withUnsafeMutableBytes({ peer.receive(into: $0) }) { received += n }
                loop.schedule(reader, after: 1_000_000)
            }
            loop.schedule(reader, after: 1_000_000)
            let drained = try run(loop, seconds: 10) { c.pendingOutput == 0 && received == total }
            loop.cancel(reader)
            XCTAssertTrue(drained, "\(backend): \(received) of \(total) bytes arrived")
            XCTAssertEqual(writer.outcomes.last, .drained, "\(backend)")
            XCTAssertTrue(c.close(), "\(backend)")
            XCTAssertFalse(c.close(), "\(backend): close runs once")
            XCTAssertTrue(c.isClosed)
            // The peer sees our FIN: the descriptor really closed (io_uring's poll holds no reference).
            var eof = false
            XCTAssertTrue(try run(loop) {
                if case .eof = buffer.withUnsafeMutableBytes({ peer.receive(into: $0) }) { eof = true }
                return eof
            }, "\(backend)")
        }
    }

    func testIdleTimeoutWaitsForSilence() throws {
        for backend in Self.backends {
            let (loop, c, _, peer) = try connected(backend)
            defer { peer.close() }
            var expiredAt: UInt64? = nil
            let idle: UInt64 = 150_000_000
            c.idleTimeout(idle) { expiredAt = loop.now; c.close() }
            let started = loop.now
            // Activity at about 100 ms moves the expiry to about 250 ms.
            let poke = Timer { _ in LoopbackSockets.put([1], peer) }
            loop.schedule(poke, after: 100_000_000)
            XCTAssertTrue(try run(loop) { expiredAt != nil }, "\(backend)")
            let after = (expiredAt ?? 0) &- started
            XCTAssertGreaterThanOrEqual(after, 240_000_000, "\(backend): expired \(after / 1_000_000) ms after start")
            XCTAssertTrue(c.isClosed, "\(backend)")
        }
    }
}
