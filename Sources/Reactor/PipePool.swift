// Pipes for splice(2), pooled: creating a pipe and resizing it costs three syscalls, and each holds kernel
// memory only while data sits in it. The pool is bounded (every pipe is two descriptors and up to
// `size` bytes of kernel memory); when it is exhausted a relay moves bytes with read/write instead.
import CStoep

public final class Pipe {
    let readFD: Int32
    let writeFD: Int32
    /// Capacity granted by F_SETPIPE_SZ.
    let capacity: Int
    /// Bytes spliced in and not yet spliced out.
    var buffered = 0

    init(readFD: Int32, writeFD: Int32, capacity: Int) {
        self.readFD = readFD
        self.writeFD = writeFD
        self.capacity = capacity
    }

    func close() {
        FileDescriptor(rawValue: readFD).close()
        FileDescriptor(rawValue: writeFD).close()
    }
}

public final class PipePool {
    /// Requested pipe size (1 MiB moved 100 MB bodies fastest here, DESIGN.md).
    public let size: Int
    /// Most pipes alive at once, idle or busy.
    public let limit: Int
    private var idle: [Pipe] = []
    private let keepIdle: Int
    public private(set) var live = 0
    /// Times a relay asked for a pipe and got none (it then copied): a stats counter.
    public private(set) var exhausted: UInt64 = 0

    public init(size: Int = 1 << 20, limit: Int = 1024, keepIdle: Int = 32) {
        self.size = size
        self.limit = limit
        self.keepIdle = keepIdle
    }

    public var inUse: Int { live - idle.count }

    func acquire() -> Pipe? {
        if let p = idle.popLast() { return p }
        guard live < limit else {
            exhausted &+= 1
            return nil
        }
        var fds: [Int32] = [-1, -1]
        let got = stoep_pipe(&fds, Int32(size))
        if got < 0 {
            exhausted &+= 1
            return nil
        }
        live += 1
        return Pipe(readFD: fds[0], writeFD: fds[1], capacity: Int(got))
    }

    /// Returns a pipe. One still holding bytes cannot be reused (they belong to a dead stream): closed.
    func release(_ p: Pipe) {
        if p.buffered == 0 && idle.count < keepIdle {
            idle.append(p)
        } else {
            p.close()
            live -= 1
        }
    }
}
