// Datagram sockets on the loop (EventLoop.registerDatagrams / receive), on both backends with the real
// kernel: on io_uring the datagrams come through the provided-buffer ring (DatagramBufferRing, multishot
// recvmsg), on epoll through recvmmsg, and the handler must see the same thing from both — every datagram
// whole and in order with its sender and the address it arrived at, an oversized one marked for dropping,
// more datagrams than the ring has buffers, and buffers given back when a socket goes with datagrams unread.
import Glibc
import XCTest
@testable import Reactor

final class DatagramReceiveTests: XCTestCase {
    private static let backends: [BackendKind] = [.epoll, .ioUring]

    /// Answers each datagram with its bytes reversed; records what arrived.
    private final class Reverser: IOHandler {
        let loop: EventLoop
        let socket: DatagramSocket
        var token: Token?
        /// Reads nothing when false (datagrams stay waiting).
        var reading = true
        let batch = DatagramBatch(capacity: 32, bufferSize: 4096)
        var payloads: [[UInt8]] = []
        var destinations: [String] = []
        var cut = 0

        init(loop: EventLoop, socket: DatagramSocket) throws {
            self.loop = loop
            self.socket = socket
            token = try loop.registerDatagrams(socket: socket, handler: self)
        }

        func ready(fd: FileDescriptor, _ events: Readiness) {
            guard reading else { return }
            while let token {
                guard case .bytes(let got) = loop.receive(socket, token: token, into: batch), got > 0 else { return }
                for i in 0..<got {
                    guard let p = batch.payload(i) else { cut += 1; continue }
                    let bytes = Array(p)
                    payloads.append(bytes)
                    destinations.append(batch.destination(i).description)
                    XCTAssertTrue(batch.queueReply(to: i, Array(bytes.reversed())))
                }
                XCTAssertEqual(socket.sendReplies(batch), 0)
                if got < batch.capacity { return }
            }
        }

        func close() {
            if let token { loop.deregister(token) }
            token = nil
            socket.close()
        }
    }

    private func datagram(_ i: Int) -> [UInt8] { (0..<(1 + i * 3 % 300)).map { UInt8(truncatingIfNeeded: $0 &+ i) } }

    private func port(_ s: DatagramSocket) -> UInt16 {
        var a = s.fd.localAddress!.storage
        return withUnsafeBytes(of: &a) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }

    /// Reads what `client` has been sent until `count` datagrams came, bounded.
    private func replies(_ client: DatagramSocket, _ count: Int) -> [[UInt8]] {
        var got: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        for _ in 0..<2000 where got.count < count {
            let r = buffer.withUnsafeMutableBytes { client.receive(into: $0) }
            if case .bytes(let n) = r { got.append(Array(buffer[0..<n])) } else { usleep(1000) }
        }
        return got
    }

    func testEveryDatagramArrivesWholeInOrderWithWhereItWasSent() throws {
        for backend in Self.backends {
            let loop = try EventLoop(backend: backend, log: Logger())
            if backend == .ioUring { XCTAssertFalse(loop.backendFeatures.contains("multishot_recvmsg")) }
            // A wildcard bind with packet info, as the DNS listener on a box with several interfaces.
            let server = try Reverser(loop: loop, socket: DatagramSocket.bind(SocketAddress(host: "0.0.0.0", port: 0)!, packetInfo: true))
            defer { server.close() }
            if backend == .ioUring {
                XCTAssertTrue(loop.backendFeatures.contains("multishot_recvmsg"), "this kernel (≥ 6.0) lets io_uring receive")
            }
            let client = try DatagramSocket.connect(to: SocketAddress(host: "127.0.0.1", port: port(server.socket))!)
            defer { client.close() }
            // More than the ring's 64 buffers in one go, an empty datagram, and one larger than the batch's
            // 4096-byte slots (cut: the handler drops it).
            var sent: [[UInt8]] = []
            for i in 0..<100 {
                let d = i == 50 ? [] : datagram(i)
                sent.append(d)
                XCTAssertEqual(d.withUnsafeBytes { client.send($0) }, .bytes(d.count))
                if i == 70 {
                    let big = [UInt8](repeating: 7, count: 5000)
                    XCTAssertEqual(big.withUnsafeBytes { client.send($0) }, .bytes(5000))
                }
            }
            XCTAssertTrue(try loop.run { server.payloads.count == 100 && server.cut == 1 }, "\(backend): \(server.payloads.count) arrived, \(server.cut) cut")
            XCTAssertEqual(server.payloads, sent, "\(backend)")
            XCTAssertEqual(Set(server.destinations), ["127.0.0.1:0"], "\(backend): the address each arrived at")
            XCTAssertEqual(replies(client, 100), sent.map { Array($0.reversed()) }, "\(backend): answers go back from there")
        }
    }

    /// A socket closed with datagrams received but not read gives their buffers back: another socket on
    /// the same loop then receives more datagrams than the ring holds.
    func testBuffersComeBackWhenASocketGoesWithDatagramsUnread() throws {
        for backend in Self.backends {
            let loop = try EventLoop(backend: backend, log: Logger())
            let idle = try Reverser(loop: loop, socket: DatagramSocket.bind(SocketAddress(host: "127.0.0.1", port: 0)!, packetInfo: false))
            idle.reading = false
            let toIdle = try DatagramSocket.connect(to: SocketAddress(host: "127.0.0.1", port: port(idle.socket))!)
            defer { toIdle.close() }
            for i in 0..<80 { _ = datagram(i).withUnsafeBytes { toIdle.send($0) } }  // more than the ring holds
            var turns = 0
            try loop.run(seconds: 0.3) { turns += 1; return turns > 5 }
            idle.close()

            let busy = try Reverser(loop: loop, socket: DatagramSocket.bind(SocketAddress(host: "127.0.0.1", port: 0)!, packetInfo: false))
            defer { busy.close() }
            let toBusy = try DatagramSocket.connect(to: SocketAddress(host: "127.0.0.1", port: port(busy.socket))!)
            defer { toBusy.close() }
            var sent: [[UInt8]] = []
            for round in 0..<3 {
                for i in 0..<60 {
                    let d = datagram(round * 60 + i)
                    sent.append(d)
                    _ = d.withUnsafeBytes { toBusy.send($0) }
                }
                XCTAssertTrue(try loop.run { busy.payloads.count == sent.count }, "\(backend): round \(round), \(busy.payloads.count) of \(sent.count)")
            }
            XCTAssertEqual(busy.payloads, sent, "\(backend)")
            XCTAssertEqual(replies(toBusy, sent.count).count, sent.count, "\(backend)")
        }
    }
}
