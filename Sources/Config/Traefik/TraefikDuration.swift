// Traefik's duration type (ptypes.Duration): a Go duration string ("30s", "1m30s", "100ms", "1.5h")
// or a bare integer meaning seconds ("30", or TOML 30). Kept as nanoseconds like Go's time.Duration.

/// A non-negative span of time as Traefik configures it.
public struct TraefikDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    public static let zero = TraefikDuration(nanoseconds: 0)

    public static func seconds(_ count: Int64) -> TraefikDuration { TraefikDuration(nanoseconds: count * 1_000_000_000) }
    public static func milliseconds(_ count: Int64) -> TraefikDuration { TraefikDuration(nanoseconds: count * 1_000_000) }

    public var seconds: Double { Double(nanoseconds) / 1e9 }
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }
    public var isZero: Bool { nanoseconds == 0 }

    public static func < (a: TraefikDuration, b: TraefikDuration) -> Bool { a.nanoseconds < b.nanoseconds }

    /// Go-like: "1m30s", "100ms", "0s".
    public var description: String {
        if nanoseconds == 0 { return "0s" }
        if nanoseconds % 1_000_000_000 != 0 {
            return nanoseconds % 1_000_000 == 0 ? "\(nanoseconds / 1_000_000)ms" : "\(nanoseconds)ns"
        }
        var rest = nanoseconds / 1_000_000_000
        var text = ""
        if rest >= 3600 { text += "\(rest / 3600)h"; rest %= 3600 }
        if rest >= 60 { text += "\(rest / 60)m"; rest %= 60 }
        if rest > 0 { text += "\(rest)s" }
        return text
    }

    /// Parses Traefik's text form: a decimal integer is seconds; otherwise Go's time.ParseDuration
    /// grammar — one or more `<decimal>[.<fraction>]<unit>` with units ns, us, µs, μs, ms, s, m, h.
    /// Returns nil for negative values (no Traefik timeout means anything negative), overflow, or junk.
    public static func parse(_ text: String) -> TraefikDuration? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        if bytes.allSatisfy(\.isDecimalDigit) {
            guard bytes.count <= 19, let count = Int64(text), count <= Int64.max / 1_000_000_000 else { return nil }
            return .seconds(count)
        }
        var index = bytes.startIndex
        if bytes[index] == UInt8(ascii: "+") { index += 1 }
        var total: Int64 = 0
        var sawComponent = false
        while index < bytes.count {
            guard let (nanos, next) = component(bytes, from: index) else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(nanos)
            guard !overflow else { return nil }
            total = sum
            index = next
            sawComponent = true
        }
        return sawComponent ? TraefikDuration(nanoseconds: total) : nil
    }

    /// One `<number><unit>` starting at `start`: its value in nanoseconds and where the next begins.
    private static func component(_ bytes: [UInt8], from start: Int) -> (Int64, Int)? {
        var index = start
        var whole: Int64 = 0
        var digits = 0
        while index < bytes.count, bytes[index].isDecimalDigit {
            guard whole < Int64.max / 10 else { return nil }
            whole = whole * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            index += 1
            digits += 1
        }
        var fraction: Int64 = 0
        var fractionScale: Int64 = 1
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, bytes[index].isDecimalDigit {
                // Digits beyond nanosecond precision of an hour cannot change the result; ignore them.
                if fractionScale < 1_000_000_000_000_000 {
                    fraction = fraction * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                    fractionScale *= 10
                }
                index += 1
                digits += 1
            }
        }
        guard digits > 0 else { return nil }
        let unitStart = index
        while index < bytes.count, !bytes[index].isDecimalDigit, bytes[index] != UInt8(ascii: ".") { index += 1 }
        guard let unit = unitNanoseconds(String(decoding: bytes[unitStart..<index], as: UTF8.self)) else { return nil }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        // fraction/fractionScale * unit, without Double rounding for the common cases ("1.5s", "0.5ms").
        let fractional = Int64((Double(fraction) / Double(fractionScale) * Double(unit)).rounded(.down))
        let (sum, overflow2) = scaled.addingReportingOverflow(fractional)
        return overflow2 ? nil : (sum, index)
    }

    private static func unitNanoseconds(_ unit: String) -> Int64? {
        switch unit {
        case "ns": return 1
        case "us", "µs", "μs": return 1_000
        case "ms": return 1_000_000
        case "s": return 1_000_000_000
        case "m": return 60_000_000_000
        case "h": return 3_600_000_000_000
        default: return nil
        }
    }
}
