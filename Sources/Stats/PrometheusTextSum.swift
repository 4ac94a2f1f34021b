// The Prometheus text of N workers as one process would have written it, so a scrape of any worker sees
// one Traefik (docs/architecture.md, "Workers"). Every sample line `name{labels} value` is summed by its
// `name{labels}` — counters, gauges of open things, and histograms' cumulative buckets, `_sum` and `_count`
// all add up — except the families every worker holds the same value of (a reload happens in each
// worker; each checks the same certificate), which take the largest, and those that are a yes/no per
// worker (last reload succeeded, server up), which take the smallest: one worker's "no" is the box's.
// `# HELP`/`# TYPE` lines are kept once; each family's lines stay together, in the order first seen.

public enum PrometheusTextSum {
    static let largest: Set<String> = ["traefik_config_reloads_total", "traefik_config_last_reload_success_timestamp_seconds",
                                       "traefik_tls_certs_not_after", "stoep_dns_cache_entries_max"]
    static let smallest: Set<String> = ["traefik_config_last_reload_success", "traefik_service_server_up"]

    public static func merge(_ texts: [[UInt8]]) -> [UInt8] {
        // The text format wants each family's lines together: samples belong to the family named by the
        // `# HELP`/`# TYPE` lines before them, and a family keeps the place where it was first seen.
        var familyOrder: [String] = []
        var families: [String: (comments: [String], series: [String])] = [:]
        var values: [String: Double] = [:]
        for text in texts {
            var family = ""
            for line in String(decoding: text, as: UTF8.self).split(separator: "\n") {
                if line.hasPrefix("#") {
                    let words = line.split(separator: " ", maxSplits: 3)
                    if words.count >= 3 { family = String(words[2]) }
                    if families[family] == nil { families[family] = ([], []); familyOrder.append(family) }
                    if !families[family]!.comments.contains(String(line)) { families[family]!.comments.append(String(line)) }
                    continue
                }
                guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else { continue }
                let key = String(line[..<space])
                if families[family] == nil { families[family] = ([], []); familyOrder.append(family) }
                guard let old = values[key] else {
                    values[key] = v
                    families[family]!.series.append(key)
                    continue
                }
                let name = String(key.prefix { $0 != "{" })
                values[key] = largest.contains(name) ? max(old, v) : smallest.contains(name) ? min(old, v) : old + v
            }
        }
        var out = ""
        for name in familyOrder {
            guard let f = families[name] else { continue }
            for c in f.comments { out += c + "\n" }
            for key in f.series { out += key + " " + format(values[key] ?? 0) + "\n" }
        }
        return Array(out.utf8)
    }

    /// Integers without a fraction (counters stay "42", not "42.0"); others as Swift writes a Double,
    /// which Prometheus reads (1.5e-05, +Inf).
    static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        return String(v)
    }
}
