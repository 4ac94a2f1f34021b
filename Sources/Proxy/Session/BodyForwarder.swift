// Forwards one message body from a source connection to a destination, whatever its framing:
// a known length, chunked, or until the source closes. Bytes already read with the head go first; the
// rest is spliced. For chunked bodies the chunk-size lines and trailers are read into user space (a few
// bytes each) and copied, while the chunk payloads are spliced — so the proxy always knows where the
// message ends and keep-alive keeps working. Between two chunks of a spliced body the next chunk's framing is
// peeked at (recv MSG_PEEK, 64 bytes) instead of read: it stays in the socket and goes out in the same
// splice as the payload behind it, so a chunk costs one peek and its splices instead of a read, a write and
// the splices, and no payload byte is copied through user space (BENCHMARKS.md, "Session 8: 100 MB bodies").
//
// A body framed by the source's close goes to an HTTP/1.1 client as chunks instead, as Traefik (Go's
// server) sends it: each read of the source becomes one chunk, its size line copied and its bytes spliced,
// and the source's EOF becomes the last chunk — so the client connection stays open for its next request.
import Glibc
import HTTP
import Reactor

struct BodyForwarder {
    enum Step: Equatable { case done, blocked, sourceClosed, failed(Errno), badChunk }

    private enum Mode {
        case none
        case length
        case chunked
        case untilClose
        /// Until the source closes, sent on as chunks.
        case untilCloseAsChunks
    }

    private var mode: Mode
    private var mover: SpliceChannel?
    private var decoder = ChunkedDecoder()
    /// Bytes to copy to the destination before any splice (chunk lines, bytes of the source buffer).
    private var pending = PendingWrite()
    private var lengthLeft: UInt64 = 0
    /// Chunked, peeked framing: how many of the bytes the mover still delivers are chunk framing (a
    /// payload's CRLF and the next size line) before the payload the decoder waits for.
    private var framingInMover: UInt64 = 0
    /// untilCloseAsChunks: the source's EOF was seen and the last chunk queued.
    private var sourceEnded = false
    private(set) var bytes: UInt64 = 0

    /// `asChunks`: send an `.untilClose` body on chunked (the head says `Transfer-Encoding: chunked`).
    init(_ framing: HTTPBodyFraming, asChunks: Bool = false) {
        switch framing {
        case .none, .tunnel: mode = .none
        case .contentLength(let n): mode = .length; lengthLeft = n
        case .chunked: mode = .chunked
        case .untilClose: mode = asChunks ? .untilCloseAsChunks : .untilClose; lengthLeft = .max
        }
    }

    var isNone: Bool { if case .none = mode { return true } else { return false } }
    var closesConnection: Bool { if case .untilClose = mode { return true } else { return false } }

    /// Moves the body bytes already in `buffer` (a known-length body, or one sent on as chunks: then as
    /// one chunk) to `out`, the head about to be sent, so a small message leaves in one send instead of two.
    mutating func absorb(_ buffer: inout ByteBuffer, into out: inout [UInt8]) {
        if case .untilCloseAsChunks = mode, !buffer.isEmpty {
            bytes += UInt64(buffer.count)
            BodyForwarder.appendChunk(buffer.unread, to: &out)
            buffer.consume(buffer.count)
            return
        }
        guard case .length = mode, lengthLeft > 0, !buffer.isEmpty else { return }
        let n = Int(min(UInt64(buffer.count), lengthLeft))
        out += buffer.unread.prefix(n)
        buffer.consume(n)
        lengthLeft -= UInt64(n)
        bytes += UInt64(n)
    }

    /// Moves what it can. `buffer` holds bytes already read from `src` (they belong to this body first;
    /// what is left after the body is the next message).
    mutating func pump(src: Transport, buffer: inout ByteBuffer, dst: Transport, srcReady: inout Bool,
                       dstReady: inout Bool, pool: PipePool, counters: RelayCounters) -> Step {
        while true {
            if !pending.flush(dst, &dstReady) { return pending.failed.map { .failed($0) } ?? .blocked }
            switch mode {
            case .none:
                return .done
            case .length, .untilClose:
                if lengthLeft == 0 { return .done }
                if !buffer.isEmpty {
                    let n = Int(min(UInt64(buffer.count), lengthLeft))
                    pending.bytes += buffer.unread.prefix(n)
                    buffer.consume(n)
                    lengthLeft -= UInt64(n)
                    bytes += UInt64(n)
                    continue
                }
                if mover == nil { mover = SpliceChannel(limit: lengthLeft) }
                let (step, moved) = Self.pump(&mover!, src, dst, &srcReady, &dstReady, pool, counters)
                bytes += moved
                lengthLeft -= moved
                switch step {
                case .done: mover = nil; return .done
                case .blocked: return .blocked
                case .sourceClosed:
                    mover!.release(pool)
                    mover = nil
                    // A body framed by the connection's end is complete at EOF; any other is cut short.
                    return closesConnection ? .done : .sourceClosed
                case .failed(let e): mover!.release(pool); return .failed(e)
                }
            case .untilCloseAsChunks:
                if let step = pumpAsChunks(src: src, buffer: &buffer, dst: dst, srcReady: &srcReady,
                                           dstReady: &dstReady, pool: pool, counters: counters) {
                    return step
                }
            case .chunked:
                if let step = pumpChunked(src: src, buffer: &buffer, dst: dst, srcReady: &srcReady,
                                          dstReady: &dstReady, pool: pool, counters: counters) {
                    return step
                }
            }
        }
    }

    /// One pump of a body's splice channel: its step, and the payload bytes it delivered (for the caller's
    /// counts: the body's total, a length left, a chunk's payload).
    @inline(__always)
    private static func pump(_ m: inout SpliceChannel, _ src: Transport, _ dst: Transport, _ srcReady: inout Bool,
                             _ dstReady: inout Bool, _ pool: PipePool, _ counters: RelayCounters) -> (SpliceChannel.Step, UInt64) {
        let before = m.moved
        var progressed = false
        let step = m.pump(from: src, to: dst, srcReady: &srcReady, dstReady: &dstReady, pool: pool,
                          counters: counters, progressed: &progressed)
        return (step, m.moved - before)
    }

    /// One step of chunked forwarding; nil means "continue the loop".
    private mutating func pumpChunked(src: Transport, buffer: inout ByteBuffer, dst: Transport, srcReady: inout Bool,
                                      dstReady: inout Bool, pool: PipePool, counters: RelayCounters) -> Step? {
        if var m = mover {
            let (step, delivered) = Self.pump(&m, src, dst, &srcReady, &dstReady, pool, counters)
            let framing = min(delivered, framingInMover)
            framingInMover -= framing
            let moved = delivered - framing
            bytes += moved
            decoder.payloadMoved(moved)
            mover = m
            switch step {
            case .done: mover = nil; return nil
            case .blocked: return .blocked
            case .sourceClosed: m.release(pool); return .sourceClosed
            case .failed(let e): m.release(pool); return .failed(e)
            }
        }
        if buffer.isEmpty, src.canSplice, dst.canSplice, let peeked = peekFraming(src, &srcReady) {
            switch peeked {
            case .framing(let n, let size):
                // The decoder already stands in the payload; the mover takes the framing and the payload.
                framingInMover = UInt64(n)
                mover = SpliceChannel(limit: UInt64(n) + size)
                return nil
            case .stop(let step):
                return step
            }
        }
        let step: ChunkedDecoder.Step
        let bytesAtHand = Array(buffer.unread)
        do {
            step = try decoder.next(bytesAtHand)
        } catch {
            return .badChunk
        }
        switch step {
        case .needMore:
            guard srcReady else { return .blocked }
            switch buffer.read(from: src, max: 4096) {
            case .bytes:
                if buffer.lastReadDrained { srcReady = false }
                return nil
            case .wouldBlock: srcReady = false; return .blocked
            case .eof: return .sourceClosed
            case .error(let e): return .failed(e)
            }
        case .chunkHeader(let consumed, _), .chunkEnd(let consumed), .trailers(let consumed):
            pending.bytes += buffer.unread.prefix(consumed)
            buffer.consume(consumed)
            return nil
        case .payload(let remaining):
            if !buffer.isEmpty {
                let n = Int(min(UInt64(buffer.count), remaining))
                pending.bytes += buffer.unread.prefix(n)
                buffer.consume(n)
                decoder.payloadMoved(UInt64(n))
                bytes += UInt64(n)
                return nil
            }
            mover = SpliceChannel(limit: remaining)
            return nil
        case .done:
            return pending.flush(dst, &dstReady) ? .done : .blocked
        }
    }

    private enum PeekedFraming {
        /// `bytes` of framing (CRLF, size line) lead to a payload of `size` bytes; the decoder moved past them.
        case framing(bytes: Int, size: UInt64)
        /// What `pumpChunked` returns at once (the source is drained, ended or failed).
        case stop(Step)
    }

    /// How many bytes peeked at once: a payload's CRLF and a size line without extensions fit many times over.
    static let framingPeekBytes = 64

    /// Peeks at the framing that follows a spliced payload and, when it is a payload's end and a complete size
    /// line of a non-empty chunk, moves the decoder past it without consuming it from the socket. nil when
    /// the read path must take over: the decoder is not between chunks, the line is longer than the peek or
    /// incomplete, or it is the last chunk (its trailers are read and parsed as before) or malformed (the
    /// read path reports it).
    private mutating func peekFraming(_ src: Transport, _ srcReady: inout Bool) -> PeekedFraming? {
        guard srcReady, decoder.isBetweenChunks else { return nil }
        return withUnsafeTemporaryAllocation(byteCount: Self.framingPeekBytes, alignment: 1) { scratch -> PeekedFraming? in
            let got: Int
            switch src.peek(into: scratch) {
            case .bytes(let n): got = n
            case .wouldBlock: srcReady = false; return .stop(.blocked)
            case .eof: return .stop(.sourceClosed)
            case .error(let e): return .stop(.failed(e))
            }
            var d = decoder
            var offset = 0
            while true {
                let step: ChunkedDecoder.Step
                do {
                    step = try d.next(UnsafeRawBufferPointer(rebasing: scratch[offset..<got]))
                } catch {
                    return nil
                }
                switch step {
                case .chunkEnd(let consumed):
                    offset += consumed
                case .chunkHeader(let consumed, let size):
                    guard size > 0 else { return nil }
                    decoder = d
                    return .framing(bytes: offset + consumed, size: size)
                case .needMore, .payload, .trailers, .done:
                    return nil
                }
            }
        }
    }

    /// One step of sending a close-delimited body on as chunks; nil means "continue the loop" (which first
    /// writes what this queued in `pending`: a chunk's size line, or the CRLF after its bytes, or the end).
    private mutating func pumpAsChunks(src: Transport, buffer: inout ByteBuffer, dst: Transport, srcReady: inout Bool,
                                       dstReady: inout Bool, pool: PipePool, counters: RelayCounters) -> Step? {
        if sourceEnded { return .done }  // the loop wrote the last chunk before coming here
        if var m = mover {
            let (step, moved) = Self.pump(&m, src, dst, &srcReady, &dstReady, pool, counters)
            bytes += moved
            mover = m
            switch step {
            case .done:
                mover = nil
                // The CRLF that ends this chunk waits for the next size line: one send carries both.
                pending.bytes += BodyForwarder.crlf
            case .blocked: return .blocked
            case .sourceClosed, .failed:  // .sourceClosed cannot come: the mover reads nothing more
                m.release(pool)
                mover = nil
                if case .failed(let e) = step { return .failed(e) }
                return .sourceClosed
            }
        }
        if !buffer.isEmpty {
            bytes += UInt64(buffer.count)
            BodyForwarder.appendChunk(buffer.unread, to: &pending.bytes)
            buffer.consume(buffer.count)
            return nil
        }
        var m = SpliceChannel(limit: 0)
        switch m.fill(from: src, to: dst, srcReady: &srcReady, pool: pool) {
        case .filled(let n):
            BodyForwarder.appendChunkSize(n, to: &pending.bytes)
            mover = m
            return nil
        case .blocked:
            m.release(pool)
            return pending.isEmpty ? .blocked : nil
        case .sourceClosed:
            m.release(pool)
            pending.bytes += BodyForwarder.lastChunk
            sourceEnded = true
            return nil
        case .failed(let e):
            m.release(pool)
            return .failed(e)
        }
    }

    static let crlf: [UInt8] = [HTTPASCII.cr, HTTPASCII.lf]
    /// The zero-size chunk and the empty trailer section.
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
    /// The zero-size chunk's line, before a trailer section.
    static let lastChunkSize: [UInt8] = Array("0\r\n".utf8)

    /// "<size in lower-case hex, as Go writes it>\r\n"
    static func appendChunkSize(_ size: Int, to out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        var shift = 60
        while shift > 0 && (UInt64(size) >> UInt64(shift)) & 0xF == 0 { shift -= 4 }
        digits.withUTF8Buffer { d in
            while shift >= 0 {
                out.append(d[Int((UInt64(size) >> UInt64(shift)) & 0xF)])
                shift -= 4
            }
        }
        out += crlf
    }

    /// One whole chunk: size line, `data`, CRLF.
    static func appendChunk(_ data: ArraySlice<UInt8>, to out: inout [UInt8]) {
        appendChunkSize(data.count, to: &out)
        out += data
        out += crlf
    }

    mutating func release(_ pool: PipePool) {
        mover?.release(pool)
        mover = nil
        framingInMover = 0
    }
}
