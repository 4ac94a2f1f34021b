// Every certificate resolver of the static configuration at work: one CertificateResolverRun each, with
// its issuer (ACME, or the community CA), the challenge answers they share (HTTP-01 tokens served by
// acme-http@internal, TLS-ALPN-01 certificates presented by the TLS termination), and `show info`'s
// `acme` object. Made once from the static configuration; the routers' wants are handed over after
// every configuration rebuild.
import ACME
import Config
import JSON
import Reactor

public final class CertificateResolvers {
    /// What the tables below answer after their own: a swarm's peers' challenges (docs/cluster.md).
    public let foreignChallenges = ForeignChallengeAnswers()
    public let http01: HTTP01Solver
    public let tlsALPN: TLSALPNChallengeCertificates
    public private(set) var runs: [String: CertificateResolverRun] = [:]
    private var acme: [String: ACMEIssuer] = [:]
    private var local: [String: LocalCAIssuer] = [:]
    /// Resolvers that could not start, and why (listed by `show info` and the configuration's problems).
    public private(set) var problems: [String] = []
    /// The httpChallenge entry points (acme-http@internal is routed there).
    public private(set) var httpChallengeEntryPoints: [String] = []
    private let loop: EventLoop
    private let log: Logger

    /// Whether certificates of other sources cover names (asked before ordering).
    public var coveredElsewhere: ([String], Int64) -> Bool = { _, _ in false } {
        didSet { for r in runs.values { r.coveredElsewhere = coveredElsewhere } }
    }
    /// Told when a resolver stored a certificate: the TLS termination reads its sources again.
    public var certificatesChanged: () -> Void = {}
    /// Whether the ACME resolvers order (false on a swarm node that is not the issuer; docs/cluster.md). A
    /// community CA resolver is every node's own and always issues.
    public var ordering = true {
        didSet { for (name, r) in runs where acme[name] != nil { r.mayOrder = ordering } }
    }
    /// The TLS-ALPN-01 solvers (one per resolver with tlsChallenge): their live challenges are shared.
    public private(set) var tlsALPNSolvers: [TLSALPN01Solver] = []
    /// On a swarm's issuer: how long a challenge answer waits before the CA is told to validate.
    public var challengeReadyDelay: ((@escaping () -> Void) -> Void)? {
        didSet {
            http01.readyDelay = challengeReadyDelay
            for s in tlsALPNSolvers { s.readyDelay = challengeReadyDelay }
        }
    }

    public init(_ resolvers: [String: TraefikCertificatesResolver], entryPoints: [String], environment: [String: String],
                boxName: String, loop: EventLoop, log: Logger, makeKey: @escaping KeyMaker,
                resolve: @escaping ACMEClient.AddressResolver) {
        self.loop = loop
        self.log = log
        http01 = HTTP01Solver(foreign: foreignChallenges)
        tlsALPN = TLSALPNChallengeCertificates(foreign: foreignChallenges)
        for (name, r) in resolvers.sorted(by: { $0.key < $1.key }) {
            if let settings = r.localCA {
                startLocalCA(name, settings, boxName: boxName)
                continue
            }
            guard let settings = r.acme else { continue }
            var solvers: [ACMEChallengeSolver] = []
            let judged = Self.settingsProblems([name: r], entryPoints: entryPoints)
            problems += judged.problems
            if let ep = judged.httpChallengeEntryPoints.first {
                solvers.append(http01)
                if !httpChallengeEntryPoints.contains(ep) { httpChallengeEntryPoints.append(ep) }
            }
            if settings.tlsChallenge {
                let solver = TLSALPN01Solver(certificates: tlsALPN)
                tlsALPNSolvers.append(solver)
                solvers.append(solver)
            }
            // An unsupported DNS provider is one of settingsProblems'. lego's exec or httpreq provider is set
            // up from the environment as lego reads it (ACME's DNS01Solver).
            if let dns = settings.dnsChallenge, TraefikCertificatesResolver.supportedDNSProviders.contains(dns.provider) {
                do {
                    solvers.append(try DNS01Solver(loop: loop, settings: dns, environment: environment, log: log))
                } catch {
                    problems.append("certificatesResolvers.\(name).acme.dnsChallenge: \(error); DNS-01 is off")
                }
            }
            switch ACMEIssuer.make(resolver: name, settings: settings, solvers: solvers, environment: environment, loop: loop, log: log,
                                   makeKey: makeKey, resolve: resolve) {
            case .failure(let f):
                problems.append(f.reason)
            case .success(let issuer):
                let run = CertificateResolverRun(name: name, kind: "ACME", issuer: issuer,
                                                 policy: RenewalPolicy(certificatesDurationHours: settings.certificatesDurationHours), loop: loop, log: log)
                issuer.stored = { [unowned run, unowned self] held in
                    run.update(held: held)
                    certificatesChanged()
                }
                run.update(held: issuer.held())
                runs[name] = run
                acme[name] = issuer
            }
        }
    }

    /// What the resolvers' settings alone say is wrong (an httpChallenge entry point that does not exist, a
    /// DNS provider stoep lacks), and the httpChallenge entry points that exist: what `stoep check` reports
    /// without creating accounts or a CA, and what start-up reports first.
    public static func settingsProblems(_ resolvers: [String: TraefikCertificatesResolver], entryPoints: [String])
        -> (httpChallengeEntryPoints: [String], problems: [String]) {
        var found: [String] = []
        var problems: [String] = []
        for (name, r) in resolvers.sorted(by: { $0.key < $1.key }) where r.localCA == nil {
            guard let settings = r.acme else { continue }
            if let ep = settings.httpChallengeEntryPoint {
                if entryPoints.contains(ep) {
                    if !found.contains(ep) { found.append(ep) }
                } else {
                    problems.append("certificatesResolvers.\(name).acme.httpChallenge.entryPoint: no entry point named \"\(ep)\"; HTTP-01 is off")
                }
            }
            if let dns = settings.dnsChallenge, !TraefikCertificatesResolver.supportedDNSProviders.contains(dns.provider) {
                problems.append("certificatesResolvers.\(name).acme.dnsChallenge: provider \"\(dns.provider)\" is not supported by stoep; wildcard names get no certificate")
            }
        }
        return (found, problems)
    }

    private func startLocalCA(_ name: String, _ settings: TraefikCertificatesResolver.LocalCA, boxName: String) {
        switch CommunityCAStore.openOrCreate(directory: settings.storage, boxName: boxName) {
        case .failure(let f):
            problems.append("certificatesResolvers.\(name).localCA: \(f)")
        case .success(let store):
            for change in store.changes { log.info("community CA \(name): \(change)") }
            let lifetime = settings.certificatesDurationHours * 3600
            let issuer = LocalCAIssuer(store: store, lifetimeSeconds: lifetime, log: log)
            let run = CertificateResolverRun(name: name, kind: "community CA", issuer: issuer,
                                             policy: RenewalPolicy(localLifetimeSeconds: lifetime), loop: loop, log: log)
            issuer.stored = { [unowned run, unowned self] held in
                run.update(held: held)
                certificatesChanged()
            }
            run.update(held: issuer.held)
            runs[name] = run
            local[name] = issuer
        }
    }

    /// The ACME resolvers' names and their storage files (what a swarm node shares with its peers).
    public var acmeStorages: [(resolver: String, storage: String)] {
        acme.sorted { $0.key < $1.key }.map { ($0.key, $0.value.storage) }
    }

    /// The certificates the community CA resolvers serve (the TLS termination adds them to its set).
    public var servedCertificates: [TLSCertificate] {
        local.sorted { $0.key < $1.key }.flatMap { $0.value.serving.sorted { $0.key < $1.key }.map(\.value) }
    }

    /// The routers' wants after a rebuild (by resolver name); a resolver no router names keeps renewing what it holds.
    public func update(demands: [String: [CertificateDemand]]) {
        for (name, run) in runs { run.update(demands: demands[name] ?? []) }
    }

    /// Whether `path` holds what a resolver wrote there last (its inotify event is not an outside change).
    public func wroteLast(_ path: String) -> Bool {
        guard let issuer = acme.values.first(where: { $0.storage == path }), let written = issuer.lastWritten else { return false }
        guard case .success(let bytes) = readWholeFile(path) else { return false }
        return bytes == written
    }

    /// acme.json changed on disk (stoep's own write, or Traefik's elsewhere): what each resolver holds now.
    public func storageChanged() {
        for (name, issuer) in acme {
            runs[name]?.update(held: issuer.held())
            runs[name]?.check()  // a certificate written from outside may be due already
        }
    }

    /// `show info` → "acme": per resolver, the account, each name set with expiry, next renewal and last error.
    public func writeInfo(into w: inout JSONWriter) {
        w.key("acme")
        w.beginObject()
        for (name, run) in runs.sorted(by: { $0.key < $1.key }) {
            w.key(name)
            run.writeInfo(into: &w, account: acme[name]?.accountURL)
        }
        if !problems.isEmpty {
            w.key("problems")
            w.beginArray()
            for p in problems { w.string(p) }
            w.endArray()
        }
        w.endObject()
    }
}
