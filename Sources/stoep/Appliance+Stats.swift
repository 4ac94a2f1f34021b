// What the stats socket and the status page show: the appliance's facts and live counters.
import Config
import DNS
import Glibc
import Proxy
import Reactor
import Stats

extension Appliance: StatsProvider {
    var uptimeSeconds: Double { Double(monotonicNanos() &- startedAt) / 1e9 }

    func writeInfo(into w: inout JSONWriter) {
        w.beginObject()
        w.field("version", Version.text)
        w.field("pid", Int(getpid()))
        w.field("uptime_s", uptimeSeconds)
        w.field("backend", loop.backendKind.rawValue)
        w.key("backend_features")
        w.beginArray()
        for f in loop.backendFeatures { w.string(f) }
        w.endArray()
        w.field("threads", ProcessFacts.threadCount())
        w.field("rss_bytes", ProcessFacts.residentBytes())
        w.field("config_source", source.description)
        w.field("stats_socket", statsPath)
        w.field("open_connections", openConnections)
        w.field("shutting_down", shuttingDown)
        w.endObject()
    }

    func writeStats(into w: inout JSONWriter) {
        w.beginObject()
        w.field("uptime_s", uptimeSeconds)
        w.key("reactor")
        w.beginObject()
        w.field("backend", loop.backendKind.rawValue)
        w.field("turns", loop.turns)
        w.field("registered_fds", loop.registered)
        w.field("log_lines_dropped", log.dropped)
        w.endObject()
        w.key("pipes")
        w.beginObject()
        w.field("size", pool.size)
        w.field("limit", pool.limit)
        w.field("live", pool.live)
        w.field("in_use", pool.inUse)
        w.field("exhausted", pool.exhausted)
        w.endObject()
        w.key("forward")
        w.beginArray()
        for fw in forwarders.values.sorted(by: { $0.settings.name < $1.settings.name }) + retired {
            let c = fw.counters
            w.beginObject()
            w.field("name", fw.settings.name)
            w.field("listen", fw.settings.listen)
            w.field("upstream", fw.settings.upstream)
            w.field("accepted", c.accepted)
            w.field("active", fw.relays.count)
            w.field("completed", c.completed)
            w.field("connect_failures", c.connectFailures)
            w.field("connect_timeouts", c.connectTimeouts)
            w.field("idle_timeouts", c.idleTimeouts)
            w.field("resets", c.resets)
            w.field("bytes_up", c.bytes.bytesUp)
            w.field("bytes_down", c.bytes.bytesDown)
            w.field("bytes_spliced", c.bytes.splicedBytes)
            w.field("bytes_copied", c.bytes.copiedBytes)
            w.endObject()
        }
        w.endArray()
        w.key("http")
        w.beginArray()
        for p in statusPages.values.sorted(by: { $0.name < $1.name }) {
            w.beginObject()
            w.field("entrypoint", p.name)
            w.field("address", p.listenAddress)
            w.field("connections", p.counters.connections)
            w.field("open", p.counters.open)
            w.field("requests", p.counters.requests)
            w.field("bad_requests", p.counters.badRequests)
            w.endObject()
        }
        w.endArray()
        if let dns { writeDNSStats(dns, into: &w) }
        w.key("stats_socket")
        w.beginObject()
        w.field("commands", stats?.commands ?? 0)
        w.endObject()
        w.key("config")
        w.beginObject()
        w.field("reloads", reloads)
        w.field("reload_failures", reloadFailures)
        w.endObject()
        w.endObject()
    }

    func writeConfigErrors(into w: inout JSONWriter) {
        w.beginObject()
        w.key("errors")
        w.beginArray()
        for e in configErrors {
            w.beginObject()
            w.field("source", e.location?.file ?? source.description)
            w.field("line", e.location?.line ?? 0)
            w.field("message", e.message)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    func connectionSnapshot() -> [ConnectionDescribing] {
        var rows: [ConnectionDescribing] = []
        for fw in forwarders.values { rows.append(contentsOf: fw.relays.values.map { $0 as ConnectionDescribing }) }
        for fw in retired { rows.append(contentsOf: fw.relays.values.map { $0 as ConnectionDescribing }) }
        return rows
    }

    /// The status page of entry points without routes: HTML and JSON of the same facts.
    func statusBodies() -> (html: String, json: String) {
        var w = JSONWriter()
        writeStats(into: &w)
        let json = String(decoding: w.bytes, as: UTF8.self)
        let rows = forwarders.values.map { "<tr><td>\($0.settings.name)</td><td>\($0.settings.listen)</td><td>\($0.settings.upstream)</td><td>\($0.relays.count)</td></tr>" }.joined()
        let html = """
        <!doctype html><html><head><meta charset="utf-8"><title>stoep</title></head><body>
        <h1>stoep \(Version.text)</h1>
        <p>Up \(Int(uptimeSeconds)) s on \(loop.backendKind.rawValue), \(ProcessFacts.residentBytes() / 1024) KiB resident,
        \(openConnections) open connections. Configuration: \(source.description).</p>
        <p>DNS: \(dns?.summary ?? "off"). Stats socket: <code>\(statsPath)</code> (<code>stoep stats</code>).</p>
        <table><tr><th>forward</th><th>listen</th><th>upstream</th><th>active</th></tr>\(rows)</table>
        <p><a href="/status.json">status.json</a></p></body></html>

        """
        return (html, json)
    }
}

enum Version {
    static let text = "0.1.0"
}

extension Appliance {
    func writeDNSStats(_ dns: DNSService, into w: inout JSONWriter) {
        let c = dns.counters
        w.key("dns")
        w.beginObject()
        w.key("listen")
        w.beginArray()
        for a in dns.addresses { w.string(a) }
        w.endArray()
        w.field("queries", c.queries)
        w.field("queries_udp", c.queriesUDP)
        w.field("queries_tcp", c.queriesTCP)
        w.field("local", c.local)
        w.field("refused", c.refused)
        w.field("dropped", c.dropped)
        w.field("send_errors", c.sendErrors)
        w.field("tcp_connections", c.tcpConnections)
        w.key("by_type")
        w.beginObject()
        for (t, n) in c.byType.sorted(by: { $0.key < $1.key }) { w.field(DNSRecordType(rawValue: t).description, n) }
        w.endObject()
        w.key("by_rcode")
        w.beginObject()
        for (r, n) in c.byRcode.sorted(by: { $0.key < $1.key }) { w.field(DNSResponseCode(rawValue: r).description, n) }
        w.endObject()
        w.endObject()
    }
}
