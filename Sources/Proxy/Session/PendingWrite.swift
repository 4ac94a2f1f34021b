// Bytes a body forwarder copied into user space (chunk lines, bytes read with a head, compressed output),
// written to the destination as its readiness allows.
import Reactor

struct PendingWrite {
    var bytes: [UInt8] = []
    private var sent = 0
    /// Why the last flush stopped short, when the destination failed (not when it would block).
    private(set) var failed: Errno?

    var isEmpty: Bool { bytes.isEmpty }

    /// Writes what is left; true when all of it is sent (the buffer is then emptied, its capacity kept).
    /// False when `dst` would block (`dstReady` is cleared) or failed (`failed` says why).
    mutating func flush(_ dst: Transport, _ dstReady: inout Bool) -> Bool {
        while sent < bytes.count {
            guard dstReady else { return false }
            let r = bytes.withUnsafeBytes { dst.write(UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            switch r {
            case .bytes(let n): sent += n
            case .wouldBlock: dstReady = false; return false
            case .error(let e): failed = e; return false
            case .eof: failed = .brokenPipe; return false
            }
        }
        bytes.removeAll(keepingCapacity: true)
        sent = 0
        return true
    }
}
