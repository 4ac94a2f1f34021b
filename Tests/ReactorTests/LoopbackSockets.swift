// Real sockets on loopback for the Reactor's tests: connected TCP pairs and pipes, both ends non-blocking.
import Glibc
@testable import Reactor

enum LoopbackSockets {
    /// A connected TCP pair on 127.0.0.1: (the connecting side, the accepted side).
    static func tcpPair() throws -> (FileDescriptor, FileDescriptor) {
        let l = try Socket.listenTCP(SocketAddress(host: "127.0.0.1", port: 0)!)
        defer { l.close() }
        let c = try Socket.connectTCP(l.localAddress!)
        var s: Int32 = -1
        for _ in 0..<1000 where s < 0 {
            s = accept(l.rawValue, nil, nil)
            if s < 0 { usleep(1000) }
        }
        let accepted = FileDescriptor(rawValue: s)
        accepted.setNonBlocking()
        return (c, accepted)
    }

    /// A non-blocking pipe: (read end, write end).
    static func pipe() -> (FileDescriptor, FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        precondition(Glibc.pipe(&fds) == 0)
        let ends = (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
        ends.0.setNonBlocking()
        ends.1.setNonBlocking()
        return ends
    }

    /// Writes `bytes` (all of them, or fails the precondition) to a non-blocking descriptor with room.
    static func put(_ bytes: [UInt8], _ fd: FileDescriptor) {
        precondition(fd.writeAll(bytes) == nil)
    }
}
