// TextTable and TextFormat: plain-text layout for `stoep stats` (no Foundation, so no String(format:)).

/// Columns padded to their widest cell. By default the first column is left-aligned and the others are
/// right-aligned (numbers); pass `alignments` to choose per column.
public struct TextTable {
    public enum Alignment: Sendable { case left, right }

    public var header: [String]
    public var alignments: [Alignment]
    public var rows: [[String]] = []

    public init(header: [String], alignments: [Alignment]? = nil) {
        self.header = header
        self.alignments = alignments ?? [.left] + Array(repeating: .right, count: max(header.count - 1, 0))
    }

    public mutating func append(_ row: [String]) {
        rows.append(row)
    }

    /// The table as text, one line per row plus the header, each line ending in "\n".
    public func render() -> String {
        let all = [header] + rows
        let columns = all.map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: columns)
        for row in all {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.count)
            }
        }
        var text = ""
        for row in all {
            var line = ""
            for column in 0..<columns {
                let cell = column < row.count ? row[column] : ""
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                let alignment = column < alignments.count ? alignments[column] : .right
                if column > 0 { line += "  " }
                line += alignment == .left ? cell + padding : padding + cell
            }
            while line.hasSuffix(" ") { line.removeLast() }
            text += line + "\n"
        }
        return text
    }
}

public enum TextFormat {
    /// `value` with exactly `decimals` digits after the point, rounded half away from zero: 1.25 → "1.3".
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<max(decimals, 0) { scale *= 10 }
        let scaled = (value.magnitude * scale).rounded()
        guard scaled < 9.0e18 else { return value.description }
        let units = UInt64(scaled)
        let sign = value < 0 && units > 0 ? "-" : ""
        let whole = units / UInt64(scale)
        guard decimals > 0 else { return sign + String(whole) }
        var fraction = String(units % UInt64(scale))
        while fraction.count < decimals { fraction = "0" + fraction }
        return sign + String(whole) + "." + fraction
    }

    /// A latency in µs in the unit that keeps it short: "850µs", "12.3ms", "1.20s".
    public static func microseconds(_ value: Double) -> String {
        if value < 1000 { return fixed(value, decimals: 0) + "µs" }
        if value < 1_000_000 { return fixed(value / 1000, decimals: value < 100_000 ? 1 : 0) + "ms" }
        return fixed(value / 1_000_000, decimals: 2) + "s"
    }

    /// A byte size with binary units: "512 B", "4.0 KiB", "5.2 MiB".
    public static func bytes(_ value: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var scaled = value
        var unit = 0
        while scaled.magnitude >= 1024 && unit < units.count - 1 {
            scaled /= 1024
            unit += 1
        }
        return (unit == 0 ? fixed(scaled, decimals: 0) : fixed(scaled, decimals: 1)) + " " + units[unit]
    }

    /// A duration in seconds as "45s", "3m05s", "2h03m", "4d02h".
    public static func duration(seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "-" }
        let total = UInt64(seconds)
        let days = total / 86_400, hours = total / 3600 % 24, minutes = total / 60 % 60, secs = total % 60
        if days > 0 { return "\(days)d" + twoDigits(hours) + "h" }
        if hours > 0 { return "\(hours)h" + twoDigits(minutes) + "m" }
        if minutes > 0 { return "\(minutes)m" + twoDigits(secs) + "s" }
        return "\(secs)s"
    }

    /// A per-second rate: one decimal below 100, whole numbers above.
    public static func rate(_ perSecond: Double) -> String {
        perSecond.magnitude < 100 ? fixed(perSecond, decimals: 1) : fixed(perSecond, decimals: 0)
    }

    private static func twoDigits(_ value: UInt64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
