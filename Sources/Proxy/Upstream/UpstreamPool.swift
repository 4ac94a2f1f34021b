// The idle keep-alive connections of one upstream server. A connection goes back after an exchange whose
// response left it reusable, and waits registered with the loop (UpstreamConnection closes itself when
// the server hangs up meanwhile); the next request to the server takes the most recently used one.

struct UpstreamPool {
    private var idle: [UpstreamConnection] = []

    /// Idle connections kept per server (Traefik's maxIdleConnsPerHost default is 200).
    static let capacity = 200

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
        guard idle.count < UpstreamPool.capacity, c.isUsable else {
            c.close()
            return
        }
        c.owner = nil
        idle.append(c)
    }

    /// Closes every idle connection (the server left the configuration).
    mutating func closeAll() {
        for c in idle { c.close() }
        idle = []
    }
}
