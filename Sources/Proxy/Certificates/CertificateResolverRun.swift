// One certificate resolver at work on the loop: it knows the names its routers want (CertificateDemand),
// the certificates it holds (read from its storage, or issued since), and orders what is missing or due
// for renewal from its issuer (the ACME client, or the community CA), one order at a time. A name another
// source already covers (the file provider's certificates, another resolver) is not ordered. Failures
// back off per name set (RenewalPolicy); the old certificate keeps serving until a new one exists.
import JSON
import Reactor

/// What issues certificates for a resolver.
public protocol CertificateIssuer: AnyObject {
    /// Issues a certificate for `names` (main first): the PEM chain (leaf first) and the PEM key.
    func issue(_ names: [String], done: @escaping (Result<IssuedCertificate, IssueFailure>) -> Void)
}

public struct IssuedCertificate: Sendable {
    public let names: [String]
    public let certificatePEM: [UInt8]
    public let keyPEM: [UInt8]
    public init(names: [String], certificatePEM: [UInt8], keyPEM: [UInt8]) {
        self.names = names
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }
}

public struct IssueFailure: Error, Sendable {
    public let reason: String
    /// The CA answered (a refusal counts against its rate limits: back off long), rather than not being reached.
    public let caAnswered: Bool
    public init(_ reason: String, caAnswered: Bool) {
        self.reason = reason
        self.caAnswered = caAnswered
    }
}

public final class CertificateResolverRun {
    /// A certificate this resolver holds.
    public struct Held: Sendable {
        public let names: [String]
        public let notAfter: Int64
    }

    /// Per name set: what happened last.
    public struct Status: Sendable {
        public var failures = 0
        public var lastError: String?
        public var lastErrorAt: Int64 = 0
        public var nextAttempt: Int64 = 0
        public var lastIssuedAt: Int64 = 0
        /// notAfter of the certificate issued then (told apart from one written since from outside).
        public var issuedNotAfter: Int64 = 0
    }

    public let name: String
    public let kind: String
    private let issuer: CertificateIssuer
    public let policy: RenewalPolicy
    private let loop: EventLoop
    private let log: Logger
    /// Whether loaded certificates cover every one of `names` for longer than the given seconds (the
    /// renewal window).
    public var coveredElsewhere: ([String], Int64) -> Bool = { _, _ in false }
    /// Keeps and installs an issued certificate (writes acme.json, swaps the TLS set).
    public var keep: (IssuedCertificate) -> Void = { _ in }
    /// Wall-clock seconds (a test may move it).
    public var clock: () -> Int64 = { Int64(wallClockSeconds()) }
    /// Whether this resolver may order (false on a swarm node that is not the issuer: it serves what it
    /// holds and what its peers share, and orders nothing). Turned on, it checks at once; turned off, an
    /// order in flight completes (the merge rule settles the copy) and nothing more is queued.
    public var mayOrder = true {
        didSet {
            guard mayOrder != oldValue else { return }
            if mayOrder { check() } else { queue = [] }
        }
    }

    public private(set) var demands: [CertificateDemand] = []
    public private(set) var held: [Held] = []
    public private(set) var status: [[String]: Status] = [:]
    public private(set) var ordering: [String]?
    private var queue: [[String]] = []
    private var timer: Timer?
    public private(set) var nextCheck: Int64 = 0

    public init(name: String, kind: String, issuer: CertificateIssuer, policy: RenewalPolicy, loop: EventLoop, log: Logger) {
        self.name = name
        self.kind = kind
        self.issuer = issuer
        self.policy = policy
        self.loop = loop
        self.log = log
    }

    /// The routers' wants changed (a configuration rebuild): check at once.
    public func update(demands: [CertificateDemand]) {
        self.demands = demands
        check()
    }

    /// What the storage holds now (read at start, and after every write or outside change).
    public func update(held: [Held]) {
        self.held = held
    }

    /// Decides what to order now, queues it, and sets the next check.
    public func check() {
        let now = clock()
        var wanted: [[String]] = []
        for d in demands where !isHeldFresh(d.names, now: now) && !coveredElsewhere(d.names, policy.renewBefore) && !justIssued(d.names, now) {
            wanted.append(d.names)
        }
        // Every held certificate is renewed when due, wanted by a router today or not (as Traefik does).
        // A CA that issues shorter certificates than certificatesDuration says would make every new one due at
        // once: a name set just issued waits one check interval before it is renewed again (Traefik's pace).
        for h in held where policy.due(notAfter: h.notAfter, now: now) && !wanted.contains(h.names) && !justIssued(h.names, now) {
            wanted.append(h.names)
        }
        for names in wanted where !queue.contains(names) && ordering != names && (status[names]?.nextAttempt ?? 0) <= now {
            queue.append(names)
        }
        var next = now + policy.checkInterval
        for names in wanted { if let s = status[names], s.nextAttempt > now { next = min(next, s.nextAttempt) } }
        for h in held {
            let pace = (status[h.names]?.lastIssuedAt ?? 0) + policy.checkInterval
            next = min(next, max(now + 1, h.notAfter - policy.renewBefore, pace))
        }
        schedule(at: next, now: now)
        if mayOrder { runNext() } else { queue = [] }
    }

    /// Whether stoep issued the certificate held for `names` less than a check interval ago (a certificate
    /// put there since, from outside, is not "just issued": it is checked on its own dates).
    private func justIssued(_ names: [String], _ now: Int64) -> Bool {
        guard let s = status[names], s.lastIssuedAt > 0, now - s.lastIssuedAt < policy.checkInterval else { return false }
        return held.contains { $0.names == names && $0.notAfter == s.issuedNotAfter }
    }

    private func isHeldFresh(_ names: [String], now: Int64) -> Bool {
        held.contains { h in !policy.due(notAfter: h.notAfter, now: now) && names.allSatisfy { n in h.names.contains { covers($0, n) } } }
    }

    private func covers(_ certificateName: String, _ name: String) -> Bool {
        if certificateName == name { return true }
        guard certificateName.hasPrefix("*."), let dot = name.firstIndex(of: ".") else { return false }
        return name[dot...] == certificateName.dropFirst()
    }

    private func schedule(at when: Int64, now: Int64) {
        if let t = timer { loop.cancel(t) }
        nextCheck = when
        let t = Timer { [weak self] _ in self?.check() }
        timer = t
        loop.schedule(t, after: UInt64(max(1, when - now)) * 1_000_000_000)
    }

    private func runNext() {
        guard ordering == nil, !queue.isEmpty else { return }
        let names = queue.removeFirst()
        ordering = names
        let renewal = held.contains { $0.names == names }
        log.info("\(kind) \(name): \(renewal ? "renewing" : "ordering") a certificate for \(names.joined(separator: ", "))")
        issuer.issue(names) { [weak self] result in
            guard let self else { return }
            ordering = nil
            let now = clock()
            var s = status[names] ?? Status()
            switch result {
            case .success(let issued):
                s = Status(lastIssuedAt: now, issuedNotAfter: held.first { $0.names == names }?.notAfter ?? 0)
                status[names] = s
                log.info("\(kind) \(name): certificate for \(names.joined(separator: ", ")) obtained")
                keep(issued)
            case .failure(let f):
                s.failures += 1
                s.lastError = f.reason
                s.lastErrorAt = now
                let wait = RenewalPolicy.backoff(failures: s.failures, caAnswered: f.caAnswered)
                s.nextAttempt = now + wait
                status[names] = s
                log.warning("\(kind) \(name): no certificate for \(names.joined(separator: ", ")): \(f.reason) (failure \(s.failures); next try in \(wait) s)")
            }
            check()
        }
    }

    /// `show info` → acme → NAME.
    public func writeInfo(into w: inout JSONWriter, account: String?) {
        w.beginObject()
        w.field("kind", kind)
        if let account { w.field("account", account) }
        w.field("next_check", Int(nextCheck))
        w.field("issuing", mayOrder)
        if let ordering { w.field("ordering", ordering.joined(separator: ",")) }
        w.key("certificates")
        w.beginArray()
        var listed = Set<[String]>()
        for names in demands.map(\.names) + held.map(\.names) where listed.insert(names).inserted {
            w.beginObject()
            w.key("names")
            w.beginArray()
            for n in names { w.string(n) }
            w.endArray()
            if let h = held.first(where: { $0.names == names }) {
                w.field("not_after", Int(h.notAfter))
                w.field("renew_at", Int(h.notAfter - policy.renewBefore))
            }
            if let s = status[names] {
                if s.failures > 0 { w.field("failures", s.failures) }
                if let e = s.lastError { w.field("last_error", e); w.field("last_error_at", Int(s.lastErrorAt)) }
                if s.nextAttempt > 0 { w.field("next_attempt", Int(s.nextAttempt)) }
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}
