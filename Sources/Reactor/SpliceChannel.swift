// One direction of bytes from a source transport to a destination — a relay's half (Relay.swift) or an
// HTTP body of known length, one chunk's payload, a body until close (the proxy's BodyForwarder) — with
// splice(2) through a pooled pipe when both ends are plain sockets, else through a 16 KiB buffer (TLS
// without kTLS, or the pipe pool exhausted). Resumable: it returns when a side would block and goes on at
// the next readiness. Every byte delivered is counted once, as spliced or as copied, by how it went.
//
// - Back-pressure: nothing is read while the pipe or the buffer is full; the kernel's receive buffer fills
//   and TCP closes the window.
// - EAGAIN ambiguity: splicing into a pipe answers EAGAIN both for "socket empty" and "pipe out of slots"
//   (partly filled pages). Only an empty pipe proves the socket drained; otherwise the readable flag is
//   kept and the splice retried after the pipe drains.
// - An idle, empty pipe goes back to the pool; a buffer that emptied while both ends can splice is freed
//   and splicing resumes (after seeded bytes, or after the pool was exhausted for a while).
import CStoep

/// Counters shared by every channel of one owner (a forwarder, an entry point): the stats socket reads
/// them live.
public final class RelayCounters {
    public var bytesUp: UInt64 = 0      // from the accepting side (a) to the upstream side (b)
    public var bytesDown: UInt64 = 0    // from b to a
    public var splicedBytes: UInt64 = 0
    public var copiedBytes: UInt64 = 0
    public init() {}

    /// Which of `bytesUp`/`bytesDown` a channel's bytes count in (an HTTP body counts in neither).
    public enum Direction { case up, down, none }
}

public struct SpliceChannel {
    public enum Step: Equatable {
        /// Waiting for readiness (the source is drained, or the destination full).
        case blocked
        /// `limit` bytes delivered.
        case done
        /// The source ended before the limit; everything read before its end was delivered (and, with
        /// `finishOnEOF`, our FIN sent).
        case sourceClosed
        case failed(Errno)
    }

    /// Bytes still to deliver; `.max` for a stream that ends only with its source.
    public private(set) var remaining: UInt64
    /// Delivered to the destination, in total and by how.
    public private(set) var moved: UInt64 = 0
    public private(set) var spliced: UInt64 = 0
    public private(set) var copied: UInt64 = 0
    /// Our FIN was sent to the destination (`finishOnEOF`).
    public private(set) var finished = false
    /// Send our FIN when the source ends and everything before it was delivered (a relay's half-close).
    private let finishOnEOF: Bool
    private let direction: RelayCounters.Direction

    private var pipe: Pipe?
    private var buffer: UnsafeMutableRawBufferPointer?
    private var start = 0, end = 0
    private var sourceEOF = false

    static let copyBufferSize = 16 * 1024

    /// At most `limit` bytes (`.max`: until the source ends).
    public init(limit: UInt64 = .max, finishOnEOF: Bool = false, direction: RelayCounters.Direction = .none) {
        remaining = limit
        self.finishOnEOF = finishOnEOF
        self.direction = direction
    }

    /// Bytes read from the source but not yet delivered.
    public var held: Int { (pipe?.buffered ?? 0) + (end - start) }

    /// Seeds the channel with bytes read before it started (after an HTTP upgrade): they go first.
    mutating func seed(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(Self.copyBufferSize, bytes.count), alignment: 16)
        bytes.withUnsafeBytes { b.copyMemory(from: $0) }
        buffer = b
        start = 0
        end = bytes.count
    }

    /// Moves what it can. `srcReady`/`dstReady` are the edge-triggered readiness flags: cleared here when a
    /// call says EAGAIN, so the caller waits for the next report. `progressed` is set when anything moved
    /// (or the FIN went). Counts into `counters`.
    public mutating func pump(from src: Transport, to dst: Transport, srcReady: inout Bool, dstReady: inout Bool,
                              pool: PipePool, counters: RelayCounters, progressed any: inout Bool) -> Step {
        while true {
            if remaining == 0 && held == 0 {
                release(pool)
                return .done
            }
            var progressed = false
            let wanted = remaining - UInt64(held)
            if src.canSplice && dst.canSplice && buffer == nil {
                if pipe == nil && wanted > 0 && srcReady && !sourceEOF {
                    pipe = pool.acquire()
                    if pipe == nil {
                        allocateBuffer()  // pool exhausted: copy instead
                        continue
                    }
                }
                if let p = pipe {
                    if wanted > 0 && srcReady && !sourceEOF && p.buffered < p.capacity {
                        let n = Int(min(wanted, UInt64(p.capacity - p.buffered)))
                        let (r, e) = retryingEINTR { stoep_splice(src.fd.rawValue, p.writeFD, n) }
                        switch ioResult(r, errno: e, zeroIsEOF: true) {
                        case .bytes(let k): p.buffered += k; progressed = true
                        case .eof: sourceEOF = true; progressed = true
                        case .wouldBlock: if p.buffered == 0 { srcReady = false }  // see the EAGAIN ambiguity above
                        case .error(let e): return .failed(e)
                        }
                    }
                    if p.buffered > 0 && dstReady {
                        let (r, e) = retryingEINTR { stoep_splice(p.readFD, dst.fd.rawValue, p.buffered) }
                        switch ioResult(r, errno: e, zeroIsEOF: false) {
                        case .bytes(let k):
                            p.buffered -= k
                            deliver(k, spliced: true, counters)
                            progressed = progressed || k > 0
                        case .wouldBlock: dstReady = false
                        case .error(let e): return .failed(e)
                        case .eof: break
                        }
                    }
                    if p.buffered == 0 && (!srcReady || sourceEOF || wanted == 0) {
                        pool.release(p)  // idle stream: give the pipe back
                        pipe = nil
                    }
                }
            } else {
                if buffer == nil { allocateBuffer() }
                let b = buffer!
                if start == end { start = 0; end = 0 }
                if wanted > 0 && srcReady && !sourceEOF && end < b.count {
                    let n = Int(min(wanted, UInt64(b.count - end)))
                    switch src.read(into: UnsafeMutableRawBufferPointer(rebasing: b[end..<end + n])) {
                    case .bytes(let k): end += k; progressed = true
                    case .eof: sourceEOF = true; progressed = true
                    case .wouldBlock: srcReady = false
                    case .error(let e): return .failed(e)
                    }
                }
                if end > start && dstReady {
                    switch dst.write(UnsafeRawBufferPointer(rebasing: b[start..<end])) {
                    case .bytes(let k):
                        start += k
                        deliver(k, spliced: false, counters)
                        progressed = progressed || k > 0
                        if start == end && src.canSplice && dst.canSplice {
                            // Seeded or fallback bytes are out: back to splicing.
                            b.deallocate()
                            buffer = nil
                            start = 0
                            end = 0
                        }
                    case .wouldBlock: dstReady = false
                    case .error(let e): return .failed(e)
                    case .eof: break
                    }
                }
            }
            if sourceEOF && held == 0 {
                if finishOnEOF && !finished {
                    dst.shutdownWrite()
                    finished = true
                    progressed = true
                }
                if progressed { any = true }
                return .sourceClosed
            }
            if !progressed { return .blocked }
            any = true
        }
    }

    public enum FillStep: Equatable {
        case filled(Int)     // this many bytes are held now, and are all `pump` will deliver
        case blocked         // the source has nothing now (srcReady is cleared)
        case sourceClosed    // EOF: nothing is held
        case failed(Errno)
    }

    /// For a body of unknown length sent on as chunks, where each chunk's size must go out before its
    /// bytes: reads what `src` has now — up to one pipe (or buffer) full, in one splice or read — and makes
    /// exactly that the bytes to move, so `pump` then delivers them without reading more. The caller's
    /// duty: call it only while nothing is held (a new channel, or one whose `pump` said `.done`), and
    /// after `.blocked`, `.sourceClosed` or `.failed`, `release` the channel (it may hold a pipe).
    public mutating func fill(from src: Transport, to dst: Transport, srcReady: inout Bool, pool: PipePool) -> FillStep {
        precondition(held == 0, "fill while bytes are held")
        guard srcReady else { return .blocked }
        let result: IOResult
        if src.canSplice && dst.canSplice && buffer == nil, let p = pipe ?? pool.acquire() {
            pipe = p
            let (r, e) = retryingEINTR { stoep_splice(src.fd.rawValue, p.writeFD, p.capacity) }
            result = ioResult(r, errno: e, zeroIsEOF: true)
            if case .bytes(let k) = result { p.buffered = k }
        } else {
            if buffer == nil { allocateBuffer() }
            start = 0
            end = 0
            result = src.read(into: buffer!)
            if case .bytes(let k) = result { end = k }
        }
        switch result {
        case .bytes(let k):
            remaining = UInt64(k)
            return .filled(k)
        case .eof:
            sourceEOF = true
            return .sourceClosed
        case .wouldBlock:
            srcReady = false
            return .blocked
        case .error(let e):
            return .failed(e)
        }
    }

    @inline(__always)
    private mutating func deliver(_ n: Int, spliced viaPipe: Bool, _ c: RelayCounters) {
        let k = UInt64(n)
        remaining -= k
        moved &+= k
        switch direction {
        case .up: c.bytesUp &+= k
        case .down: c.bytesDown &+= k
        case .none: break
        }
        if viaPipe {
            spliced &+= k
            c.splicedBytes &+= k
        } else {
            copied &+= k
            c.copiedBytes &+= k
        }
    }

    private mutating func allocateBuffer() {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.copyBufferSize, alignment: 16)
        start = 0
        end = 0
    }

    /// Returns the pipe and frees the buffer (after `.done`, or when the stream is abandoned).
    public mutating func release(_ pool: PipePool) {
        if let p = pipe { pool.release(p); pipe = nil }
        buffer?.deallocate()
        buffer = nil
    }
}
