// Receiving through the io_uring backend's provided-buffer ring (ReceiveRing, ReceiveQueue) on real
// loopback sockets: bytes arrive whole and in order, the end of the stream comes after them, a consumer
// that stops reading stops its recv (back-pressure) and loses nothing, connections that together outgrow
// the ring (-ENOBUFS) are re-armed and lose nothing, and every buffer goes back to the ring. On epoll
// receiveIntoRing declines and the transport reads with recv(2) as before.
import Glibc
import XCTest
@testable import Reactor

final class ReceiveRingTests: XCTestCase {
    /// Reads its transport while `reading`, appending what it got; records the end.
    private final class Reader: IOHandler {
        let transport: PlainTransport
        var reading = true
        var got: [UInt8] = []
        var end: IOResult?
        var readable = false
        init(_ t: PlainTransport) { transport = t }
        func ready(fd: FileDescriptor, _ events: Readiness) {
            if events.contains(.readable) { readable = true }
            drain()
        }
        func drain() {
            var b = [UInt8](repeating: 0, count: 1500)  // smaller than a ring buffer: partial copies too
            while reading && readable && end == nil {
                switch b.withUnsafeMutableBytes({ transport.read(into: $0) }) {
                case .bytes(let n): got += b[0..<n]
                case .wouldBlock: readable = false
                case .eof: end = .eof
                case .error(let e): end = .error(e)
                }
            }
        }
    }

    /// Lets the cancelled recvs' last completions come back (each gives its buffer back), bounded.
    private func settle(_ loop: EventLoop, _ uring: IOUringBackend) {
        for _ in 0..<20 where uring.receiveRing!.inKernel != ReceiveRing.count { loop.settle() }
    }

    private func pattern(_ n: Int, seed: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) } }

    /// Writes as much of `bytes[sent...]` as the socket takes now.
    private func push(_ bytes: [UInt8], _ sent: inout Int, to fd: FileDescriptor) {
        while sent < bytes.count {
            guard case .bytes(let n) = bytes.withUnsafeBytes({ fd.send(UnsafeRawBufferPointer(rebasing: $0[sent...])) }) else { return }
            sent += n
        }
    }

    func testEpollDeclines() throws {
        let loop = try EventLoop(backend: .epoll, log: Logger())
        let (a, b) = try LoopbackSockets.tcpPair()
        defer { a.close(); b.close() }
        let r = Reader(PlainTransport(fd: b))
        let token = try loop.register(fd: b, handler: r)
        XCTAssertFalse(loop.receiveIntoRing(token, for: r.transport))
        XCTAssertTrue(r.transport.canSpliceFrom)
        loop.deregister(token)
    }

    private func uringLoop() throws -> (EventLoop, IOUringBackend)? {
        let loop = try EventLoop(backend: .ioUring, log: Logger())
        guard let uring = loop.backend as? IOUringBackend, uring.receiveRing != nil else { return nil }
        return (loop, uring)
    }

    func testBytesThenEndInOrder() throws {
        guard let (loop, uring) = try uringLoop() else { throw XCTSkip("no receive ring on this kernel") }
        let (peer, ours) = try LoopbackSockets.tcpPair()
        defer { peer.close() }
        let r = Reader(PlainTransport(fd: ours))
        let token = try loop.register(fd: ours, handler: r)
        XCTAssertTrue(loop.receiveIntoRing(token, for: r.transport))
        XCTAssertFalse(r.transport.canSpliceFrom)
        let data = pattern(300_000, seed: 7)
        var sent = 0
        var shut = false
        try loop.run(seconds: 5) {
            self.push(data, &sent, to: peer)
            if sent == data.count && !shut { peer.shutdownWrite(); shut = true }
            return r.end != nil
        }
        XCTAssertEqual(r.end, .eof)
        XCTAssertEqual(r.got.count, data.count)
        XCTAssertTrue(r.got == data, "bytes in order")
        loop.deregister(token)
        r.transport.close()
        settle(loop, uring)
        XCTAssertEqual(uring.receiveRing!.inKernel, ReceiveRing.count, "every buffer is back")
    }

    /// Many connections whose consumers do not read: each stops at its cap, together they run the ring
    /// dry; then everyone reads, and every byte arrives in order.
    func testBackPressureAndDryRingLoseNothing() throws {
        guard let (loop, uring) = try uringLoop() else { throw XCTSkip("no receive ring on this kernel") }
        let n = 2 * ReceiveRing.count * ReceiveRing.size / ReceiveQueue.cap  // twice what the ring holds at the cap
        var peers: [FileDescriptor] = [], readers: [Reader] = [], tokens: [Token] = [], data: [[UInt8]] = []
        var sent = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let (peer, ours) = try LoopbackSockets.tcpPair()
            let r = Reader(PlainTransport(fd: ours))
            r.reading = false
            let t = try loop.register(fd: ours, handler: r)
            XCTAssertTrue(loop.receiveIntoRing(t, for: r.transport))
            peers.append(peer); readers.append(r); tokens.append(t)
            data.append(pattern(3 * ReceiveQueue.cap + i, seed: i))
        }
        defer { peers.forEach { $0.close() } }
        // Nobody reads: the ring runs dry, and no queue grows far past its cap. (The bytes are sent before
        // the loop runs: a turn hook runs only after a turn, and a loop nobody wakes has no turn.)
        for i in 0..<n { push(data[i], &sent[i], to: peers[i]) }
        try loop.run(seconds: 1) { false }
        XCTAssertLessThan(uring.receiveRing!.inKernel, ReceiveRing.count / 4, "the ring ran (nearly) dry")
        // Everyone reads now.
        for r in readers { r.reading = true; r.readable = true; r.drain() }
        try loop.run(seconds: 10) {
            for i in 0..<n {
                self.push(data[i], &sent[i], to: peers[i])
                readers[i].drain()
            }
            return (0..<n).allSatisfy { readers[$0].got.count == data[$0].count }
        }
        for i in 0..<n {
            XCTAssertTrue(readers[i].got == data[i], "connection \(i): \(readers[i].got.count) of \(data[i].count) bytes, in order")
        }
        for (t, r) in zip(tokens, readers) { loop.deregister(t); r.transport.close() }
        settle(loop, uring)
        XCTAssertEqual(uring.receiveRing!.inKernel, ReceiveRing.count, "every buffer is back")
    }

    /// A watch removed with bytes still queued: the buffers go back, the reader still gets the bytes.
    func testDeregisterWithQueuedBytes() throws {
        guard let (loop, uring) = try uringLoop() else { throw XCTSkip("no receive ring on this kernel") }
        let (peer, ours) = try LoopbackSockets.tcpPair()
        defer { peer.close() }
        let r = Reader(PlainTransport(fd: ours))
        r.reading = false
        let token = try loop.register(fd: ours, handler: r)
        XCTAssertTrue(loop.receiveIntoRing(token, for: r.transport))
        LoopbackSockets.put(Array("hello, ring".utf8), peer)
        try loop.run(seconds: 2) { r.readable }
        loop.deregister(token)
        settle(loop, uring)
        XCTAssertEqual(uring.receiveRing!.inKernel, ReceiveRing.count)
        r.reading = true
        r.drain()
        XCTAssertEqual(String(decoding: r.got, as: UTF8.self), "hello, ring")
        r.transport.close()
    }
}
