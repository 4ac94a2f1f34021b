// epoll(7) backend: edge-triggered watches for sockets, level-triggered listeners with accept4 done here.
import CStoep
import Glibc

final class EpollBackend: Backend {
    let kind = BackendKind.epoll
    var features: [String] { ["edge_triggered"] }
    var pendingRemovals: Int { 0 }  // epoll_ctl(DEL) takes effect at once
    private let epfd: Int32
    private var buffer: UnsafeMutablePointer<epoll_event>
    private let capacity = 512
    /// Listener tokens by descriptor: readiness on a listener means "accept".
    private var listeners: [UInt64: FileDescriptor] = [:]
    /// Accepts per readiness report, so one busy listener cannot starve the rest of the loop.
    private let acceptBatch = 64

    init() throws(SystemError) {
        epfd = try check("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        buffer.deallocate()
        FileDescriptor(rawValue: epfd).close()
    }

    func watch(fd: FileDescriptor, token: Token) throws(SystemError) {
        var ev = epoll_event()
        ev.events = watchPollBits | EPOLLET.rawValue
        ev.data.u64 = token.raw
        try check("epoll_ctl(ADD)") { epoll_ctl(epfd, EPOLL_CTL_ADD, fd.rawValue, &ev) }
    }

    func unwatch(fd: FileDescriptor, token: Token) {
        var ev = epoll_event()
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, fd.rawValue, &ev)
    }

    func watchListener(fd: FileDescriptor, token: Token) throws(SystemError) {
        var ev = epoll_event()
        ev.events = EPOLLIN.rawValue
        ev.data.u64 = token.raw
        try check("epoll_ctl(ADD listener)") { epoll_ctl(epfd, EPOLL_CTL_ADD, fd.rawValue, &ev) }
        listeners[token.raw] = fd
    }

    func unwatchListener(fd: FileDescriptor, token: Token) {
        listeners[token.raw] = nil
        unwatch(fd: fd, token: token)
    }

    func poll(timeoutNanos: UInt64?, into events: inout [BackendEvent]) throws(SystemError) {
        // epoll_wait has millisecond resolution: round up so a timer is never fired early.
        let ms: Int32 = timeoutNanos.map { Int32(min(($0 + 999_999) / 1_000_000, 3_600_000)) } ?? -1
        let n = epoll_wait(epfd, buffer, Int32(capacity), ms)
        if n < 0 {
            let e = Errno.current
            if e == .interrupted { return }
            throw SystemError("epoll_wait", errno: e)
        }
        for i in 0..<Int(n) {
            let ev = buffer[i]
            let token = Token(raw: ev.data.u64)
            if token.kind == .listener, let lfd = listeners[token.raw] {
                acceptAll(lfd, token, &events)
            } else {
                events.append(.ready(token, Readiness.fromPollBits(ev.events)))
            }
        }
    }

    private func acceptAll(_ lfd: FileDescriptor, _ token: Token, _ events: inout [BackendEvent]) {
        for _ in 0..<acceptBatch {
            let fd = stoep_accept(lfd.rawValue)
            if fd >= 0 {
                events.append(.accepted(token, FileDescriptor(rawValue: fd)))
                continue
            }
            let e = Errno.current
            switch e.rawValue {
            case EAGAIN, EWOULDBLOCK, EINTR:
                return
            case ECONNABORTED, EPROTO, EPERM:
                continue  // the connection died in the backlog (or a firewall refused it): next one
            default:
                // EMFILE/ENFILE/ENOMEM: stop watching (level-triggered would spin), the loop re-arms later.
                unwatchListener(fd: lfd, token: token)
                events.append(.acceptStopped(token, e))
                return
            }
        }
    }
}
