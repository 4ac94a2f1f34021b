// One connection's bytes received by its multishot recv (io_uring) and not yet read: ring buffers in
// arrival order, then how the stream ended. PlainTransport.read copies from here instead of calling
// recv(2); each buffer goes back to the ring as soon as it is copied out.
//
// Back-pressure: the kernel keeps receiving for as long as the ring has buffers, whether or not the
// consumer reads (a pipelining client, an upload to a slow server). Past `cap` queued bytes the multishot
// recv is cancelled, so one connection cannot take the whole ring; the consumer's read re-arms it once the
// queue is under `cap` again. The other way to stop: the ring ran dry (-ENOBUFS); the bytes stay in the
// socket, and the recv is re-armed when buffers come back (the backend's turn, or this consumer's read).
// No byte is lost either way: a stopped recv leaves unread bytes in the socket, and a new one takes them.
//
// The caller's duty: the queue belongs to the loop's one thread; read only through PlainTransport.
final class ReceiveQueue {
    /// How the stream ended, told after the queued bytes.
    enum End: Equatable { case eof, error(Errno) }

    /// The watch token (kind .watch) whose recv fills this queue.
    let token: Token
    let fd: FileDescriptor
    private unowned let backend: IOUringBackend
    private unowned let ring: ReceiveRing

    /// Buffer ids and lengths, from `head` on; emptied (capacity kept) when all are read.
    private var ids: [UInt16] = []
    private var lengths: [Int32] = []
    private var head = 0
    /// Bytes of buffer `ids[head]` already read.
    private var offset = 0
    private(set) var queued = 0
    var end: End?
    /// A multishot recv is in the kernel (its last completion, without IORING_CQE_F_MORE, is not yet seen).
    var armed = false
    /// Its cancellation is submitted (back-pressure).
    var cancelling = false
    /// It ended with -ENOBUFS: re-arm once buffers are back.
    var starved = false
    /// The backend's turn when the recv was last armed (its submission may still be queued).
    var armedInTurn: UInt64 = 0
    /// The watch went (EventLoop.deregister): the buffers went back to the ring, bytes still unread were
    /// copied here for a reader that keeps the transport.
    private(set) var detached = false
    private var leftover: [UInt8] = []

    /// Queued bytes past which the recv is stopped: 8 buffers.
    static let cap = 8 * ReceiveRing.size

    init(token: Token, fd: FileDescriptor, backend: IOUringBackend, ring: ReceiveRing) {
        self.token = token
        self.fd = fd
        self.backend = backend
        self.ring = ring
        ids.reserveCapacity(4)
        lengths.reserveCapacity(4)
    }

    var isEmpty: Bool { queued == 0 && leftover.isEmpty }

    /// A completion brought `length` bytes in buffer `id`.
    @inline(__always)
    func append(_ id: UInt16, _ length: Int32) {
        ids.append(id)
        lengths.append(length)
        queued += Int(length)
    }

    /// Copies queued bytes into `buffer`. `.wouldBlock` when none wait and the stream goes on (the next
    /// completion brings a readiness report); the end once every byte was read.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        if detached { return readLeftover(into: buffer) }
        guard queued > 0 else {
            switch end {
            case nil: return .wouldBlock
            case .eof: return .eof
            case .error(let e): return .error(e)
            }
        }
        var copied = 0
        while copied < buffer.count && head < ids.count {
            let id = ids[head], length = Int(lengths[head])
            let n = min(length - offset, buffer.count - copied)
            (buffer.baseAddress! + copied).copyMemory(from: ring.bytes(id) + offset, byteCount: n)
            copied += n
            offset += n
            if offset == length {
                ring.give(id)
                head += 1
                offset = 0
            }
        }
        queued -= copied
        if head == ids.count {
            ids.removeAll(keepingCapacity: true)
            lengths.removeAll(keepingCapacity: true)
            head = 0
        }
        if !armed && end == nil && queued < Self.cap { backend.armReceive(self) }
        return .bytes(copied)
    }

    private func readLeftover(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        guard !leftover.isEmpty else { return fd.receive(into: buffer) }
        let n = min(buffer.count, leftover.count)
        leftover.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
        leftover.removeFirst(n)
        return .bytes(n)
    }

    /// The watch is going: unread bytes are copied out, every buffer goes back to the ring. A reader that
    /// keeps the transport gets the copied bytes, then reads the socket itself.
    func detach() {
        guard !detached else { return }
        detached = true
        while head < ids.count {
            let id = ids[head], length = Int(lengths[head])
            leftover.append(contentsOf: UnsafeRawBufferPointer(start: ring.bytes(id) + offset, count: length - offset))
            ring.give(id)
            head += 1
            offset = 0
        }
        ids = []
        lengths = []
        queued = 0
    }
}
