// The supervisor's stats socket: it asks every live worker's private socket (`<stats socket>.workerI`)
// the same command and answers with the totals plus one row per worker, so `stoep stats` sees one stoep.
// - show info: the supervisor's facts, the first live worker's (backend, TLS, Docker …), summed memory
//   and connections, and `workers`: a row per worker with its state (serving, starting, restarting, dead),
//   pid, restarts, last exit, requests, DNS cache hits, misses and hit ratio;
// - show stats: counters, gauges and histograms summed over the workers (a few figures every worker
//   holds alike — uptime, reloads, blocklist size — take the largest instead), and `workers`: each
//   worker's counters and gauges as it answered them;
// - show conns: every worker's connections, each with its `worker`;
// - show config-errors: the first live worker's (all read the same files); show dns-clients: the
//   clients' counts summed by address, the top names by name.
// The questions are blocking unix-socket round trips with a 2 s limit, asked from the supervisor's loop:
// the supervisor serves nobody else, a worker answers from its own loop in well under a millisecond, and
// a wedged worker costs one stats answer 2 s, never a client.
import Glibc
import JSON
import Reactor
import Stats

final class WorkerStatsAggregate: StatsProvider {
    unowned let supervisor: WorkerSupervisor
    static let timeoutSeconds = 2
    /// Gauges and counters every worker holds the same of: the total is the largest, not the sum.
    static let sameInEveryWorker: Set<String> = ["uptime_seconds", "config_reloads", "config_reload_failures",
                                                 "dns_blocklist_names", "dns_blocklist_loads", "stats_commands"]

    init(supervisor: WorkerSupervisor) { self.supervisor = supervisor }

    /// Each worker's answer to `command` (nil: not serving, or it did not answer).
    private func ask(_ command: String) -> [(slot: WorkerSupervisor.Slot, doc: JSONValue?)] {
        supervisor.slots.map { slot in
            guard let p = slot.process, p.isReady,
                  let bytes = try? StatsClient.query(socketPath: WorkerSupervisor.socketPath(supervisor.statsPath, slot.index),
                                                     command: command, timeoutSeconds: Self.timeoutSeconds),
                  let doc = try? JSONParser.parse(bytes) else { return (slot, nil) }
            return (slot, doc)
        }
    }

    func writeInfo(into w: inout JSONWriter) {
        let infos = ask("show info")
        let stats = ask("show stats")
        let first = infos.lazy.compactMap(\.doc).first
        w.beginObject()
        w.field("version", Version.text)
        w.field("pid", Int(getpid()))
        w.field("role", "supervisor")
        w.field("uptime_s", supervisor.uptimeSeconds)
        w.field("worker_count", supervisor.slots.count)
        w.field("workers_serving", supervisor.slots.filter { $0.state == "serving" }.count)
        w.field("config_source", supervisor.source.description)
        w.field("stats_socket", supervisor.statsPath)
        w.field("rss_bytes", ProcessFacts.residentBytes() + infos.reduce(0) { $0 + Int($1.doc?["rss_bytes"]?.int64Value ?? 0) })
        w.field("open_connections", infos.reduce(0) { $0 + Int($1.doc?["open_connections"]?.int64Value ?? 0) })
        let own: Set<String> = ["version", "pid", "uptime_s", "config_source", "stats_socket", "rss_bytes", "open_connections", "worker"]
        for m in first?.objectValue ?? [] where !own.contains(m.key) {
            w.key(m.key)
            m.value.write(into: &w)
        }
        w.key("workers")
        w.beginArray()
        for (i, slot) in supervisor.slots.enumerated() {
            let info = infos[i].doc
            let counters = stats[i].doc?["counters"]
            w.beginObject()
            w.field("worker", slot.index)
            w.field("state", slot.state)
            w.field("pid", Int(slot.process?.pid ?? 0))
            w.field("restarts", slot.restarts)
            w.field("last_exit", slot.lastExit)
            if slot.lastExit != nil { w.field("last_exit_time", slot.lastExitWall) }
            if let info {
                w.field("uptime_s", info["uptime_s"]?.doubleValue ?? 0)
                w.field("rss_bytes", Int(info["rss_bytes"]?.int64Value ?? 0))
                w.field("open_connections", Int(info["open_connections"]?.int64Value ?? 0))
            }
            if let counters {
                let hits = Self.total(counters, "dns_cache_hits"), misses = Self.total(counters, "dns_cache_misses")
                w.field("http_requests", Self.total(counters, "http_requests"))
                w.field("forward_accepted", Self.total(counters, "forward_accepted"))
                w.field("dns_queries", Self.total(counters, "dns_queries"))
                w.field("dns_cache_hits", hits)
                w.field("dns_cache_misses", misses)
                w.field("dns_cache_hit_ratio", hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses))
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    /// The sum of every series of counter `name` in a `show stats` "counters" object.
    static func total(_ counters: JSONValue, _ name: String) -> UInt64 {
        (counters[name]?.arrayValue ?? []).reduce(0) { $0 &+ UInt64(clamping: $1["value"]?.int64Value ?? 0) }
    }

    func writeStats(into w: inout JSONWriter) {
        let answers = ask("show stats")
        let r = StatsRegistry()
        for case let doc? in answers.map(\.doc) {
            for (name, series) in Self.families(doc["counters"]) {
                let c = r.counter(name, labels: series.labels)
                let v = UInt64(clamping: series.value["value"]?.int64Value ?? 0)
                c.value = Self.sameInEveryWorker.contains(name) ? max(c.value, v) : c.value &+ v
            }
            for (name, series) in Self.families(doc["gauges"]) {
                let g = r.gauge(name, labels: series.labels)
                let v = series.value["value"]?.int64Value ?? 0
                g.set(Self.sameInEveryWorker.contains(name) ? max(g.value, v) : g.value &+ v)
            }
            for (name, series) in Self.families(doc["histograms"]) {
                let h = series.value
                let buckets = (h["buckets"]?.arrayValue ?? []).compactMap { b -> (lower: UInt64, count: UInt64)? in
                    guard let lower = b[0]?.int64Value, let n = b[2]?.int64Value else { return nil }
                    return (UInt64(clamping: lower), UInt64(clamping: n))
                }
                func u(_ k: String) -> UInt64 { UInt64(clamping: h[k]?.int64Value ?? 0) }
                r.histogram(name, labels: series.labels).merge(count: u("count"), sum: u("sum_us"), min: u("min_us"), max: u("max_us"), buckets: buckets)
            }
        }
        var totals = JSONWriter()
        r.writeJSON(into: &totals)
        guard case .object(var members)? = try? JSONParser.parse(totals.bytes) else { return r.writeJSON(into: &w) }
        var rows: [JSONValue] = []
        for (slot, doc) in answers {
            var row: [JSONMember] = [JSONMember("worker", .int(Int64(slot.index))), JSONMember("state", .string(slot.state)),
                                     JSONMember("pid", .int(Int64(slot.process?.pid ?? 0)))]
            if let doc {
                row.append(JSONMember("counters", doc["counters"] ?? .object([])))
                row.append(JSONMember("gauges", doc["gauges"] ?? .object([])))
            }
            rows.append(.object(row))
        }
        members.append(JSONMember("workers", .array(rows)))
        JSONValue.object(members).write(into: &w)
    }

    /// (name, (labels, series object)) for each series of a `show stats` "counters"/"gauges"/"histograms" object.
    private static func families(_ v: JSONValue?) -> [(String, (labels: [(String, String)], value: JSONValue))] {
        var out: [(String, (labels: [(String, String)], value: JSONValue))] = []
        for family in v?.objectValue ?? [] {
            for s in family.value.arrayValue ?? [] {
                let labels = (s["labels"]?.objectValue ?? []).map { ($0.key, $0.value.stringValue ?? "") }
                out.append((family.key, (labels, s)))
            }
        }
        return out
    }

    func writeConfigErrors(into w: inout JSONWriter) {
        for (_, doc) in ask("show config-errors") {
            if let doc { return doc.write(into: &w) }
        }
        w.beginObject()
        w.key("errors")
        w.beginArray()
        w.endArray()
        w.endObject()
    }

    func writeDNSClients(into w: inout JSONWriter) {
        let docs = ask("show dns-clients").compactMap(\.doc)
        var queries: Int64 = 0
        var clients: [String: [String: Int64]] = [:]
        var names: [String: [String: Int64]] = [:]
        for d in docs {
            queries += d["queries"]?.int64Value ?? 0
            for key in ["clients", "top_names", "top_blocked"] {
                for e in d[key]?.arrayValue ?? [] {
                    let id = key == "clients" ? (e["address"]?.stringValue ?? "?") : key + "\u{0}" + (e["name"]?.stringValue ?? "?")
                    for m in e.objectValue ?? [] where m.value.int64Value != nil {
                        if key == "clients" { clients[id, default: [:]][m.key, default: 0] += m.value.int64Value! }
                        else { names[id, default: [:]][m.key, default: 0] += m.value.int64Value! }
                    }
                }
            }
        }
        w.beginObject()
        w.field("queries", queries)
        w.key("clients")
        w.beginArray()
        for (address, counts) in clients.sorted(by: { ($0.value["queries"] ?? 0) > ($1.value["queries"] ?? 0) }).prefix(Appliance.dnsClientsShown) {
            w.beginObject()
            w.field("address", address)
            for (k, v) in counts.sorted(by: { $0.key < $1.key }) { w.field(k, v) }
            w.endObject()
        }
        w.endArray()
        for key in ["top_names", "top_blocked"] {
            w.key(key)
            w.beginArray()
            let mine = names.filter { $0.key.hasPrefix(key + "\u{0}") }.sorted { ($0.value["queries"] ?? 0) > ($1.value["queries"] ?? 0) }
            for (id, counts) in mine.prefix(Appliance.dnsNamesShown) {
                w.beginObject()
                w.field("name", String(id.dropFirst(key.count + 1)))
                for (k, v) in counts.sorted(by: { $0.key < $1.key }) { w.field(k, v) }
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
    }

    /// Every serving worker's Prometheus text, summed (PrometheusTextSum); nil when none answered.
    func summedMetrics() -> [UInt8]? {
        let texts = ask("show metrics").compactMap { $0.doc?["text"]?.stringValue }.filter { !$0.isEmpty }
        return texts.isEmpty ? nil : PrometheusTextSum.merge(texts.map { Array($0.utf8) })
    }

    func writeMetrics(into w: inout JSONWriter) {
        w.beginObject()
        w.field("text", summedMetrics().map { String(decoding: $0, as: UTF8.self) } ?? "")
        w.endObject()
    }

    func connectionSnapshot() -> [ConnectionDescribing] {
        var rows: [ConnectionDescribing] = []
        for (slot, doc) in ask("show conns") {
            for c in doc?["conns"]?.arrayValue ?? [] { rows.append(WorkerConnectionRow(worker: slot.index, row: c)) }
        }
        return rows
    }
}

/// One worker's `show conns` row, written again with the worker's index.
final class WorkerConnectionRow: ConnectionDescribing {
    let worker: Int
    let row: JSONValue
    init(worker: Int, row: JSONValue) {
        self.worker = worker
        self.row = row
    }

    func describe(into w: inout JSONWriter, now: UInt64) {
        JSONValue.object([JSONMember("worker", .int(Int64(worker)))] + (row.objectValue ?? [])).write(into: &w)
    }
}
