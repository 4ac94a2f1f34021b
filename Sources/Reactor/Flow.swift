// One direction of a relay: bytes from a source transport to a destination, through a pooled pipe with
// splice(2) when both ends are plain sockets, else through a small user-space buffer.
import CStoep

/// Counters shared by every relay of one owner (a forwarder, a router): the stats socket reads them live.
public final class RelayCounters {
    public var bytesUp: UInt64 = 0      // from the accepting side (a) to the upstream side (b)
    public var bytesDown: UInt64 = 0    // from b to a
    public var splicedBytes: UInt64 = 0
    public var copiedBytes: UInt64 = 0
    public init() {}
}

struct Flow {
    var pipe: Pipe?
    var buffer: UnsafeMutableRawBufferPointer?
    var start = 0, end = 0
    var sourceEOF = false
    /// Our FIN was sent to the destination.
    var finished = false
    var bytes: UInt64 = 0

    static let copyBufferSize = 16 * 1024

    enum Step { case idle, progressed, failed(Errno) }

    var pendingBytes: Int { (pipe?.buffered ?? 0) + (end - start) }

    /// Seeds the flow with bytes that were read before the relay started (e.g. after an HTTP upgrade).
    mutating func seed(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let size = max(Flow.copyBufferSize, bytes.count)
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        bytes.withUnsafeBytes { b.copyMemory(from: $0) }
        buffer = b
        start = 0
        end = bytes.count
    }

    /// Moves what it can. `srcReady`/`dstReady` are the edge-triggered readiness flags: cleared here when a
    /// call says EAGAIN, so the caller waits for the next report.
    mutating func pump(from src: Transport, to dst: Transport, srcReady: inout Bool, dstReady: inout Bool,
                       pool: PipePool, counters: RelayCounters, up: Bool) -> Step {
        var any = false
        while true {
            var progressed = false
            // Bytes seeded or copied first: they precede anything still in the socket.
            if end > start {
                if dstReady {
                    switch write(src, dst) {
                    case .bytes(let n):
                        account(n, counters, up, spliced: false)
                        progressed = true
                    case .wouldBlock: dstReady = false
                    case .error(let e): return .failed(e)
                    case .eof: break
                    }
                }
            } else if src.canSplice && dst.canSplice && buffer == nil {
                if pipe == nil && srcReady && !sourceEOF { pipe = pool.acquire() }
                if let p = pipe {
                    switch spliceIn(src, p, &srcReady) {
                    case .failed(let e): return .failed(e)
                    case .progressed: progressed = true
                    case .idle: break
                    }
                    if p.buffered > 0 && dstReady {
                        let (n, e) = retryingEINTR { stoep_splice(p.readFD, dst.fd.rawValue, p.buffered) }
                        switch ioResult(n, errno: e, zeroIsEOF: false) {
                        case .bytes(let n):
                            p.buffered -= n
                            account(n, counters, up, spliced: true)
                            progressed = true
                        case .wouldBlock: dstReady = false
                        case .error(let e): return .failed(e)
                        case .eof: break
                        }
                    }
                    if p.buffered == 0 && (!srcReady || sourceEOF) {
                        pool.release(p)  // idle stream: give the pipe back
                        pipe = nil
                    }
                } else if srcReady && !sourceEOF {
                    allocateBuffer()  // pool exhausted: copy instead
                    continue
                }
            } else if srcReady && !sourceEOF {
                if buffer == nil { allocateBuffer() }
                switch readIntoBuffer(src) {
                case .bytes: progressed = true
                case .eof: sourceEOF = true; progressed = true
                case .wouldBlock: srcReady = false
                case .error(let e): return .failed(e)
                }
            }
            if sourceEOF && pendingBytes == 0 && !finished {
                dst.shutdownWrite()
                finished = true
                progressed = true
            }
            if !progressed { break }
            any = true
        }
        return any ? .progressed : .idle
    }

    private mutating func spliceIn(_ src: Transport, _ p: Pipe, _ srcReady: inout Bool) -> Step {
        guard srcReady && !sourceEOF else { return .idle }
        let space = p.capacity - p.buffered
        guard space > 0 else { return .idle }
        let (n, e) = retryingEINTR { stoep_splice(src.fd.rawValue, p.writeFD, space) }
        switch ioResult(n, errno: e, zeroIsEOF: true) {
        case .bytes(let n):
            p.buffered += n
            return .progressed
        case .eof:
            sourceEOF = true
            return .progressed
        case .wouldBlock:
            // EAGAIN means "socket empty" or "pipe out of slots" (partly filled pages): only an empty pipe
            // proves the socket is drained. Otherwise keep the flag and retry after the pipe drains.
            if p.buffered == 0 { srcReady = false }
            return .idle
        case .error(let e):
            return .failed(e)
        }
    }

    private mutating func allocateBuffer() {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Flow.copyBufferSize, alignment: 16)
        start = 0
        end = 0
    }

    private mutating func readIntoBuffer(_ src: Transport) -> IOResult {
        guard let b = buffer else { return .wouldBlock }
        if start == end { start = 0; end = 0 }
        guard end < b.count else { return .bytes(0) }
        let r = src.read(into: UnsafeMutableRawBufferPointer(rebasing: b[end...]))
        if case .bytes(let n) = r { end += n }
        return r
    }

    private mutating func write(_ src: Transport, _ dst: Transport) -> IOResult {
        guard let b = buffer else { return .bytes(0) }
        let r = dst.write(UnsafeRawBufferPointer(rebasing: b[start..<end]))
        if case .bytes(let n) = r {
            start += n
            if start == end {
                start = 0; end = 0
                // Seeded or fallback bytes are out: go back to splicing when both ends can.
                if src.canSplice && dst.canSplice { b.deallocate(); buffer = nil }
            }
        }
        return r
    }

    private mutating func account(_ n: Int, _ c: RelayCounters, _ up: Bool, spliced: Bool) {
        bytes &+= UInt64(n)
        if up { c.bytesUp &+= UInt64(n) } else { c.bytesDown &+= UInt64(n) }
        if spliced { c.splicedBytes &+= UInt64(n) } else { c.copiedBytes &+= UInt64(n) }
    }

    /// Frees the buffer and returns the pipe.
    mutating func release(_ pool: PipePool) {
        if let p = pipe { pool.release(p); pipe = nil }
        buffer?.deallocate()
        buffer = nil
    }
}
