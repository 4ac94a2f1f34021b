// When a certificate is renewed and how often the store is checked, as Traefik decides from
// `certificatesDuration` (pkg/provider/acme getCertificateRenewDurations), and how failures back off so
// that a broken name never hammers the CA (Let's Encrypt allows 5 failed validations per account,
// host name and hour): a CA that cannot be reached is retried soon (10 s, doubling to an hour); a CA
// that answered with a refusal (a failed challenge, a rate limit) only after 15 minutes, doubling to a day.

public struct RenewalPolicy: Sendable, Equatable {
    /// Renew when less than this is left (seconds).
    public let renewBefore: Int64
    /// Check the stored certificates this often (seconds).
    public let checkInterval: Int64

    /// Traefik's table, by the configured lifetime in hours.
    public init(certificatesDurationHours h: Int64) {
        let hour: Int64 = 3600, day = 24 * hour
        switch h {
        case (365 * 24)...: (renewBefore, checkInterval) = (4 * 30 * day, 7 * day)
        case (3 * 30 * 24)...: (renewBefore, checkInterval) = (30 * day, day)
        case (30 * 24)...: (renewBefore, checkInterval) = (10 * day, 12 * hour)
        case (6 * 24)...: (renewBefore, checkInterval) = (2 * day, 2 * hour)
        case 24...: (renewBefore, checkInterval) = (6 * hour, 10 * 60)
        default: (renewBefore, checkInterval) = (20 * 60, 60)
        }
    }

    /// stoep's community CA: renew at two thirds of the lifetime, check every tenth of it (at least a minute).
    public init(localLifetimeSeconds life: Int64) {
        renewBefore = life / 3
        checkInterval = max(60, life / 10)
    }

    public func due(notAfter: Int64, now: Int64) -> Bool { notAfter - now < renewBefore }

    /// Seconds to wait after the `failures`-th failure in a row.
    public static func backoff(failures: Int, caAnswered: Bool) -> Int64 {
        let (base, cap): (Int64, Int64) = caAnswered ? (15 * 60, 24 * 3600) : (10, 3600)
        let shift = min(max(failures - 1, 0), 20)
        return min(cap, base << Int64(shift))
    }
}
