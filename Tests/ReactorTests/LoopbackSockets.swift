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

extension EventLoop {
    /// Runs the loop until `done()` holds after a turn, or `seconds` pass; returns whether `done()` held.
    /// Each call adds a turn hook guarded by its own flag (hooks stay for the loop's life).
    @discardableResult
    func run(seconds: Double = 2, until done: @escaping () -> Bool) throws -> Bool {
        var finished = false
        let deadline = Timer { [unowned self] _ in self.stop() }
        schedule(deadline, after: UInt64(seconds * 1e9))
        var active = true
        addTurnHook { [unowned self] in
            guard active else { return }
            if done() { finished = true; self.stop() }
        }
        try run()
        active = false
        cancel(deadline)
        return finished || done()
    }
}
