// The per-label-tuple aggregates behind Traefik's four request families of one level (entry point, service
// or router): requests_total, request_duration_seconds (histogram), requests_bytes_total and
// responses_bytes_total share their label set, so one record per tuple feeds all four.
//
// Memory: one record per distinct label tuple. The tuple is (code, method, protocol, entry point | service |
// router+service); entry points, routers and services come from the configuration, codes are 100…599,
// protocol is http|websocket, so the count is bounded by config × methods × codes. Methods are kept as sent
// (as Traefik does), which a client could vary, so each group also has a hard cap (`limit`): past it, new
// tuples are not recorded and only counted in `overflowed`.

struct RequestSeries {
    var count: UInt64 = 0
    /// Observations per finite bucket, not cumulative (made cumulative when rendered).
    var buckets: [UInt64]
    var durationSum: Double = 0
    var requestBytes: UInt64 = 0
    var responseBytes: UInt64 = 0

    init(bucketCount: Int) {
        buckets = Array(repeating: 0, count: bucketCount)
    }
}

struct RequestSeriesGroup {
    /// "traefik_entrypoint_", "traefik_service_", "traefik_router_".
    let prefix: String
    /// Label names sorted as client_golang prints them; every key holds values in this order.
    let labels: [String]
    /// HELP texts of requests_total, request_duration_seconds, requests_bytes_total, responses_bytes_total.
    let helps: [String]
    let limit: Int
    private(set) var series: [[String]: RequestSeries] = [:]
    private(set) var overflowed: UInt64 = 0

    init(prefix: String, labels: [String], helps: [String], limit: Int) {
        self.prefix = prefix
        self.labels = labels
        self.helps = helps
        self.limit = limit
    }

    /// Adds one request. `bounds` are the histogram's finite upper bounds, sorted ascending; a duration
    /// equal to a bound counts in that bucket (Prometheus buckets are `le`, less-or-equal).
    mutating func observe(_ values: [String], seconds: Double, bounds: [Double], requestBytes: UInt64,
                          responseBytes: UInt64) {
        if series[values] == nil {
            guard series.count < limit else {
                overflowed &+= 1
                return
            }
            series[values] = RequestSeries(bucketCount: bounds.count)
        }
        series[values]?.add(seconds: seconds, bounds: bounds, requestBytes: requestBytes,
                            responseBytes: responseBytes)
    }

    /// Drops the tuples whose value at label `name` is not in `keep` (objects gone from the configuration).
    mutating func retain(label name: String, in keep: Set<String>) {
        guard let i = labels.firstIndex(of: name) else { return }
        series = series.filter { key, _ in i < key.count && keep.contains(key[i]) }
    }

    /// The four families, each as (name, rendered text), series sorted by label values byte-wise.
    func render(bounds: [Double], boundLabels: [String]) -> [(name: String, text: [UInt8])] {
        let keys = series.keys.sorted(by: RequestSeriesGroup.precedes)
        let total = prefix + "requests_total", duration = prefix + "request_duration_seconds"
        let inBytes = prefix + "requests_bytes_total", outBytes = prefix + "responses_bytes_total"
        var a: [UInt8] = [], b: [UInt8] = [], c: [UInt8] = [], d: [UInt8] = []
        PrometheusText.header(&a, name: total, help: helps[0], kind: "counter")
        PrometheusText.header(&b, name: duration, help: helps[1], kind: "histogram")
        PrometheusText.header(&c, name: inBytes, help: helps[2], kind: "counter")
        PrometheusText.header(&d, name: outBytes, help: helps[3], kind: "counter")
        for key in keys {
            guard let s = series[key] else { continue }
            PrometheusText.sample(&a, name: total, labels: labels, values: key, value: Double(s.count))
            var cumulative: UInt64 = 0
            for (i, le) in boundLabels.enumerated() where i < s.buckets.count {
                cumulative &+= s.buckets[i]
                PrometheusText.sample(&b, name: duration + "_bucket", labels: labels, values: key,
                                      extra: ("le", le), value: Double(cumulative))
            }
            PrometheusText.sample(&b, name: duration + "_bucket", labels: labels, values: key,
                                  extra: ("le", "+Inf"), value: Double(s.count))
            PrometheusText.sample(&b, name: duration + "_sum", labels: labels, values: key, value: s.durationSum)
            PrometheusText.sample(&b, name: duration + "_count", labels: labels, values: key,
                                  value: Double(s.count))
            PrometheusText.sample(&c, name: inBytes, labels: labels, values: key, value: Double(s.requestBytes))
            PrometheusText.sample(&d, name: outBytes, labels: labels, values: key, value: Double(s.responseBytes))
        }
        return [(total, a), (duration, b), (inBytes, c), (outBytes, d)]
    }

    /// client_golang's order: label values compared one by one, as bytes.
    static func precedes(_ x: [String], _ y: [String]) -> Bool {
        for (a, b) in zip(x, y) where a != b {
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
        return x.count < y.count
    }
}

extension RequestSeries {
    mutating func add(seconds: Double, bounds: [Double], requestBytes: UInt64, responseBytes: UInt64) {
        count &+= 1
        durationSum += seconds
        self.requestBytes &+= requestBytes
        self.responseBytes &+= responseBytes
        if let i = bounds.firstIndex(where: { seconds <= $0 }), i < buckets.count { buckets[i] &+= 1 }
    }
}
