// Moves exactly `remaining` bytes from one transport to another — an HTTP body of known length, or one
// chunk's payload — with splice(2) through a pooled pipe when both ends are plain sockets, else through
// a small buffer. Resumable: it returns when a side would block and continues on the next readiness.
import CStoep
import Glibc

public struct BodyMover {
    public enum Step: Equatable {
        case done            // every byte delivered
        case blocked         // waiting for readiness
        case sourceClosed    // EOF before the end (everything read before it was delivered)
        case failed(Int32)
    }

    public private(set) var remaining: UInt64
    private var pipe: Pipe?
    private var buffer: UnsafeMutableRawBufferPointer?
    private var start = 0, end = 0
    public private(set) var moved: UInt64 = 0
    private var sourceEOF = false

    public init(length: UInt64) {
        remaining = length
    }

    /// Bytes read from the source but not yet delivered.
    private var held: Int { (pipe?.buffered ?? 0) + (end - start) }

    public mutating func pump(from src: Transport, to dst: Transport, srcReady: inout Bool, dstReady: inout Bool,
                              pool: PipePool) -> Step {
        while true {
            if remaining == 0 && held == 0 {
                release(pool)
                return .done
            }
            if sourceEOF && held == 0 { return .sourceClosed }
            var progressed = false
            let wanted = remaining - UInt64(held)
            if let p = splicePipe(src, dst, pool) {
                if wanted > 0 && srcReady && !sourceEOF && p.buffered < p.capacity {
                    let n = Int(min(wanted, UInt64(p.capacity - p.buffered)))
                    let (r, e) = retryingEINTR { stoep_splice(src.fd, p.writeFD, n, 0) }
                    switch ioResult(r, errno: e, zeroIsEOF: true) {
                    case .bytes(let k): p.buffered += k; progressed = true
                    case .eof: sourceEOF = true; progressed = true
                    case .wouldBlock: if p.buffered == 0 { srcReady = false }
                    case .error(let e): return .failed(e)
                    }
                }
                if p.buffered > 0 && dstReady {
                    let (r, e) = retryingEINTR { stoep_splice(p.readFD, dst.fd, p.buffered, 0) }
                    switch ioResult(r, errno: e, zeroIsEOF: false) {
                    case .bytes(let k):
                        p.buffered -= k
                        remaining -= UInt64(k)
                        moved += UInt64(k)
                        progressed = true
                    case .wouldBlock: dstReady = false
                    case .error(let e): return .failed(e)
                    case .eof: break
                    }
                }
            } else {
                if buffer == nil { buffer = .allocate(byteCount: 16 * 1024, alignment: 16) }
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
                        remaining -= UInt64(k)
                        moved += UInt64(k)
                        progressed = true
                    case .wouldBlock: dstReady = false
                    case .error(let e): return .failed(e)
                    case .eof: break
                    }
                }
            }
            if !progressed { return .blocked }
        }
    }

    public enum FillStep: Equatable {
        case filled(Int)     // this many bytes are held now, and are all `pump` will deliver
        case blocked         // the source has nothing now (srcReady is cleared)
        case sourceClosed    // EOF: nothing is held
        case failed(Int32)
    }

    /// For a body of unknown length sent on as chunks, where each chunk's size must go out before its
    /// bytes: reads what `src` has now — up to one pipe (or buffer) full, in one splice or read — and makes
    /// exactly that the bytes to move, so `pump` then delivers them without reading more. The caller's
    /// duty: call it only while nothing is held (a new mover, or one whose `pump` said `.done`), and after
    /// `.blocked`, `.sourceClosed` or `.failed`, `release` the mover (it may hold a pipe).
    public mutating func fill(from src: Transport, to dst: Transport, srcReady: inout Bool, pool: PipePool) -> FillStep {
        precondition(held == 0, "fill while bytes are held")
        guard srcReady else { return .blocked }
        let result: IOResult
        if let p = splicePipe(src, dst, pool) {
            let (r, e) = retryingEINTR { stoep_splice(src.fd, p.writeFD, p.capacity, 0) }
            result = ioResult(r, errno: e, zeroIsEOF: true)
            if case .bytes(let k) = result { p.buffered = k }
        } else {
            if buffer == nil { buffer = .allocate(byteCount: 16 * 1024, alignment: 16) }
            start = 0
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

    /// The pipe to splice through: both ends plain sockets and no copy under way (a mover that started
    /// copying keeps copying). Nil when the pool has no pipe to give: then the bytes are copied.
    private mutating func splicePipe(_ src: Transport, _ dst: Transport, _ pool: PipePool) -> Pipe? {
        guard src.canSplice && dst.canSplice && buffer == nil else { return nil }
        if pipe == nil { pipe = pool.acquire() }
        return pipe
    }

    /// Returns the pipe and frees the buffer (after `.done`, or when the message is abandoned).
    public mutating func release(_ pool: PipePool) {
        if let p = pipe { pool.release(p); pipe = nil }
        buffer?.deallocate()
        buffer = nil
    }
}
