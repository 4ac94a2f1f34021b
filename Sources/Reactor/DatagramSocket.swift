// UDP sockets on the loop. A bound server socket receives and answers in batches (recvmmsg/sendmmsg: one
// syscall each way for up to `DatagramBatch.capacity` datagrams) and, with packet info, learns the address
// each datagram arrived at so its answer leaves from there. A connected client socket sends and receives
// one datagram at a time to and from its one peer.
import CStoep
import Glibc

public struct DatagramSocket {
    public let fd: FileDescriptor
    /// Datagrams carry the address they arrived at (IP_PKTINFO / IPV6_RECVPKTINFO), and answers are sent
    /// from it: for a socket bound to a wildcard address on a box with several interfaces.
    public let packetInfo: Bool

    /// A UDP socket bound to `addr`.
    public static func bind(_ addr: SocketAddress, packetInfo: Bool) throws(SystemError) -> DatagramSocket {
        let fd = try Socket.make(family: addr.family, type: SOCK_DGRAM) { fd throws(SystemError) in
            Socket.setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if Socket.sharedPorts { Socket.setInt(fd, SOL_SOCKET, SO_REUSEPORT, 1) }  // the workers' shared port
            if addr.family == AF_INET6 {
                Socket.setInt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1)
                if packetInfo { Socket.setInt(fd, Int32(IPPROTO_IPV6), IPV6_RECVPKTINFO, 1) }
            } else if packetInfo {
                Socket.setInt(fd, Int32(IPPROTO_IP), IP_PKTINFO, 1)
            }
            try Socket.bindWaitingOutPredecessor(fd, addr, "bind udp \(addr)")
        }
        return DatagramSocket(fd: fd, packetInfo: packetInfo)
    }

    /// A UDP socket connected to `addr` from a kernel-chosen (random) ephemeral port: the kernel then
    /// delivers only that peer's datagrams to it, and an ICMP refusal comes back as ECONNREFUSED.
    public static func connect(to addr: SocketAddress) throws(SystemError) -> DatagramSocket {
        let fd = try Socket.make(family: addr.family, type: SOCK_DGRAM) { fd throws(SystemError) in
            try Socket.connect(fd, addr, "udp \(addr)", inProgressIsOK: false)
        }
        return DatagramSocket(fd: fd, packetInfo: false)
    }

    /// An unbound datagram socket of `family` for sending to any address (systemd's notify socket).
    public static func unbound(family: Int32) throws(SystemError) -> DatagramSocket {
        DatagramSocket(fd: try Socket.make(family: family, type: SOCK_DGRAM) { _ throws(SystemError) in }, packetInfo: false)
    }

    public func close() { fd.close() }

    /// Sends one datagram to the connected peer.
    @inline(__always)
    public func send(_ bytes: UnsafeRawBufferPointer) -> IOResult { fd.send(bytes) }

    /// Receives one datagram from the connected peer; an empty datagram is `.bytes(0)`, never `.eof`.
    /// A datagram longer than `buffer` is cut to it (the rest is lost).
    @inline(__always)
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        let (n, e) = retryingEINTR { Glibc.recv(fd.rawValue, buffer.baseAddress, buffer.count, 0) }
        return ioResult(n, errno: e, zeroIsEOF: false)
    }

    /// Receives up to `batch.capacity` datagrams into `batch` (replacing what it held). Returns how many
    /// arrived (`.bytes`), or `.wouldBlock` when none wait. Other errors (an ICMP error queued on the socket)
    /// come back as `.error`; there is nothing to answer then either.
    public func receive(_ batch: DatagramBatch) -> IOResult {
        while true {
            let got = stoep_recv_batch(fd.rawValue, batch.slots.baseAddress, UInt32(batch.capacity))
            if got >= 0 {
                batch.received = Int(got)
                batch.replies = 0
                return .bytes(Int(got))
            }
            let e = Errno(rawValue: -got)
            if e == .interrupted { continue }
            batch.received = 0
            return e == .wouldBlock ? .wouldBlock : .error(e)
        }
    }

    /// Sends the replies queued in `batch` (`DatagramBatch.queueReply`) in one call; returns how many of
    /// them the kernel did not take (0 when all went out).
    @discardableResult
    public func sendReplies(_ batch: DatagramBatch) -> Int {
        guard batch.replies > 0 else { return 0 }
        let sent = stoep_send_batch(fd.rawValue, batch.outgoing.baseAddress, UInt32(batch.replies), packetInfo ? 1 : 0)
        let failed = batch.replies - max(0, Int(sent))
        batch.replies = 0
        return failed
    }

    /// Sends one datagram to `peer`, from `source` (the address its query arrived at) when the socket has
    /// packet info. True when the kernel took it.
    public func send(_ bytes: [UInt8], to peer: SocketAddress, from source: SocketAddress? = nil) -> Bool {
        bytes.withUnsafeBytes { send($0, to: peer, from: source) }
    }

    /// As `send(_:to:from:)`, from memory the caller owns (a datagram relayed without a copy).
    public func send(_ bytes: UnsafeRawBufferPointer, to peer: SocketAddress, from source: SocketAddress? = nil) -> Bool {
        var d = stoep_dgram()
        d.peer = peer.storage
        d.peerlen = peer.length
        if let source { d.dest = source.storage }
        d.len = bytes.count
        d.buf = UnsafeMutableRawPointer(mutating: bytes.baseAddress)
        return stoep_send_batch(fd.rawValue, &d, 1, packetInfo && source != nil ? 1 : 0) == 1
    }
}

/// Receive slots, each with its own buffer, for `DatagramSocket.receive(_:)`; answers are written into the
/// buffers of the queries they answer and sent together with `sendReplies`. Allocated once per socket.
public final class DatagramBatch {
    public let capacity: Int
    public let bufferSize: Int
    fileprivate let slots: UnsafeMutableBufferPointer<stoep_dgram>
    fileprivate let outgoing: UnsafeMutableBufferPointer<stoep_dgram>
    /// Datagrams the last receive brought.
    public fileprivate(set) var received = 0
    fileprivate var replies = 0

    public init(capacity: Int, bufferSize: Int) {
        self.capacity = min(capacity, 64)  // STOEP_BATCH_MAX
        self.bufferSize = bufferSize
        slots = .allocate(capacity: self.capacity)
        outgoing = .allocate(capacity: self.capacity)
        for i in 0..<self.capacity {
            slots[i] = stoep_dgram()
            slots[i].buf = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
            slots[i].cap = bufferSize
        }
    }

    deinit {
        for i in 0..<capacity { slots[i].buf.deallocate() }
        slots.deallocate()
        outgoing.deallocate()
    }

    /// The bytes of datagram `i`; nil when it was larger than the buffer (cut: not a message to answer).
    @inline(__always)
    public func payload(_ i: Int) -> UnsafeRawBufferPointer? {
        let d = slots[i]
        guard d.len <= d.cap else { return nil }
        return UnsafeRawBufferPointer(start: d.buf, count: d.len)
    }

    /// Who sent datagram `i`.
    public func peer(_ i: Int) -> SocketAddress { SocketAddress(storage: slots[i].peer, length: slots[i].peerlen) }

    /// The local address datagram `i` arrived at (family 0 without packet info).
    public func destination(_ i: Int) -> SocketAddress {
        SocketAddress(storage: slots[i].dest, length: socklen_t(MemoryLayout<sockaddr_storage>.size))
    }

    /// Queues `reply` to the sender of datagram `i`, written over that datagram's bytes (the caller has
    /// copied what it needs). False when the reply does not fit the buffer: send it with `send(_:to:from:)`.
    public func queueReply(to i: Int, _ reply: [UInt8]) -> Bool {
        guard reply.count <= bufferSize else { return false }
        var out = slots[i]
        if !reply.isEmpty { reply.withUnsafeBytes { out.buf.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        out.len = reply.count
        outgoing[replies] = out
        replies += 1
        return true
    }
}
