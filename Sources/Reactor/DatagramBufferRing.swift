// A provided-buffer ring for datagram sockets on io_uring (IORING_REGISTER_PBUF_RING, kernel ≥ 5.19): each
// watched datagram socket has one multishot recvmsg (kernel ≥ 6.0) that takes a free buffer from this ring
// for every datagram and names it in its completion. So a datagram costs no recvmmsg and no readiness
// report of its own: it arrives with the io_uring_enter that waited.
//
// The backend queues what arrived (`arrived`) and reports the socket readable once per wait; the socket's
// handler then takes the datagrams (`take`), each copied into its DatagramBatch slot exactly as recvmmsg
// would have filled it, and every buffer goes straight back to the ring. No buffer is held past the
// handler's call, so one small ring serves every datagram socket of the loop, and answers keep being
// written over the query in the batch as before.
//
// Each buffer holds what multishot recvmsg writes: io_uring_recvmsg_out (16 bytes), room for the peer's
// address (28) and control messages (64: IP_PKTINFO / IPV6_PKTINFO), then the payload — room for at least
// `payloadRoom` bytes, the DNS listener's 4096-byte limit, so a longer datagram still comes back cut and
// is dropped as before.
//
// When the ring runs dry (more datagrams queued than buffers in one wait), the kernel ends the recvmsg
// with -ENOBUFS; the backend arms it again, and the datagrams still in the socket's queue come with the
// next wait, after the handler has given the buffers back.
//
// Buffer group: `groupID`. The stream connections' ring (multishot branch) uses its own group; the two
// could become one ring only with one buffer size for both (docs/architecture.md).
import CStoep
import Glibc

final class DatagramBufferRing {
    static let groupID: UInt16 = 0xD6
    /// Buffers in the ring (a power of two, as the kernel requires). Two receive batches' worth.
    static let entries = 64
    /// The largest datagram payload kept whole (DNS over UDP: the listener's 4096).
    static let payloadRoom = 4096
    /// io_uring_recvmsg_out + sockaddr_in6 + STOEP_CONTROL_SIZE, rounded up to 64 bytes.
    static let headerRoom = 128
    static let bufferSize = payloadRoom + headerRoom

    private let ring: UnsafeMutablePointer<io_uring_buf_ring>
    private let ringBytes: UnsafeMutableRawPointer
    private let buffers: UnsafeMutableRawPointer
    private let mask = Int32(io_uring_buf_ring_mask(UInt32(DatagramBufferRing.entries)))
    /// The recvmsg templates: without and with room for packet info.
    let plainTemplate: UnsafeMutablePointer<msghdr>
    let packetInfoTemplate: UnsafeMutablePointer<msghdr>

    /// A socket fed by the ring: its watch token, whether its datagrams carry packet info, and how many
    /// of its datagrams wait in `pending`.
    private struct Socket {
        let token: UInt64
        let packetInfo: Bool
        var waiting: Int
    }
    private var sockets: [Socket] = []
    /// Datagrams received and not yet taken, in arrival order: the socket's token, buffer id, CQE result.
    private var pending: [(token: UInt64, buffer: UInt16, length: UInt32)] = []

    /// Registers the ring with `uring`; nil when the kernel refuses (before 5.19: EINVAL).
    init?(registeringWith uring: UnsafeMutablePointer<io_uring>) {
        let ringSize = MemoryLayout<io_uring_buf>.stride * Self.entries
        ringBytes = .allocate(byteCount: max(ringSize, 4096), alignment: 4096)  // the kernel wants it page-aligned
        ring = ringBytes.bindMemory(to: io_uring_buf_ring.self, capacity: 1)
        buffers = .allocate(byteCount: Self.bufferSize * Self.entries, alignment: 64)
        plainTemplate = .allocate(capacity: 1)
        packetInfoTemplate = .allocate(capacity: 1)
        stoep_recvmsg_template(plainTemplate, 0)
        stoep_recvmsg_template(packetInfoTemplate, 1)
        io_uring_buf_ring_init(ring)
        var reg = io_uring_buf_reg()
        reg.ring_addr = UInt64(UInt(bitPattern: ringBytes))
        reg.ring_entries = UInt32(Self.entries)
        reg.bgid = Self.groupID
        guard io_uring_register_buf_ring(uring, &reg, 0) == 0 else {
            release()
            return nil
        }
        for bid in 0..<Self.entries { add(UInt16(bid), at: Int32(bid)) }
        io_uring_buf_ring_advance(ring, Int32(Self.entries))
        pending.reserveCapacity(Self.entries)
        sockets.reserveCapacity(8)
    }

    /// Frees the memory; the backend calls it after the ring was torn down (io_uring_queue_exit), when
    /// the kernel no longer writes into the buffers.
    func release() {
        ringBytes.deallocate()
        buffers.deallocate()
        plainTemplate.deallocate()
        packetInfoTemplate.deallocate()
    }

    @inline(__always)
    private func add(_ bid: UInt16, at offset: Int32) {
        io_uring_buf_ring_add(ring, buffers + Int(bid) * Self.bufferSize, UInt32(Self.bufferSize), bid, mask, offset)
    }

    /// Gives buffers back to the kernel: `count` ids added with `add` since the last advance.
    @inline(__always)
    private func advance(_ count: Int) {
        if count > 0 { io_uring_buf_ring_advance(ring, Int32(count)) }
    }

    // MARK: sockets

    /// The template to arm `token`'s recvmsg with.
    func template(for token: UInt64) -> UnsafeMutablePointer<msghdr> {
        guard let i = index(of: token) else { return plainTemplate }
        return sockets[i].packetInfo ? packetInfoTemplate : plainTemplate
    }

    func add(socket token: UInt64, packetInfo: Bool) {
        sockets.append(Socket(token: token, packetInfo: packetInfo, waiting: 0))
    }

    /// Forgets `token`'s socket and gives back the buffers of its datagrams not taken. Later completions
    /// for it (already in the queue when it was cancelled) find no socket and give their buffer back.
    func remove(socket token: UInt64) {
        guard let i = index(of: token) else { return }
        sockets.remove(at: i)
        var given = 0
        pending.removeAll { p in
            guard p.token == token else { return false }
            add(p.buffer, at: Int32(given))
            given += 1
            return true
        }
        advance(given)
    }

    func feeds(_ token: UInt64) -> Bool { index(of: token) != nil }

    @inline(__always)
    private func index(of token: UInt64) -> Int? {
        for i in sockets.indices where sockets[i].token == token { return i }
        return nil
    }

    // MARK: datagrams

    /// A completion brought a datagram for `token` in buffer `bid`. True when it is the socket's first
    /// waiting datagram (the backend then reports the socket readable); a datagram for a socket no longer
    /// fed goes back to the ring.
    func arrived(_ token: UInt64, buffer bid: UInt16, length: UInt32) -> Bool {
        guard let i = index(of: token) else {
            add(bid, at: 0)
            advance(1)
            return false
        }
        pending.append((token, bid, length))
        sockets[i].waiting += 1
        return sockets[i].waiting == 1
    }

    /// Moves up to `batch.capacity` of `token`'s waiting datagrams into `batch` (replacing what it held),
    /// oldest first, and gives their buffers back. Returns how many; nil when the ring does not feed
    /// `token` (the caller receives with recvmmsg).
    func take(_ token: UInt64, into batch: DatagramBatch) -> Int? {
        guard let i = index(of: token) else { return nil }
        batch.received = 0
        batch.replies = 0
        guard sockets[i].waiting > 0 else { return 0 }
        let template = sockets[i].packetInfo ? packetInfoTemplate : plainTemplate
        var taken = 0
        var kept = 0
        for j in pending.indices {
            let p = pending[j]
            if p.token == token && taken < batch.capacity {
                stoep_dgram_from_recvmsg(buffers + Int(p.buffer) * Self.bufferSize, p.length, template, batch.slots.baseAddress! + taken)
                add(p.buffer, at: Int32(taken))
                taken += 1
            } else {
                pending[kept] = p
                kept += 1
            }
        }
        pending.removeLast(pending.count - kept)
        advance(taken)
        sockets[i].waiting -= taken
        batch.received = taken
        return taken
    }
}
