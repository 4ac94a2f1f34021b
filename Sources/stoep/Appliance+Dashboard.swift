// The appliance's members of the dashboard's /dashboard/live.json (schema in docs/api.md): the same
// documents the stats socket answers (`show info`, `show stats`, `show config-errors`, `show dns-clients`)
// plus the box's load, descriptors, reloads and certificates. Written when the page asks, nothing kept
// between requests: the page holds the history its sparklines draw.
import Glibc
import JSON
import Reactor

extension Appliance {
    /// Writes the members into the open object `w` (the API handler adds routers and services).
    func writeDashboardFacts(into w: inout JSONWriter) {
        w.field("now_s", wallClockSeconds())
        writeDashboardSwarm(into: &w)
        w.key("info")
        writeInfo(into: &w)
        w.key("stats")
        writeStats(into: &w)
        w.key("config_errors")
        writeConfigErrors(into: &w)
        w.key("dns_clients")
        writeDNSClients(into: &w)
        w.key("box")
        w.beginObject()
        w.key("load")
        w.beginArray()
        for l in ProcessFacts.loadAverage() { w.double(l) }
        w.endArray()
        w.field("open_fds", ProcessFacts.openDescriptors())
        w.field("fd_limit", ProcessFacts.descriptorLimit())
        w.field("started_s", startedAtWall)
        w.field("reloads", reloadRecord.reloads)
        w.field("reload_failures", reloadRecord.failures)
        w.field("last_reload_succeeded", reloadRecord.lastSucceeded)
        w.field("last_reload_s", reloadRecord.lastSuccess)
        w.field("dns", dns != nil)
        w.endObject()
        w.key("certificates")
        w.beginArray()
        for (c, generated) in tls.servingCertificates {
            w.beginObject()
            w.key("names")
            w.beginArray()
            for n in c.names { w.string(n) }
            w.endArray()
            w.field("issuer", c.issuerName())
            w.field("not_after_s", c.notAfter)
            w.field("source", c.source)
            w.field("generated", generated)
            w.endObject()
        }
        w.endArray()
    }
}

extension ProcessFacts {
    /// The 1, 5 and 15 minute load averages (/proc/loadavg); empty when it cannot be read.
    static func loadAverage() -> [Double] {
        guard case .success(let bytes) = readWholeFile("/proc/loadavg", limit: 256) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: " ").prefix(3).compactMap { Double($0) }
    }

    /// Descriptors open in this process now (/proc/self/fd entries, less the one the listing uses).
    static func openDescriptors() -> Int {
        guard let dir = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(dir) }
        var n = 0
        while let e = readdir(dir) {
            let first = withUnsafeBytes(of: e.pointee.d_name) { $0[0] }
            if first != UInt8(ascii: ".") { n += 1 }
        }
        return max(0, n - 1)
    }

    /// The soft RLIMIT_NOFILE (what open descriptors are measured against).
    static func descriptorLimit() -> Int {
        var lim = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim) == 0 else { return 0 }
        return lim.rlim_cur == rlim_t.max ? -1 : Int(lim.rlim_cur)  // RLIM_INFINITY is ~0
    }
}
