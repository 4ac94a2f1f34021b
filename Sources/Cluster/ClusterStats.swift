// Stats across nodes (docs/cluster.md, "Stats across nodes"): what one node answers on the channel's
// `stats` name (its summary: the figures a row shows), and the swarm view made from every node's answer —
// totals plus one row per node, as `show info` makes totals plus one row per worker (WorkerStatsAggregate).
// A node that did not answer is a row marked down with the reason, and counts in no total.
import JSON

public enum ClusterStats {
    /// The counters and gauges of a summary that add up across nodes; the totals are their sums over the
    /// nodes that answered. (uptime, version and the like are per row only.)
    public static let summed = ["http_requests", "http_responses_5xx", "forward_accepted", "dns_queries", "dns_answered_local",
                                "dns_forwarded", "dns_blocked", "dns_cache_hits", "dns_cache_misses", "open_connections",
                                "certificates", "rss_bytes"]

    /// One node's own summary, as the `stats` handler answers it: `figures` holds the `summed` names (a
    /// missing one counts 0) and anything else scalar to show in its row.
    public static func summary(nodeName: String, version: String, uptimeSeconds: Double, figures: [String: Int64],
                               extra: [(String, JSONValue)] = []) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("hostname", nodeName)
        w.field("version", version)
        w.field("uptime_s", uptimeSeconds)
        for name in summed { w.field(name, figures[name] ?? 0) }
        for (k, v) in extra {
            w.key(k)
            v.write(into: &w)
        }
        w.endObject()
        return w.bytes
    }

    /// The swarm view: {"nodes_up", "nodes_down", "totals": {summed names}, "nodes": [rows]}, each row
    /// {"node_id", "hostname", "address", "self", "state": "up"|"down", "reason" (down), "answered_ms",
    /// then the node's summary}. `listed`: false before the first Swarm listing (no peers known yet: the
    /// view says so instead of showing an empty swarm).
    public static func view(_ answers: [ClusterAnswer], listed: Bool, into w: inout JSONWriter) {
        var totals = [String: Int64]()
        var rows: [JSONValue] = []
        var up = 0
        for a in answers {
            var row: [JSONMember] = [JSONMember("node_id", .string(a.peer.nodeID)), JSONMember("address", .string(a.peer.address)),
                                     JSONMember("self", .bool(a.isSelf))]
            switch a.result {
            case .success(let body):
                guard case .object(let members)? = try? JSONParser.parse(body) else {
                    row += [JSONMember("state", .string("down")), JSONMember("reason", .string("its answer is not a JSON object"))]
                    rows.append(.object(row))
                    continue
                }
                up += 1
                row += [JSONMember("state", .string("up")), JSONMember("answered_ms", .double(Double(a.elapsed) / 1e6))]
                for m in members where m.key != "node_id" && m.key != "address" && m.key != "self" && m.key != "state" {
                    row.append(m)
                    if summed.contains(m.key), let n = m.value.int64Value { totals[m.key, default: 0] &+= n }
                }
            case .failure(let e):
                row += [JSONMember("state", .string("down")), JSONMember("reason", .string(e.description))]
            }
            rows.append(.object(row))
        }
        w.beginObject()
        w.field("listed", listed)
        w.field("nodes_up", up)
        w.field("nodes_down", answers.count - up)
        w.key("totals")
        w.beginObject()
        for name in summed { w.field(name, totals[name] ?? 0) }
        w.endObject()
        w.key("nodes")
        JSONValue.array(rows).write(into: &w)
        w.endObject()
    }
}
