// DNS-01 for a resolver's `dnsChallenge` (Traefik's certificatesResolvers.NAME.acme.dnsChallenge): the
// hook of lego's `exec` or `httpreq` provider sets the TXT record, then the propagation check waits until
// the recursive resolvers see it, and only then the ACME client is told `ready` (and asks the CA to
// validate). `cleanUp` calls the hook's cleanup. Hooks run one at a time, in the order asked: scripts
// written for lego's exec provider never saw two calls at once, and a zone file edited by two at once
// would lose one.
import Config
import DNS
import Reactor

public final class DNS01Solver: ACMEChallengeSolver {
    public var kind: ACMEChallenge.Kind { .dns01 }

    let hook: DNS01Hook
    private let loop: EventLoop
    private let log: Logger
    /// The check's settings; `resolvers` are Traefik's, else /etc/resolv.conf's.
    let resolvers: [DNSServerAddress]
    let delayBeforeCheck: UInt64
    let checks: Bool
    let requireAll: Bool
    /// Whether `_acme-challenge.DOMAIN.`'s CNAME chain is followed (lego's default; LEGO_DISABLE_CNAME_SUPPORT).
    let followCNAMEs: Bool
    /// Hook calls waiting for the one running.
    private var queue: [(DNS01Action, ACMEChallenge, String, (String?) -> Void)] = []
    /// Where each presented challenge's record went (the end of its CNAME chain), by token: cleanup
    /// removes it there.
    private var placed: [String: String] = [:]
    private var hookRunning = false
    /// Propagation checks under way, by challenge token.
    private var checking: [String: DNS01PropagationCheck] = [:]

    /// Builds the solver `settings.provider` names ("exec" or "httpreq") from `environment` (the
    /// process's, as lego reads it); logs what it honours and refuses. Throws for another provider and for
    /// a provider whose required variable is missing or wrong.
    public init(loop: EventLoop, settings: TraefikCertificatesResolver.DNSChallenge, environment: [String: String],
                log: Logger) throws(DNS01Error) {
        switch settings.provider {
        case "exec": hook = try DNS01ExecHook(environment: environment, loop: loop, log: log)
        case "httpreq": hook = try DNS01HTTPRequestHook(environment: environment, loop: loop, log: log)
        default:
            throw DNS01Error("DNS provider \"\(settings.provider)\" is not supported by stoep (only lego's exec and httpreq)")
        }
        self.loop = loop
        self.log = log
        delayBeforeCheck = UInt64(max(0, settings.delayBeforeCheck.nanoseconds))
        checks = !settings.disableChecks
        requireAll = settings.requireAllRNS
        var servers: [DNSServerAddress] = []
        for text in settings.resolvers {
            if let s = DNSServerAddress(text) {
                servers.append(s)
            } else {
                log.warning("dns-01: resolver \"\(text)\" is not an IP address with an optional port; skipped (stoep looks up no host names here)")
            }
        }
        let fromConfig = !servers.isEmpty
        if servers.isEmpty { servers = DNSServerAddress.system() }
        resolvers = servers
        if checks && resolvers.isEmpty {
            throw DNS01Error("dnsChallenge: no resolver for the propagation check (none in resolvers, none in /etc/resolv.conf)")
        }
        let noCNAMEs = DNS01CNAMEChain.disabled(environment)
        followCNAMEs = noCNAMEs != true
        if noCNAMEs == nil, let text = environment["LEGO_DISABLE_CNAME_SUPPORT"] {
            log.warning("dns-01: LEGO_DISABLE_CNAME_SUPPORT=\(text) is not a boolean; CNAMEs are followed")
        }
        if settings.disableANSChecks {
            log.info("dns-01: disableANSChecks: stoep never asks the authoritative nameservers; it checks only the recursive resolvers")
        }
        let how = checks
            ? "propagation checked at \(resolvers.map(\.description).joined(separator: ", "))\(fromConfig ? "" : " (/etc/resolv.conf)")"
              + " (\(requireAll ? "every resolver" : "any resolver") must see it) every \(hook.pollingInterval / 1_000_000) ms"
              + " for up to \(hook.propagationTimeout / 1_000_000_000) s"
            : "propagation not checked (disableChecks)"
        let delay = delayBeforeCheck > 0 ? ", after a delay of \(settings.delayBeforeCheck)" : ""
        log.info("dns-01: provider \(hook.name), \(how)\(delay)\(followCNAMEs ? "" : ", CNAMEs not followed (LEGO_DISABLE_CNAME_SUPPORT)")")
    }

    public func present(_ challenge: ACMEChallenge, ready: @escaping (String?) -> Void) {
        log.info("dns-01 \(hook.name): presenting \(challenge.dnsRecordName) for \(challenge.domain)")
        guard followCNAMEs else { return present(challenge, at: challenge.dnsRecordName, ready: ready) }
        DNS01CNAMEChain.follow(challenge.dnsRecordName, resolvers: resolvers, loop: loop, log: log) { [weak self] fqdn in
            self?.present(challenge, at: fqdn, ready: ready)
        }
    }

    /// Runs the present hook for the record at `fqdn`, then the propagation check there.
    private func present(_ challenge: ACMEChallenge, at fqdn: String, ready: @escaping (String?) -> Void) {
        placed[challenge.token] = fqdn
        enqueue(.present, challenge, fqdn) { [weak self] failure in
            guard let self else { return }
            if let failure { return ready(failure) }
            guard self.checks else {
                return self.after(self.delayBeforeCheck) { ready(nil) }
            }
            let plan = DNS01PropagationCheck.Plan(fqdn: fqdn, value: challenge.dnsRecordValue,
                                                  resolvers: self.resolvers, requireAll: self.requireAll,
                                                  timeout: self.hook.propagationTimeout, interval: self.hook.pollingInterval)
            let check = DNS01PropagationCheck(plan, loop: self.loop)
            self.checking[challenge.token] = check
            check.start(after: self.delayBeforeCheck) { [weak self] failure in
                self?.checking[challenge.token] = nil
                if failure == nil { self?.log.info("dns-01: \(fqdn) is visible (\(check.rounds) checks)") }
                ready(failure)
            }
        }
    }

    /// Ends a check still under way (`ready` is then not called) and runs the cleanup hook.
    public func cleanUp(_ challenge: ACMEChallenge) {
        checking.removeValue(forKey: challenge.token)?.cancel()
        let fqdn = placed.removeValue(forKey: challenge.token) ?? challenge.dnsRecordName
        enqueue(.cleanup, challenge, fqdn) { [weak self] failure in
            if let failure { self?.log.warning("dns-01 \(self?.hook.name ?? "") cleanup: \(failure)") }
        }
    }

    // MARK: one hook at a time

    private func enqueue(_ action: DNS01Action, _ challenge: ACMEChallenge, _ fqdn: String, _ done: @escaping (String?) -> Void) {
        queue.append((action, challenge, fqdn, done))
        runNext()
    }

    private func runNext() {
        guard !hookRunning, !queue.isEmpty else { return }
        let (action, challenge, fqdn, done) = queue.removeFirst()
        hookRunning = true
        hook.run(action, challenge, fqdn: fqdn) { [weak self] failure in
            self?.hookRunning = false
            done(failure)
            self?.runNext()
        }
    }

    private func after(_ nanos: UInt64, _ body: @escaping () -> Void) {
        let t = Timer { _ in body() }
        loop.schedule(t, after: nanos)
    }
}
