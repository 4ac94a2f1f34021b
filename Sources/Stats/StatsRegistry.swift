// StatsRegistry: the one place that knows every counter, gauge and histogram of the process, so that
// `show stats` (and later /metrics) can list them. Components register a series once and keep the returned
// handle; the hot path then touches only the handle. Single-threaded by design (the reactor thread owns it):
// no locks, and registration is not meant for the per-request path.
//
// A series is a metric name ("forward.bytes_in") plus an ordered label list ([("forward", "fw1")]).
// Registering the same name and labels again returns the existing handle, so a config reload can simply
// re-register what it needs. JSON schema: see `writeJSON(into:)` and docs/stats.md.
import JSON

/// What the registry needs from a handle to group it into families.
protocol StatsSeries: AnyObject {
    var name: String { get }
    var labels: [StatsLabel] { get }
}

extension Counter: StatsSeries {}
extension Gauge: StatsSeries {}
extension Histogram: StatsSeries {}

/// Series of one kind grouped by name, in registration order (names first seen first).
struct SeriesFamilies<Series: StatsSeries> {
    private(set) var names: [String] = []
    private(set) var seriesByFamily: [[Series]] = []
    private var familyIndex: [String: Int] = [:]

    mutating func series(name: String, labels: [StatsLabel], make: () -> Series) -> Series {
        if let family = familyIndex[name] {
            if let existing = seriesByFamily[family].first(where: { $0.labels == labels }) {
                return existing
            }
            let created = make()
            seriesByFamily[family].append(created)
            return created
        }
        let created = make()
        familyIndex[name] = names.count
        names.append(name)
        seriesByFamily.append([created])
        return created
    }

    /// Drops every series for which `shouldRemove` is true; families left empty stay (they print nothing).
    mutating func removeAll(where shouldRemove: (Series) -> Bool) {
        for family in seriesByFamily.indices {
            seriesByFamily[family].removeAll(where: shouldRemove)
        }
    }

    var seriesCount: Int {
        seriesByFamily.reduce(0) { $0 + $1.count }
    }
}

public final class StatsRegistry {
    private var counters = SeriesFamilies<Counter>()
    private var gauges = SeriesFamilies<Gauge>()
    private var histograms = SeriesFamilies<Histogram>()

    public init() {}

    // MARK: Registration (not for the hot path)

    public func counter(_ name: String, labels: [(String, String)] = []) -> Counter {
        let labels = labels.map { StatsLabel($0.0, $0.1) }
        return counters.series(name: name, labels: labels) { Counter(name: name, labels: labels) }
    }

    public func gauge(_ name: String, labels: [(String, String)] = []) -> Gauge {
        let labels = labels.map { StatsLabel($0.0, $0.1) }
        return gauges.series(name: name, labels: labels) { Gauge(name: name, labels: labels) }
    }

    public func histogram(_ name: String, labels: [(String, String)] = []) -> Histogram {
        let labels = labels.map { StatsLabel($0.0, $0.1) }
        return histograms.series(name: name, labels: labels) { Histogram(name: name, labels: labels) }
    }

    /// Reports a histogram a component owns (e.g. one per upstream server); the same object stays live.
    public func add(_ h: Histogram) {
        _ = histograms.series(name: h.name, labels: h.labels) { h }
    }

    /// Removes every series carrying `label` (e.g. ("router", "web") after that router left the config).
    /// Handles held elsewhere keep working but are no longer reported.
    public func removeSeries(labeled label: StatsLabel) {
        counters.removeAll { $0.labels.contains(label) }
        gauges.removeAll { $0.labels.contains(label) }
        histograms.removeAll { $0.labels.contains(label) }
    }

    /// Number of registered series of all kinds.
    public var seriesCount: Int {
        counters.seriesCount + gauges.seriesCount + histograms.seriesCount
    }

    // MARK: JSON

    /// Writes the whole registry as one JSON object:
    ///
    ///     {"counters":   {"<name>": [{"labels": {"<k>": "<v>", …}, "value": <uint>}, …], …},
    ///      "gauges":     {"<name>": [{"labels": {…}, "value": <int>}, …], …},
    ///      "histograms": {"<name>": [{"labels": {…}, "count": <uint>, "sum_us": <uint>,
    ///                                 "min_us": <uint>, "max_us": <uint>, "mean_us": <number>,
    ///                                 "p50_us": <uint>, "p90_us": <uint>, "p99_us": <uint>,
    ///                                 "buckets": [[<lower_us>, <upper_us or null>, <count>], …]}, …], …}}
    ///
    /// Every name maps to an array of series, even when the name has a single unlabeled series (its
    /// "labels" is then {}), so consumers never branch on the shape. Names and series appear in
    /// registration order. Histogram buckets are listed only when non-empty, not cumulative, with the lower
    /// bound inclusive and the upper bound exclusive (null for the overflow bucket, ≥ 67 s); min/max are 0
    /// when count is 0.
    public func writeJSON(into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("counters")
        writeFamilies(counters, into: &writer) { counter, writer in
            writer.field("value", counter.value)
        }
        writer.key("gauges")
        writeFamilies(gauges, into: &writer) { gauge, writer in
            writer.field("value", gauge.value)
        }
        writer.key("histograms")
        writeFamilies(histograms, into: &writer) { histogram, writer in
            StatsRegistry.writeHistogramFields(histogram, into: &writer)
        }
        writer.endObject()
    }

    private func writeFamilies<Series: StatsSeries>(
        _ families: SeriesFamilies<Series>,
        into writer: inout JSONWriter,
        fields: (Series, inout JSONWriter) -> Void
    ) {
        writer.beginObject()
        for (family, name) in families.names.enumerated() {
            let series = families.seriesByFamily[family]
            if series.isEmpty { continue }
            writer.key(name)
            writer.beginArray()
            for one in series {
                writer.beginObject()
                writer.key("labels")
                writer.beginObject()
                for label in one.labels {
                    writer.field(label.key, label.value)
                }
                writer.endObject()
                fields(one, &writer)
                writer.endObject()
            }
            writer.endArray()
        }
        writer.endObject()
    }

    private static func writeHistogramFields(_ histogram: Histogram, into writer: inout JSONWriter) {
        let empty = histogram.count == 0
        writer.field("count", histogram.count)
        writer.field("sum_us", histogram.sum)
        writer.field("min_us", empty ? 0 : histogram.min)
        writer.field("max_us", histogram.max)
        writer.field("mean_us", (histogram.mean * 10).rounded() / 10)
        writer.field("p50_us", histogram.percentile(0.50))
        writer.field("p90_us", histogram.percentile(0.90))
        writer.field("p99_us", histogram.percentile(0.99))
        writer.key("buckets")
        writer.beginArray()
        for (index, count) in histogram.buckets.enumerated() where count > 0 {
            writer.beginArray()
            writer.uint64(Histogram.lowerBound(ofBucket: index))
            if let upper = Histogram.upperBound(ofBucket: index) {
                writer.uint64(upper)
            } else {
                writer.null()
            }
            writer.uint64(count)
            writer.endArray()
        }
        writer.endArray()
    }
}
