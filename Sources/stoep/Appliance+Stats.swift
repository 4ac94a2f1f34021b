// What the stats socket and the status page show: the appliance's facts and live counters.
import Config
import DNS
import Glibc
import JSON
import Proxy
import Reactor
import Stats

extension Appliance: StatsProvider {
    var uptimeSeconds: Double { Double(monotonicNanos() &- startedAt) / 1e9 }

    func writeInfo(into w: inout JSONWriter) {
        w.beginObject()
        w.field("version", Version.text)
        w.field("pid", Int(getpid()))
        if let workerIndex { w.field("worker", workerIndex) }
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
        tls.writeInfo(into: &w)
        dynamic.certificates?.resolvers.writeInfo(into: &w)
        dynamic.certificateSharing?.writeInfo(into: &w)
        dynamic.writeDockerInfo(into: &w)
        writeClusterInfo(into: &w)
        w.endObject()
    }

    /// `show stats`: every counter of the appliance as registry series (schema in docs/stats.md). The
    /// components keep plain counters on their hot paths; they are collected into a registry here.
    func writeStats(into w: inout JSONWriter) {
        let r = StatsRegistry()
        func c(_ name: String, _ v: UInt64, _ labels: [(String, String)] = []) { r.counter(name, labels: labels).value = v }
        func g(_ name: String, _ v: Int, _ labels: [(String, String)] = []) { r.gauge(name, labels: labels).set(Int64(v)) }
        g("uptime_seconds", Int(uptimeSeconds))
        g("rss_bytes", ProcessFacts.residentBytes())
        g("open_connections", openConnections)
        c("reactor_turns", loop.turns)
        g("reactor_registered_fds", loop.registered)
        c("log_lines_dropped", log.dropped)
        g("pipes_live", pool.live)
        g("pipes_in_use", pool.inUse)
        c("pipes_exhausted", pool.exhausted)
        for fw in forwarders.all {
            let l = [("forward", fw.settings.name)]
            let k = fw.counters
            c("forward_accepted", k.accepted, l)
            g("forward_active", fw.relays.count, l)
            c("forward_completed", k.completed, l)
            c("forward_connect_failures", k.connectFailures, l)
            c("forward_connect_timeouts", k.connectTimeouts, l)
            c("forward_idle_timeouts", k.idleTimeouts, l)
            c("forward_resets", k.resets, l)
            c("forward_bytes", k.bytes.bytesUp, l + [("direction", "up")])
            c("forward_bytes", k.bytes.bytesDown, l + [("direction", "down")])
            c("forward_bytes_spliced", k.bytes.splicedBytes, l)
            c("forward_bytes_copied", k.bytes.copiedBytes, l)
        }
        for e in entryPoints.http.values {
            let l = [("entrypoint", e.name)]
            let k = e.counters
            c("http_connections", k.connections, l)
            g("http_open_connections", e.openSessions, l)
            c("http_requests", k.requests, l)
            c("http_bad_requests", k.badRequests, l)
            for (i, n) in k.responsesByClass.enumerated() where i > 0 {
                c("http_responses", n, l + [("code_class", "\(i)xx")])
            }
            c("http_bytes_spliced", k.bytes.splicedBytes, l)
            c("http_bytes_copied", k.bytes.copiedBytes, l)
            c("http_h2_connections", k.h2Connections, l)
            c("http_h2_streams", k.h2Streams, l)
            g("http_h2_streams_open", Int(k.h2StreamsOpen), l)
            c("http_h2_resets", k.h2ResetsSent, l + [("direction", "sent")])
            c("http_h2_resets", k.h2ResetsReceived, l + [("direction", "received")])
            c("http_h2_goaways", k.h2GoawaysSent, l + [("direction", "sent")])
            c("http_h2_goaways", k.h2GoawaysReceived, l + [("direction", "received")])
            c("http_h2_rapid_resets", k.h2RapidResets, l)
            c("http_h2_protocol_errors", k.h2ProtocolErrors, l)
        }
        for r in proxy.table.routes {
            c("router_requests", r.requests, [("router", r.name)])
            // rateLimit and inFlightReq: the sources each holds (rateLimit's table is capped at 65536).
            for m in r.sourceLimits {
                let l = [("router", r.name), ("middleware", m.name), ("type", m.type)]
                g("middleware_sources", m.sources, l)
                c("middleware_source_evictions", m.evictions, l)
                c("middleware_rejected", m.rejected, l)
                c("middleware_delayed", m.delayed, l)
            }
        }
        c("http_retries", proxy.retries)
        // Mirroring services' copies: in flight is capped (MirrorCopy.maxInFlight), beyond it dropped.
        c("http_mirror_requests", proxy.mirrors.sent)
        g("http_mirror_in_flight", proxy.mirrors.inFlight)
        c("http_mirror_failures", proxy.mirrors.failed)
        c("http_mirror_dropped", proxy.mirrors.dropped)
        c("http_mirror_skipped", proxy.mirrors.skipped)
        for svc in proxy.table.services {
            for s in svc.servers {
                let l = [("service", svc.name), ("server", s.url)]
                c("server_requests", s.requests, l)
                c("server_failures", s.failures, l)
                c("server_connections_opened", s.opened, l)
                c("server_connections_reused", s.reused, l)
                g("server_idle_connections", s.idleCount, l)
                g("server_h2_connections", s.http2ConnectionCount, l)
                g("server_h2_streams", s.http2StreamCount, l)
                g("server_in_flight", s.inFlight, l)
            }
        }
        for p in entryPoints.statusPages.values {
            let l = [("entrypoint", p.name)]
            c("http_connections", p.counters.connections, l)
            g("http_open_connections", Int(p.counters.open), l)
            c("http_requests", p.counters.requests, l)
            c("http_bad_requests", p.counters.badRequests, l)
        }
        observability.figures.collect(into: r)
        collectTCPAndUDP(into: r)
        var inFlightByRouter: [String: Int] = [:], inFlightByService: [String: Int] = [:]
        for e in entryPoints.http.values {
            for (router, service) in e.requestsInFlight {
                inFlightByRouter[router, default: 0] += 1
                inFlightByService[service, default: 0] += 1
            }
        }
        for route in proxy.table.routes { g("router_open_requests", inFlightByRouter[route.name] ?? 0, [("router", route.name)]) }
        for svc in proxy.table.services { g("service_open_requests", inFlightByService[svc.name] ?? 0, [("service", svc.name)]) }
        if let dns { collectDNS(dns, into: r) }
        c("stats_commands", stats?.commands ?? 0)
        c("config_reloads", reloadRecord.reloads)
        c("config_reload_failures", reloadRecord.failures)
        r.writeJSON(into: &w)
    }

    private func collectDNS(_ dns: DNSService, into r: StatsRegistry) {
        let k = dns.counters
        r.counter("dns_queries", labels: [("transport", "udp")]).value = k.queriesUDP
        r.counter("dns_queries", labels: [("transport", "tcp")]).value = k.queriesTCP
        r.counter("dns_answered_local").value = k.local
        r.counter("dns_blocked").value = k.blocked
        r.counter("dns_ignored_non_local").value = k.nonLocal
        r.counter("dns_rate_limited").value = k.rateLimited
        r.gauge("dns_blocklist_names").set(Int64(dns.blocklist.blockedCount))
        r.gauge("dns_blocklist_bytes").set(Int64(dns.blocklist.memoryBytes))
        r.counter("dns_blocklist_loads").value = dns.blocklistLoads
        let f = dns.forwarder.counters
        r.counter("dns_forwarded").value = f.forwarded
        r.counter("dns_answered_from_cache").value = f.cacheAnswers
        r.counter("dns_refused_busy").value = f.refusedBusy
        r.counter("dns_refused_no_server").value = f.refusedNoServer
        r.counter("dns_servfail").value = f.servfail
        r.counter("dns_upstream_mismatched").value = f.mismatched
        r.gauge("dns_forward_pending").set(Int64(dns.forwarder.pending))
        let cache = dns.forwarder.cache
        r.counter("dns_cache_hits").value = cache.hits
        r.counter("dns_cache_misses").value = cache.misses
        r.counter("dns_cache_insertions").value = cache.insertions
        r.counter("dns_cache_evictions").value = cache.evictions
        r.gauge("dns_cache_size").set(Int64(cache.count))
        for u in dns.forwarder.upstreams.all {
            let l = [("upstream", u.text)]
            r.counter("dns_upstream_queries", labels: l).value = u.queries
            r.counter("dns_upstream_answers", labels: l).value = u.answers
            r.counter("dns_upstream_timeouts", labels: l).value = u.timeouts
            r.counter("dns_upstream_failures", labels: l).value = u.failures
            r.add(u.latency)
            if u.tls != nil {
                // DNS over TLS (docs/dns.md, "DNS over TLS upstreams"): connections opened, one open now,
                // and why connections failed (certificate verification among them), by reason.
                r.counter("dns_upstream_tls_connections", labels: l).value = u.tlsConnections
                r.gauge("dns_upstream_tls_open", labels: l).set(u.tlsOpen ? 1 : 0)
                for (reason, n) in u.tlsFailures {
                    r.counter("dns_upstream_tls_failures", labels: [("upstream", u.text), ("reason", reason)]).value = n
                }
            }
        }
        r.counter("dns_dropped").value = k.dropped
        r.counter("dns_send_errors").value = k.sendErrors
        r.counter("dns_tcp_connections").value = k.tcpConnections
        r.counter("dns_tcp_refused").value = k.tcpRefused
        for (t, n) in k.byType { r.counter("dns_answers_by_type", labels: [("type", DNSRecordType(rawValue: t).description)]).value = n }
        for (code, n) in k.byRcode { r.counter("dns_answers_by_rcode", labels: [("rcode", DNSResponseCode(rawValue: code).description)]).value = n }
    }

    /// `show metrics`: this process's own Prometheus text (a worker's; the supervisor sums them).
    func writeMetrics(into w: inout JSONWriter) {
        w.beginObject()
        w.field("text", observability.metrics.map { String(decoding: $0.render(), as: UTF8.self) } ?? "")
        w.endObject()
    }

    func writeConfigErrors(into w: inout JSONWriter) {
        w.beginObject()
        w.key("errors")
        w.beginArray()
        for e in reloadRecord.errors {
            w.beginObject()
            w.field("source", e.location?.file ?? source.description)
            w.field("line", e.location?.line ?? 0)
            w.field("message", e.message)
            w.endObject()
        }
        for p in accessProblemsAfterDrop() {
            w.beginObject()
            w.field("source", p.path)
            w.field("line", 0)
            w.field("message", p.message)
            w.endObject()
        }
        // Dynamic-configuration problems ("file:line:col: …"): each skipped one router/service/middleware.
        for p in dynamic.problems {
            let parts = p.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            let located = parts.count > 3 && Int(parts[1]) != nil
            // Docker labels: "docker container NAME: label KEY: …" → source "docker:NAME".
            let container = p.hasPrefix("docker container ") && parts.count > 1 ? parts[0].dropFirst("docker container ".count) : nil
            w.beginObject()
            w.field("source", container.map { "docker:" + $0 } ?? (located ? String(parts[0]) : "dynamic configuration"))
            w.field("line", located ? Int(parts[1]) ?? 0 : 0)
            w.field("message", container != nil ? String(parts.dropFirst().joined(separator: ":")).trimmingSpace : located ? String(parts[3]).trimmingSpace : p)
            w.field("dynamic", true)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    func connectionSnapshot() -> [ConnectionDescribing] {
        forwarders.connections + entryPoints.connections
    }

    /// The status page of entry points without routes: HTML and JSON of the same facts.
    func statusBodies() -> (html: String, json: String) {
        var w = JSONWriter()
        writeStats(into: &w)
        let json = String(decoding: w.bytes, as: UTF8.self)
        let rows = forwarders.running.values.map { "<tr><td>\($0.settings.name)</td><td>\($0.settings.listen)</td><td>\($0.settings.upstream)</td><td>\($0.relays.count)</td></tr>" }.joined()
        let html = """
        <!doctype html><html><head><meta charset="utf-8"><title>stoep</title></head><body>
        <h1>stoep \(Version.text)</h1>
        <p>Up \(Int(uptimeSeconds)) s on \(loop.backendKind.rawValue), \(ProcessFacts.residentBytes() / 1024) KiB resident,
        \(openConnections) open connections. Configuration: \(source.description).</p>
        <p>DNS: \(dns?.summary ?? "off"). Stats socket: <code>\(statsPath)</code> (<code>stoep stats</code>).</p>
        <table><tr><th>forward</th><th>listen</th><th>upstream</th><th>active</th></tr>\(rows)</table>
        \(entryPoints.communityCARoot()?.htmlSection ?? "")
        <p><a href="/status.json">status.json</a></p></body></html>

        """
        return (html, json)
    }
}

enum Version {
    static let text = "0.1.0"
}

extension String {
    var trimmingSpace: String { String(drop(while: { $0 == " " })) }
}

extension Appliance {
    /// How many clients and names `show dns-clients` lists (the sketches count more; these are the largest).
    static let dnsClientsShown = 50
    static let dnsNamesShown = 20

    func writeDNSClients(into w: inout JSONWriter) {
        w.beginObject()
        guard let stats = dns?.clientStatistics else { return w.endObject() }
        w.field("queries", stats.clients.total)
        w.field("clients_tracked", stats.clients.count)
        w.field("clients_capacity", stats.clients.capacity)
        w.key("clients")
        w.beginArray()
        for e in stats.clients.top(Self.dnsClientsShown) {
            w.beginObject()
            w.field("address", e.key.description)
            w.field("queries", e.count)
            w.field("error", e.error)
            w.field("blocked", e.payload.blocked)
            w.field("forwarded", e.payload.forwarded)
            w.field("cached", e.payload.cached)
            w.field("local", e.payload.local)
            w.field("limited", e.payload.limited)
            w.endObject()
        }
        w.endArray()
        for (key, sketch) in [("top_names", stats.names), ("top_blocked", stats.blockedNames)] {
            w.key(key)
            w.beginArray()
            for e in sketch.top(Self.dnsNamesShown) {
                w.beginObject()
                w.field("name", DNSQueryLog.text(e.key))
                w.field("queries", e.count)
                w.field("error", e.error)
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
    }
}
