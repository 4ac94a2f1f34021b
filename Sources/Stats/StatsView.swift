// StatsView: renders `show stats` (+ `show info`) documents as readable text tables for `stoep stats`, and
// the `--watch` frame with per-second counter rates between two snapshots. Pure functions of parsed JSON,
// so they are tested without a socket. Missing or mistyped fields render as "-", never crash.
import JSON

public enum StatsView {
    /// One metric series flattened for display: "forward.bytes_in{forward=fw1}" and its JSON object.
    struct Row {
        var title: String
        var series: JSONValue
    }

    /// The full `show stats` view: an info header line (when `info` is given), then tables of counters,
    /// gauges and histograms. Sections without series are left out.
    public static func render(stats: JSONValue, info: JSONValue?) -> String {
        var text = ""
        if let info { text += header(info: info) + "\n\n" }
        text += sections(stats: stats, counterRates: nil)
        return text
    }

    /// A `--watch` frame: like `render`, with a "/s" column for counters computed against `previous`
    /// taken `intervalSeconds` earlier. Rates are "-" for the first frame, for series that are new, and when
    /// a counter went backwards (stoep restarted).
    public static func renderWatch(
        previous: JSONValue?,
        current: JSONValue,
        info: JSONValue?,
        intervalSeconds: Double
    ) -> String {
        var rates: [String: String] = [:]
        let before = Dictionary(
            rows(current: previous?["counters"]).map { ($0.title, number($0.series["value"])) },
            uniquingKeysWith: { first, _ in first })
        for row in rows(current: current["counters"]) {
            guard let now = number(row.series["value"]), let earlier = before[row.title] ?? nil,
                  now >= earlier, intervalSeconds > 0 else {
                rates[row.title] = "-"
                continue
            }
            rates[row.title] = TextFormat.rate((now - earlier) / intervalSeconds)
        }
        var text = ""
        if let info { text += header(info: info) + "\n" }
        text += "every " + TextFormat.fixed(intervalSeconds, decimals: intervalSeconds < 10 ? 1 : 0) + "s\n\n"
        text += sections(stats: current, counterRates: rates)
        return text
    }

    /// One line summarising `show info`: "stoep 0.1.0  pid 42  up 3m05s  backend io_uring  rss 5.2 MiB
    /// config /etc/stoep.yml", then any other scalar fields as "key value".
    public static func header(info: JSONValue) -> String {
        var parts: [String] = []
        let known = ["version", "pid", "uptime_s", "backend", "rss_bytes", "config_source"]
        parts.append("stoep " + (info["version"]?.stringValue ?? "?"))
        if let pid = info["pid"]?.int64Value { parts.append("pid \(pid)") }
        if let uptime = info["uptime_s"]?.doubleValue { parts.append("up " + TextFormat.duration(seconds: uptime)) }
        if let backend = info["backend"]?.stringValue { parts.append("backend " + backend) }
        if let rss = info["rss_bytes"]?.doubleValue { parts.append("rss " + TextFormat.bytes(rss)) }
        if let source = info["config_source"]?.stringValue { parts.append("config " + source) }
        for member in info.objectValue ?? [] where !known.contains(member.key) {
            if let shown = scalarText(member.value) { parts.append(member.key + " " + shown) }
        }
        return parts.joined(separator: "  ")
    }

    // MARK: Sections

    private static func sections(stats: JSONValue, counterRates: [String: String]?) -> String {
        var blocks: [String] = []
        let counterRows = rows(current: stats["counters"])
        if !counterRows.isEmpty {
            var table = TextTable(header: counterRates == nil ? ["COUNTER", "VALUE"] : ["COUNTER", "VALUE", "/s"])
            for row in counterRows {
                var cells = [row.title, integerText(row.series["value"])]
                if let counterRates { cells.append(counterRates[row.title] ?? "-") }
                table.append(cells)
            }
            blocks.append(table.render())
        }
        let gaugeRows = rows(current: stats["gauges"])
        if !gaugeRows.isEmpty {
            var table = TextTable(header: ["GAUGE", "VALUE"])
            for row in gaugeRows { table.append([row.title, integerText(row.series["value"])]) }
            blocks.append(table.render())
        }
        let histogramRows = rows(current: stats["histograms"])
        if !histogramRows.isEmpty {
            var table = TextTable(header: ["HISTOGRAM", "COUNT", "MEAN", "P50", "P90", "P99", "MAX"])
            for row in histogramRows {
                let series = row.series
                table.append([
                    row.title, integerText(series["count"]), latency(series["mean_us"]), latency(series["p50_us"]),
                    latency(series["p90_us"]), latency(series["p99_us"]), latency(series["max_us"]),
                ])
            }
            blocks.append(table.render())
        }
        if blocks.isEmpty { return "(no metrics registered)\n" }
        return blocks.joined(separator: "\n")
    }

    /// Flattens {"name": [{"labels": {...}, ...}, ...], ...} into titled rows in document order.
    static func rows(current family: JSONValue?) -> [Row] {
        var result: [Row] = []
        for member in family?.objectValue ?? [] {
            for series in member.value.arrayValue ?? [] {
                result.append(Row(title: member.key + labelSuffix(series["labels"]), series: series))
            }
        }
        return result
    }

    /// "{forward=fw1,router=web}" for a labels object, "" when there are none.
    static func labelSuffix(_ labels: JSONValue?) -> String {
        guard let members = labels?.objectValue, !members.isEmpty else { return "" }
        let pairs = members.map { $0.key + "=" + (scalarText($0.value) ?? "?") }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    // MARK: Cells

    static func number(_ value: JSONValue?) -> Double? {
        value?.doubleValue
    }

    static func integerText(_ value: JSONValue?) -> String {
        if let exact = value?.int64Value { return String(exact) }
        if let approximate = value?.doubleValue { return TextFormat.fixed(approximate, decimals: 0) }
        return "-"
    }

    static func latency(_ value: JSONValue?) -> String {
        guard let microseconds = value?.doubleValue else { return "-" }
        return TextFormat.microseconds(microseconds)
    }

    static func scalarText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .double(let number): return number.description
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        case .array, .object: return nil
        }
    }
}
