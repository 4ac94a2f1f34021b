// Per-client query rate limiting, as Pi-hole's FTL does it (dns.rateLimit, default 1000 queries per 60 s):
// each client's queries are counted in a fixed window that starts for every client at once (FTL resets all
// counters every `interval` seconds); past `count` in a window, the client's queries are answered REFUSED
// (FTL: "Rate-limited queries are answered with a REFUSED reply and not further processed") until the
// window ends, and FTL's line is logged once per client and window:
// `Rate-limiting 10.0.0.5 for at least 44 seconds`. An answer no larger than the query keeps a flooded
// box from amplifying. The box itself (127.0.0.0/8, ::1) is never limited (DNSService): it cannot be made to
// amplify towards anyone else, and its own resolver traffic (the proxy's lookups, a cron job) must not be
// refused. Pure: the caller passes the time.

public struct DNSRateLimiter {
    public let count: UInt32
    public let intervalNanos: UInt64
    /// Clients counted in one window at most; past that, new clients are not counted until the next window
    /// (memory stays bounded under a flood of spoofed sources — `local-service` is the defence there).
    public static let maxClients = 65536

    private var windowStart: UInt64 = 0
    private var seen: [IPAddress: UInt32] = [:]

    /// nil when `count` or `interval` is 0 (Pi-hole: "0/0" disables rate limiting).
    public init?(count: UInt32, intervalSeconds: UInt32) {
        guard count > 0, intervalSeconds > 0 else { return nil }
        self.count = count
        intervalNanos = UInt64(intervalSeconds) * 1_000_000_000
    }

    public enum Verdict: Equatable {
        case admit
        /// Refuse; `secondsLeft` is set on the first refusal of the window (to log it once).
        case refuse(firstSecondsLeft: UInt64?)
    }

    /// Counts a query from `client` at `now` (monotonic nanoseconds).
    public mutating func check(_ client: IPAddress, now: UInt64) -> Verdict {
        if now &- windowStart >= intervalNanos || windowStart == 0 {
            windowStart = now
            seen.removeAll(keepingCapacity: seen.count < 4096)
        }
        guard let n = seen[client] else {
            if seen.count < Self.maxClients { seen[client] = 1 }
            return .admit
        }
        seen[client] = n &+ 1
        if n < count { return .admit }
        let left = (windowStart &+ intervalNanos &- now + 999_999_999) / 1_000_000_000
        return .refuse(firstSecondsLeft: n == count ? left : nil)
    }
}

extension IPAddress {
    /// 127.0.0.0/8 or ::1 (or ::ffff:127.x.y.z).
    var isLoopback: Bool {
        switch unmappedV4 {
        case .v4(let a): return a.value >> 24 == 127
        case .v6(let a): return a.high == 0 && a.low == 1
        }
    }
}
