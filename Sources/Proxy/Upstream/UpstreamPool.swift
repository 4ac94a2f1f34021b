// The idle keep-alive connections of one upstream server. A connection goes back after an exchange whose
// response left it reusable, and waits registered with the loop (UpstreamConnection closes itself when
// the server hangs up meanwhile, or when it stayed idle past idleConnTimeout); the next request to the
// server takes the most recently used one.

struct UpstreamPool {
    private var idle: [UpstreamConnection] = []

    /// Idle connections kept (serversTransport.maxIdleConnsPerHost as Go applies it: 200 for the static
    /// transport by default, 2 for a named one, none when negative).
    let capacity: Int

    init(capacity: Int = 200) { self.capacity = max(0, capacity) }

    var count: Int { idle.count }

    /// The most recently returned connection that is still usable; unusable ones met on the way are
    /// closed. nil: the pool has none.
    mutating func take() -> UpstreamConnection? {
        while let c = idle.popLast() {
            if c.isUsable { return c }
            c.close()
        }
        return nil
    }

    /// Keeps `c` for reuse, or closes it when the pool is full or `c` cannot carry another request.
    mutating func giveBack(_ c: UpstreamConnection) {
        guard idle.count < capacity, c.isUsable else {
            c.close()
            return
        }
        c.owner = nil
        idle.append(c)
        c.armIdleClose(after: c.server.transport.idleConnTimeout)
    }

    /// `c` closed itself while idle (idleConnTimeout).
    mutating func remove(_ c: UpstreamConnection) {
        idle.removeAll { $0 === c }
    }

    /// Closes every idle connection (the server left the configuration).
    mutating func closeAll() {
        for c in idle { c.close() }
        idle = []
    }
}
