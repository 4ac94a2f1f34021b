// The certificate resolvers of the static configuration, made when it names any and made again only when
// their settings change (a reload with the same resolvers keeps the accounts, orders in flight and
// back-off). Wired to the proxy: acme-http@internal answers their HTTP-01 tokens, the TLS termination
// presents their TLS-ALPN-01 certificates and reads acme.json again after each stored certificate.
import Config
import DNS
import Proxy
import Reactor

extension DynamicConfiguration {
    func certificateResolvers(for setup: ProxySetup) -> CertificateResolvers? {
        if setup.certificatesResolvers.isEmpty {
            certificates = nil
            acmeHTTPEntryPoints = []
            followCommunityCAs([])
            return nil
        }
        // Workers 1…N-1 of `workers = N`: one issuer (worker 0); they serve what it stores, read again
        // from acme.json when the file changes (TLSTermination watches it), and answer the CA's validation
        // requests that land on them from what worker 0 publishes (ForeignChallengeAnswers with the folder
        // of SharedChallenges as its source; they hold no answers of their own).
        if !issuesCertificates {
            certificates = nil
            acmeHTTPEntryPoints = CertificateResolvers.settingsProblems(setup.certificatesResolvers, entryPoints: setup.entryPoints.map(\.name))
                .httpChallengeEntryPoints
            if let shared = sharedChallenges {
                let foreign = ForeignChallengeAnswers(folder: shared)
                proxy.internalHandlers.acmeHTTP = { token, host in foreign.httpAnswer(token: token, host: host) }
                if tls.acmeTLSChallenges == nil { tls.acmeTLSChallenges = TLSALPNChallengeCertificates(foreign: foreign) }
            }
            followCommunityCAs(setup.certificatesResolvers.sorted { $0.key < $1.key }.compactMap { $0.value.localCA?.storage })
            return nil
        }
        if let current = certificates, current.settings == setup.certificatesResolvers { return current.resolvers }
        let made = CertificateResolvers(setup.certificatesResolvers, entryPoints: setup.entryPoints.map(\.name),
                                        environment: ProcessFacts.environment(), boxName: ProcessFacts.hostName(), loop: loop, log: log,
                                        makeKey: KeyGeneration.make(loop: loop, log: log),
                                        resolve: { [loop] host, port, done in Self.address(of: host, port: port, loop: loop, done) })
        made.coveredElsewhere = { [unowned self] names, seconds in tls.covers(names, forMoreThan: seconds) }
        made.certificatesChanged = { [unowned self] in tls.certificatesChanged(outside: false) }
        tls.isOwnWrite = { [unowned made] path in made.wroteLast(path) }
        tls.acmeTLSChallenges = made.tlsALPN
        tls.issuedCertificates = { [unowned made] in made.servedCertificates }
        tls.sourcesReread = { [unowned made] in made.storageChanged() }
        proxy.internalHandlers.acmeHTTP = { [unowned made] token, host in made.http01.answer(token: token, host: host) }
        if let shared = sharedChallenges {
            do {
                try shared.prepare()
                made.http01.shared = shared
                made.tlsALPN.shared = shared
            } catch {
                log.error("acme: \(shared.directory): \(error); a CA's validation landing on another worker will fail")
            }
        }
        certificates = (setup.certificatesResolvers, made)
        acmeHTTPEntryPoints = made.httpChallengeEntryPoints
        return made
    }

    /// Workers 1…N-1: serve what worker 0's community CAs keep in `storages`' issued/ folders, read again
    /// when a folder changes (worker 0 writes there on each issue and renewal).
    private func followCommunityCAs(_ storages: [String]) {
        if storages == communityCAFollowers.storages { return }
        for id in communityCAFollowers.watches { files.watcher?.unwatch(id) }
        let followers = storages.map { CommunityCAFollower(directory: $0) }
        for f in followers { f.reload(log: log) }
        var watches: [Int] = []
        if !followers.isEmpty, let watcher = files.watcher(for: "community CA certificates") {
            watches = followers.map { f in
                watcher.watch(path: f.issuedDirectory) { [unowned self, unowned f] in
                    f.reload(log: log)
                    tls.certificatesChanged(outside: false)
                }
            }
        }
        communityCAFollowers = (storages, followers, watches)
        tls.issuedCertificates = followers.isEmpty ? { [] } : { followers.flatMap(\.serving) }
        if !followers.isEmpty { tls.certificatesChanged(outside: false) }
    }

    /// The CA server's address without blocking the loop: an IP literal, the first address /etc/hosts gives
    /// the name ("localhost" included), else the first of its A and AAAA records, asked of /etc/resolv.conf's
    /// nameservers on the loop (DNSLookup; no getaddrinfo).
    static func address(of host: String, port: UInt16, loop: EventLoop, _ done: @escaping (SocketAddress?) -> Void) {
        if let known = literalOrHostsFile(host, port) { return done(known) }
        DNSLookup.addresses(of: host, loop: loop) { result in
            done((try? result.get())?.lazy.compactMap { SocketAddress(host: $0.description, port: port) }.first)
        }
    }

    /// An IP literal, or the first address /etc/hosts gives the name.
    static func literalOrHostsFile(_ host: String, _ port: UInt16) -> SocketAddress? {
        if let literal = SocketAddress(host: host, port: port) { return literal }
        guard case .success(let bytes) = readWholeFile("/etc/hosts", limit: 1 << 20),
              let name = try? DNSName(text: host) else { return nil }
        let hosts = HostsFile(text: String(decoding: bytes, as: UTF8.self), file: "/etc/hosts")
        guard let entry = hosts.entries.first(where: { $0.names.contains(name) }) else { return nil }
        return SocketAddress(host: entry.address.description, port: port)
    }
}
