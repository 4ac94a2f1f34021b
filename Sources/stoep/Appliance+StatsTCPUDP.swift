// The stats series of TCP routers (middleware refusals, PROXY protocol headers) and UDP entry points
// (datagrams, sessions): docs/stats.md.
import Proxy
import Stats

extension Appliance {
    func collectTCPAndUDP(into r: StatsRegistry) {
        func c(_ name: String, _ v: UInt64, _ labels: [(String, String)]) { r.counter(name, labels: labels).value = v }
        for e in entryPoints.http.values where e.proxyProtocol != nil {
            let l = [("entrypoint", e.name)]
            let k = e.counters
            c("proxy_protocol_headers", k.proxyProtocolUsed, l + [("outcome", "used")])
            c("proxy_protocol_headers", k.proxyProtocolIgnored, l + [("outcome", "ignored")])
            c("proxy_protocol_headers", k.proxyProtocolAbsent, l + [("outcome", "absent")])
            c("proxy_protocol_headers", k.proxyProtocolMalformed, l + [("outcome", "malformed")])
        }
        for route in proxy.tcpTable.routes {
            let l = [("router", route.name)]
            c("tcp_router_connections", route.connections, l)
            c("tcp_router_refused", route.refused, l)
            for case .inFlightConn(let counter) in route.middlewares {
                r.gauge("tcp_inflightconn_clients", labels: l + [("middleware", counter.name)]).set(Int64(counter.clients))
            }
        }
        for u in entryPoints.udpEntryPoints {
            let l = [("entrypoint", u.name)]
            let k = u.counters
            c("udp_datagrams", k.datagramsFromClients, l + [("direction", "from_client")])
            c("udp_datagrams", k.datagramsToServers, l + [("direction", "to_server")])
            c("udp_datagrams", k.datagramsToClients, l + [("direction", "to_client")])
            c("udp_datagrams_dropped", k.dropped, l)
            c("udp_sessions", k.sessions, l)
            c("udp_sessions_refused", k.sessionsRefused, l)
            c("udp_sessions_timed_out", k.timedOut, l)
            r.gauge("udp_sessions_open", labels: l).set(Int64(u.openSessions))
        }
    }
}
