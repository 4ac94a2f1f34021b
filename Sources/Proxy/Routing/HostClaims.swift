// Who routes a host name when routers from different sources name it: a container's labels can write
// `Host(`anything`)`, so the container deployed last (or with the larger `priority` label) can take another
// container's, or the file provider's, host name. Traefik routes such a request to the router first in its
// order (priority, then provider precedence; equal priorities within a provider are in Go-map order) and
// says nothing. stoep routes as RouteOrder says (priority, then router name) and reports each shared host
// name once per (winning source, losing source), naming the router that wins, under the winner's source:
// both directions can hold (one source's longer rule wins /api, the other's wins the rest), and each is
// a fact about where requests go (docs/security.md, "A hostile container's labels").
import Config
import Rules

struct HostClaim {
    let router: String
    /// Where the router was written: a file path, or "docker container NAME" for labels.
    let location: SourceLocation
    let priority: Int
    let hosts: [String]
    /// nil: every entry point.
    let entryPoints: Set<String>?

    var owner: String { location.file }

    func sharesEntryPoint(with other: HostClaim) -> Bool {
        guard let a = entryPoints, let b = other.entryPoints else { return true }
        return !a.isDisjoint(with: b)
    }
}

enum HostClaims {
    /// One warning per host name and (winning, losing) pair of sources whose routers both name it on a
    /// shared entry point, the winner being the first in route order.
    /// Only different sources: one container's or one file's several routers for a host (by path, by
    /// header) are how a site is written, not a takeover. Worded as a warning: it may be intended.
    static func problems(_ claims: [HostClaim]) -> [String] {
        var byHost: [String: [HostClaim]] = [:]
        for c in claims {
            for h in c.hosts { byHost[h, default: []].append(c) }
        }
        var out: [String] = []
        for host in byHost.keys.sorted() {
            guard let list = byHost[host], Set(list.map(\.owner)).count > 1 else { continue }
            let ordered = list.enumerated().sorted { a, b in
                if a.element.priority != b.element.priority { return a.element.priority > b.element.priority }
                if a.element.router != b.element.router { return a.element.router < b.element.router }
                return a.offset < b.offset
            }.map(\.element)
            var reported = Set<String>()
            for (i, winner) in ordered.enumerated() {
                for loser in ordered[(i + 1)...] where loser.owner != winner.owner && winner.sharesEntryPoint(with: loser) {
                    guard reported.insert(winner.owner + "\u{0}" + loser.owner).inserted else { continue }
                    let why = winner.priority != loser.priority ? "higher priority \(winner.priority) > \(loser.priority)"
                        : "same priority \(winner.priority), router name first (Traefik: undefined within a provider)"
                    out.append("\(winner.location): router \(winner.router) also routes host \(host), which router \(loser.router) of \(loser.owner) routes: for a request both rules match, \(winner.router) wins (\(why)); set the priority of the router that must win, or restrict who may publish routes (providers.docker.constraints, exposedByDefault = false)")
                }
            }
        }
        return out
    }
}
