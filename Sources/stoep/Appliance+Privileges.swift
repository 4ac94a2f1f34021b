// What the user `user =` dropped to cannot reach any more, said before it matters: every file stoep reads
// again after start (the configuration on SIGHUP, certificate files and acme.json on a renewal) and the
// Docker socket (connected again when the daemon restarts) is checked with that user's rights. The
// certificates read as root at start keep serving; the line says which file a renewal will not reach and
// what to change. Listed by `show config-errors` while it lasts (checked at each request, so a fixed
// permission clears it), logged once after the drop (docs/security.md, "Privileges").
import Glibc
import Reactor

extension Appliance {
    /// One path the dropped user cannot use, with the sentence `show config-errors` shows.
    struct AccessProblem: Equatable {
        let path: String
        let message: String
    }

    /// A path used after start: what it is, whether it is written, and what to change when it cannot be.
    struct UsedPath {
        let path: String
        let what: String
        let write: Bool
        let fix: String
    }

    /// Paths read, written or (the Docker socket) connected to again after start.
    var pathsUsedAfterStart: [UsedPath] {
        let readable = "what was read at start keeps serving, a change will not be seen; make it readable by that user or one of its groups"
        var out: [UsedPath] = []
        if let p = source.configPath { out.append(UsedPath(path: p, what: "the configuration (read again on SIGHUP)", write: false, fix: readable)) }
        if let p = source.dnsmasqPath { out.append(UsedPath(path: p, what: "the dnsmasq configuration (read again on SIGHUP)", write: false, fix: readable)) }
        if case .file(let p) = source.traefik {
            out.append(UsedPath(path: p, what: "Traefik's static configuration (read again on SIGHUP)", write: false, fix: readable))
        }
        for p in tls.watchedFiles where !p.hasPrefix("-----") {
            out.append(UsedPath(path: p, what: "a certificate file (read again on renewal and SIGHUP)", write: false, fix: readable))
        }
        for p in tls.acmeStorageFiles {
            let dir = p.lastIndex(of: "/").map { $0 == p.startIndex ? "/" : String(p[..<$0]) } ?? "."
            out.append(UsedPath(path: dir, what: "the directory of acme.json \(p) (written there, by rename, on each renewal)", write: true,
                                fix: "certificates ordered from now on cannot be stored; give that user the directory (StateDirectory= under systemd)"))
        }
        for endpoint in [dynamic.docker?.options.endpoint, dynamic.swarm?.options.endpoint].compactMap({ $0 }) where endpoint.hasPrefix("unix://") {
            out.append(UsedPath(path: String(endpoint.dropFirst("unix://".count)), what: "the Docker socket (connected again when the daemon restarts)",
                                write: true, fix: "add the socket's group to groups = [...] (SupplementaryGroups= under systemd)"))
        }
        return out
    }

    /// The paths of `pathsUsedAfterStart` the process cannot use now; empty unless privileges were dropped.
    func accessProblemsAfterDrop() -> [AccessProblem] {
        guard let who = droppedTo else { return [] }
        var seen = Set<String>()
        return pathsUsedAfterStart.compactMap { item in
            guard seen.insert(item.path).inserted, let e = ProcessIdentity.accessProblem(item.path, write: item.write) else { return nil }
            let how = item.write ? "read and written" : "read"
            return AccessProblem(path: item.path, message: "\(item.what) cannot be \(how) by user \(who.userName) (uid \(who.uid), gid \(who.gid)) after the privilege drop: \(e); \(item.fix)")
        }
    }

    /// Called once privileges are dropped: remembers to whom, and logs what that user cannot reach.
    func privilegesDropped(to identity: ProcessIdentity) {
        droppedTo = identity
        for p in accessProblemsAfterDrop() { log.warning("\(p.path): \(p.message)") }
        if !ProcessIdentity.canBindLowPorts {
            log.warning("user \(identity.userName): CAP_NET_BIND_SERVICE was not kept; a reload cannot bind a port below 1024")
        }
    }
}
