// DocumentView: text renderings of the stats socket documents other than `show stats` (see StatsView):
// `help`, `show info`, `show conns`, `show config-errors`, and the error document. Unknown shapes fall back
// to the compact JSON text, so a newer server never leaves an older CLI printing nothing.
import JSON

public enum DocumentView {
    /// Renders `document`, the answer to `command`, as text ending in "\n".
    public static func render(command: StatsCommand, document: JSONValue) -> String {
        if let message = document["error"]?.stringValue { return "error: " + message + "\n" }
        switch command {
        case .help: return help(document) ?? fallback(document)
        case .showInfo: return info(document) ?? fallback(document)
        case .showStats: return StatsView.render(stats: document, info: nil)
        case .showConns: return conns(document) ?? fallback(document)
        case .showConfigErrors: return configErrors(document) ?? fallback(document)
        case .showDNSClients: return dnsClients(document) ?? fallback(document)
        case .showMetrics: return document["text"]?.stringValue ?? fallback(document)
        case .showSwarm: return swarm(document) ?? fallback(document)
        case .unknown: return fallback(document)
        }
    }

    /// `show dns-clients`: one table of clients, then the top names and the top blocked names.
    static func dnsClients(_ document: JSONValue) -> String? {
        guard let clients = document["clients"]?.arrayValue else { return nil }
        var out = ""
        var table = TextTable(header: ["CLIENT", "QUERIES", "BLOCKED", "FORWARDED", "CACHED", "LOCAL", "LIMITED"],
                              alignments: [.left, .right, .right, .right, .right, .right, .right])
        for c in clients {
            table.append([c["address"]?.stringValue ?? "-"] + ["queries", "blocked", "forwarded", "cached", "local", "limited"]
                .map { StatsView.integerText(c[$0]) })
        }
        out += table.render()
        for (key, title) in [("top_names", "NAME"), ("top_blocked", "BLOCKED NAME")] {
            guard let names = document[key]?.arrayValue, !names.isEmpty else { continue }
            var t = TextTable(header: [title, "QUERIES"], alignments: [.left, .right])
            for n in names { t.append([n["name"]?.stringValue ?? "-", StatsView.integerText(n["queries"])]) }
            out += "\n" + t.render()
        }
        return out
    }

    static func help(_ document: JSONValue) -> String? {
        guard let commands = document["commands"]?.arrayValue else { return nil }
        var table = TextTable(header: ["COMMAND", "DESCRIPTION"], alignments: [.left, .left])
        for command in commands {
            table.append([command["command"]?.stringValue ?? "-", command["description"]?.stringValue ?? ""])
        }
        return table.render()
    }

    static func info(_ document: JSONValue) -> String? {
        guard let members = document.objectValue else { return nil }
        var table = TextTable(header: ["FIELD", "VALUE"], alignments: [.left, .left])
        for member in members where !(member.key == "workers" && member.value.arrayValue != nil) {
            let shown: String
            switch member.key {
            case "uptime_s":
                shown = member.value.doubleValue.map { TextFormat.duration(seconds: $0) } ?? "-"
            case "rss_bytes":
                shown = member.value.doubleValue.map { TextFormat.bytes($0) } ?? "-"
            default:
                shown = StatsView.scalarText(member.value) ?? member.value.jsonText
            }
            table.append([member.key, shown])
        }
        guard let workers = document["workers"]?.arrayValue else { return table.render() }
        // `workers = N`: one row per worker (docs/stats.md, "With workers = N").
        var rows = TextTable(header: ["WORKER", "STATE", "PID", "RESTARTS", "LAST EXIT", "UP", "RSS", "CONNS", "HTTP REQS", "DNS QUERIES", "DNS HIT %"],
                             alignments: [.right, .left, .right, .right, .left, .right, .right, .right, .right, .right, .right])
        for w in workers {
            rows.append([StatsView.integerText(w["worker"]), w["state"]?.stringValue ?? "-", StatsView.integerText(w["pid"]),
                         StatsView.integerText(w["restarts"]), w["last_exit"]?.stringValue ?? "-",
                         w["uptime_s"]?.doubleValue.map { TextFormat.duration(seconds: $0) } ?? "-",
                         w["rss_bytes"]?.doubleValue.map { TextFormat.bytes($0) } ?? "-", StatsView.integerText(w["open_connections"]),
                         StatsView.integerText(w["http_requests"]), StatsView.integerText(w["dns_queries"]),
                         w["dns_cache_hit_ratio"]?.doubleValue.map { String(Int(($0 * 100).rounded())) } ?? "-"])
        }
        return table.render() + "\n" + rows.render()
    }

    /// `show swarm`: one row per node (the shape of `show info`'s worker rows), then the totals.
    static func swarm(_ document: JSONValue) -> String? {
        guard let nodes = document["nodes"]?.arrayValue else { return nil }
        var rows = TextTable(header: ["NODE", "HOST", "ADDRESS", "STATE", "UP", "RSS", "CONNS", "HTTP REQS", "5XX", "DNS QUERIES", "DNS HIT %", "CERTS"],
                             alignments: [.left, .left, .left, .left, .right, .right, .right, .right, .right, .right, .right, .right])
        func hitRatio(_ v: JSONValue) -> String {
            let hits = v["dns_cache_hits"]?.doubleValue ?? 0, misses = v["dns_cache_misses"]?.doubleValue ?? 0
            return hits + misses == 0 ? "-" : String(Int((hits / (hits + misses) * 100).rounded()))
        }
        var reasons: [String] = []
        for n in nodes {
            let up = n["state"]?.stringValue == "up"
            let id = String((n["node_id"]?.stringValue ?? "-").prefix(12)) + (n["self"]?.boolValue == true ? " *" : "")
            if !up { reasons.append("\(id): \(n["reason"]?.stringValue ?? "no answer")") }
            var cells: [String] = [id, n["hostname"]?.stringValue ?? "-", n["address"]?.stringValue ?? "-", n["state"]?.stringValue ?? "-"]
            if up {
                let uptime: String = n["uptime_s"]?.doubleValue.map { TextFormat.duration(seconds: $0) } ?? "-"
                let rss: String = n["rss_bytes"]?.doubleValue.map { TextFormat.bytes($0) } ?? "-"
                cells += [uptime, rss, StatsView.integerText(n["open_connections"]), StatsView.integerText(n["http_requests"]),
                          StatsView.integerText(n["http_responses_5xx"]), StatsView.integerText(n["dns_queries"]), hitRatio(n),
                          StatsView.integerText(n["certificates"])]
            } else {
                cells += Array(repeating: "-", count: 8)
            }
            rows.append(cells)
        }
        if let t = document["totals"] {
            let summary = "\(StatsView.integerText(document["nodes_up"])) up, \(StatsView.integerText(document["nodes_down"])) down"
            let rss: String = t["rss_bytes"]?.doubleValue.map { TextFormat.bytes($0) } ?? "-"
            var cells: [String] = ["total", summary, "", "", "", rss]
            cells += [StatsView.integerText(t["open_connections"]), StatsView.integerText(t["http_requests"]),
                      StatsView.integerText(t["http_responses_5xx"]), StatsView.integerText(t["dns_queries"]), hitRatio(t),
                      StatsView.integerText(t["certificates"])]
            rows.append(cells)
        }
        var out = rows.render()
        if document["listed"]?.boolValue == false { out += "no Swarm listing yet: the peers are not known (providers.swarm has not answered)\n" }
        for r in reasons { out += "down: " + r + "\n" }
        return out
    }

    static func conns(_ document: JSONValue) -> String? {
        guard let conns = document["conns"]?.arrayValue else { return nil }
        var table = TextTable(
            header: ["ID", "KIND", "LOCAL", "PEER", "STATE", "IN", "OUT", "AGE"],
            alignments: [.right, .left, .left, .left, .left, .right, .right, .right])
        for conn in conns {
            table.append([
                StatsView.integerText(conn["id"]),
                conn["kind"]?.stringValue ?? "-",
                conn["local"]?.stringValue ?? "-",
                conn["peer"]?.stringValue ?? "-",
                conn["state"]?.stringValue ?? "-",
                conn["bytes_in"]?.doubleValue.map { TextFormat.bytes($0) } ?? "-",
                conn["bytes_out"]?.doubleValue.map { TextFormat.bytes($0) } ?? "-",
                conn["age_s"]?.doubleValue.map { TextFormat.duration(seconds: $0) } ?? "-",
            ])
            // An HTTP/2 connection's open streams, one indented line each: the request under LOCAL, its router
            // under PEER.
            for stream in conn["open_streams"]?.arrayValue ?? [] {
                let request = [stream["method"]?.stringValue, stream["path"]?.stringValue].compactMap { $0 }
                table.append([
                    "",
                    "  stream " + StatsView.integerText(stream["stream"]),
                    request.isEmpty ? "-" : request.joined(separator: " "),
                    stream["router"]?.stringValue ?? "-",
                    stream["state"]?.stringValue ?? "-",
                    stream["bytes_in"]?.doubleValue.map { TextFormat.bytes($0) } ?? "-",
                    stream["bytes_out"]?.doubleValue.map { TextFormat.bytes($0) } ?? "-",
                    stream["age_s"]?.doubleValue.map { TextFormat.duration(seconds: $0) } ?? "-",
                ])
            }
        }
        let count = document["count"]?.int64Value ?? Int64(conns.count)
        return table.render() + "\(count) connection" + (count == 1 ? "" : "s") + "\n"
    }

    static func configErrors(_ document: JSONValue) -> String? {
        guard let errors = document["errors"]?.arrayValue else { return nil }
        if errors.isEmpty { return "no configuration errors\n" }
        var text = ""
        for error in errors {
            var location = error["source"]?.stringValue ?? "?"
            if let line = error["line"]?.int64Value { location += ":\(line)" }
            text += location + ": " + (error["message"]?.stringValue ?? "?") + "\n"
        }
        return text
    }

    static func fallback(_ document: JSONValue) -> String {
        document.jsonText + "\n"
    }

}
