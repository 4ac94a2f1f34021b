// Wall-clock instants for the access log, formatted the way Traefik's Go code prints them, with
// gmtime_r/localtime_r instead of Foundation. CompletedRequest carries monotonic times only, so a request's
// start is derived as (wall clock at completion − duration).
import Glibc

struct WallTime: Equatable {
    var seconds: Int
    /// 0…999_999_999.
    var nanos: Int

    static func now() -> WallTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return WallTime(seconds: ts.tv_sec, nanos: ts.tv_nsec)
    }

    /// This instant minus `ns` nanoseconds.
    func minus(nanoseconds ns: UInt64) -> WallTime {
        let total = Int64(seconds) * 1_000_000_000 + Int64(nanos) - Int64(clamping: ns)
        var s = total / 1_000_000_000, n = total % 1_000_000_000
        if n < 0 { s -= 1; n += 1_000_000_000 }
        return WallTime(seconds: Int(s), nanos: Int(n))
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Go's "02/Jan/2006:15:04:05 -0700" in UTC: "10/Nov/2009:23:00:00 +0000" (Traefik's CLF stamp).
    var commonLogUTC: String { commonLog(local: false) }

    /// The same in local time with its offset (Traefik's CLF when StartUTC is dropped and StartLocal kept).
    var commonLogLocal: String { commonLog(local: true) }

    private func commonLog(local: Bool) -> String {
        let tm = broken(local: local)
        let month = WallTime.months[Int(tm.tm_mon) % 12]
        let minutes = Int32(tm.tm_gmtoff.magnitude / 60)
        let offset = (tm.tm_gmtoff < 0 ? "-" : "+") + pad(minutes / 60) + pad(minutes % 60)
        return "\(pad(tm.tm_mday))/\(month)/\(tm.tm_year + 1900):\(pad(tm.tm_hour)):\(pad(tm.tm_min)):"
            + "\(pad(tm.tm_sec)) \(local ? offset : "+0000")"
    }

    /// Go's time.RFC3339Nano, as encoding/json writes a time.Time: fraction without trailing zeros and
    /// left out when zero; "Z" for UTC or a zero offset, else "+hh:mm".
    func rfc3339Nano(local: Bool) -> String {
        var s = rfc3339Date(local: local)
        if nanos > 0 {
            var digits = String(nanos)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            s += "." + digits
        }
        return s + zone(local: local)
    }

    /// Go's time.RFC3339 (whole seconds), as logrus stamps the `time` field.
    func rfc3339(local: Bool) -> String {
        rfc3339Date(local: local) + zone(local: local)
    }

    private func rfc3339Date(local: Bool) -> String {
        let tm = broken(local: local)
        return "\(tm.tm_year + 1900)-\(pad(tm.tm_mon + 1))-\(pad(tm.tm_mday))T\(pad(tm.tm_hour)):"
            + "\(pad(tm.tm_min)):\(pad(tm.tm_sec))"
    }

    private func zone(local: Bool) -> String {
        guard local else { return "Z" }
        let offset = broken(local: true).tm_gmtoff
        if offset == 0 { return "Z" }
        let minutes = Int32(offset.magnitude / 60)
        return (offset < 0 ? "-" : "+") + "\(pad(minutes / 60)):\(pad(minutes % 60))"
    }

    private func broken(local: Bool) -> tm {
        var t = time_t(seconds)
        var out = tm()
        if local { localtime_r(&t, &out) } else { gmtime_r(&t, &out) }
        return out
    }

    private func pad(_ v: Int32) -> String { v < 10 && v >= 0 ? "0\(v)" : "\(v)" }
}
