// The byte mover on real loopback sockets: a length limit is exact, bytes are counted as spliced or as
// copied by how they went (a transport that cannot splice — TLS without kTLS — copies), an exhausted
// pipe pool falls back to copying, and a source that ends early is reported with everything delivered.
import Glibc
import XCTest
@testable import Reactor

final class SpliceChannelTests: XCTestCase {
    /// A plain socket that says it cannot splice, as TLSTransport does without kTLS.
    private final class CopyOnly: Transport {
        let plain: PlainTransport
        init(_ fd: FileDescriptor) { plain = PlainTransport(fd: fd) }
        var fd: FileDescriptor { plain.fd }
        var canSplice: Bool { false }
        func readDrained(got: Int, asked: Int) -> Bool { got < asked }
        func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult { plain.read(into: buffer) }
        func write(_ bytes: UnsafeRawBufferPointer) -> IOResult { plain.write(bytes) }
        func shutdownWrite() { plain.shutdownWrite() }
        func close() { plain.close() }
    }

    private struct Outcome {
        var step: SpliceChannel.Step
        var received: [UInt8]
        var channel: SpliceChannel
    }

    /// Sends `payload` into the source's peer (then closes it when `endSource`), pumps `channel` from
    /// source to destination, and reads what arrives at the destination's peer, until the channel is done
    /// or closed.
    private func move(_ payload: [UInt8], limit: UInt64, endSource: Bool, copyOnly: Bool = false,
                      pool: PipePool = PipePool(size: 64 * 1024, limit: 4)) throws -> Outcome {
        let (srcPeer, src) = try LoopbackSockets.tcpPair()
        let (dst, dstPeer) = try LoopbackSockets.tcpPair()
        defer { [srcPeer, src, dst, dstPeer].forEach { $0.close() } }
        let from: Transport = copyOnly ? CopyOnly(src) : PlainTransport(fd: src)
        let to: Transport = copyOnly ? CopyOnly(dst) : PlainTransport(fd: dst)
        var channel = SpliceChannel(limit: limit)
        let counters = RelayCounters()
        var sent = 0, received: [UInt8] = [], shut = false
        var buf = [UInt8](repeating: 0, count: 65536)
        var step = SpliceChannel.Step.blocked
        for _ in 0..<100_000 {
            if sent < payload.count {
                if case .bytes(let n) = payload.withUnsafeBytes({ srcPeer.send(UnsafeRawBufferPointer(rebasing: $0[sent..<min(sent + 32768, payload.count)])) }) {
                    sent += n
                }
            } else if endSource && !shut {
                srcPeer.shutdownWrite()
                shut = true
            }
            var srcReady = true, dstReady = true, progressed = false
            step = channel.pump(from: from, to: to, srcReady: &srcReady, dstReady: &dstReady, pool: pool,
                                counters: counters, progressed: &progressed)
            while case .bytes(let n) = buf.withUnsafeMutableBytes({ dstPeer.receive(into: $0) }) { received += buf[0..<n] }
            if step != .blocked { break }  // done, closed or failed
            if !progressed { usleep(200) }
        }
        XCTAssertEqual(counters.splicedBytes, channel.spliced)
        XCTAssertEqual(counters.copiedBytes, channel.copied)
        XCTAssertEqual(channel.spliced + channel.copied, channel.moved)
        channel.release(pool)
        return Outcome(step: step, received: received, channel: channel)
    }

    private let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    func testLimitIsExactAndSplicedBytesCountAsSpliced() throws {
        let o = try move(payload, limit: 150_000, endSource: false)
        XCTAssertEqual(o.step, .done)
        XCTAssertEqual(o.received, Array(payload[0..<150_000]))
        XCTAssertEqual(o.channel.spliced, 150_000)
        XCTAssertEqual(o.channel.copied, 0)
        XCTAssertEqual(o.channel.remaining, 0)
    }

    func testBytesThroughACopyingTransportCountAsCopied() throws {
        let o = try move(payload, limit: 150_000, endSource: false, copyOnly: true)
        XCTAssertEqual(o.step, .done)
        XCTAssertEqual(o.received, Array(payload[0..<150_000]))
        XCTAssertEqual(o.channel.copied, 150_000, "TLS-style copies are not spliced bytes")
        XCTAssertEqual(o.channel.spliced, 0)
    }

    func testExhaustedPipePoolCopies() throws {
        let o = try move(payload, limit: 150_000, endSource: false, pool: PipePool(size: 64 * 1024, limit: 0))
        XCTAssertEqual(o.step, .done)
        XCTAssertEqual(o.received, Array(payload[0..<150_000]))
        XCTAssertEqual(o.channel.copied, 150_000)
    }

    func testSourceEndingEarlyIsReportedAfterEverythingIsDelivered() throws {
        for copyOnly in [false, true] {
            let o = try move(payload, limit: 1_000_000, endSource: true, copyOnly: copyOnly)
            XCTAssertEqual(o.step, .sourceClosed, "copyOnly \(copyOnly)")
            XCTAssertEqual(o.received, payload, "copyOnly \(copyOnly)")
            XCTAssertEqual(o.channel.moved, UInt64(payload.count))
            XCTAssertFalse(o.channel.finished, "no FIN unless asked (a body is not a half-close)")
        }
    }
}
