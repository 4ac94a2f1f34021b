// TLS termination of the running appliance: the proxy's server context, made when TLS is first configured
// (OpenSSL is never initialised otherwise), its certificate set replaced whole when certificates change,
// and the context made anew only when its protocol versions change. A generated default certificate is
// kept across reloads so clients do not see it change. The certificate files and acme.json are watched:
// a renewal is read again and swapped in without a restart; connections keep their negotiated keys.
import Config
import JSON
import Proxy
import Reactor
import Stats

final class TLSTermination {
    private let proxy: HTTPProxy
    private let log: Logger
    private let files: SharedFileWatcher
    /// Handshake counters, shared by every server context made.
    let stats = TLSStats()
    /// The settings the current context was made with (nil: TLS off).
    private var settings: TLSSettings?
    /// The certificates the server context chooses from (nil: TLS off).
    private(set) var certificates: TLSCertificateSet?
    /// The certificate resolvers' TLS-ALPN-01 answers, shared by every set made here.
    var acmeTLSChallenges: TLSALPNChallengeCertificates?
    /// The certificates stoep's own resolvers serve from memory (the community CA's).
    var issuedCertificates: () -> [TLSCertificate] = { [] }
    /// Whether the file at a watched path holds exactly what stoep itself wrote last (a resolver's acme.json).
    var isOwnWrite: (String) -> Bool = { _ in false }
    /// Told after the certificate sources were read again (acme.json may hold new certificates).
    var sourcesReread: () -> Void = {}
    private var generatedDefaultCertificate: TLSCertificate?
    /// What each certificate file gave at the last read (kept when a renewal leaves one broken).
    private var certificatesBySource: [String: [TLSCertificate]] = [:]
    /// The certificate files watched, and their watch ids.
    private var watched: (files: [String], ids: [Int]) = ([], [])
    /// The certificate files read again on a change (certFile, keyFile, acme.json).
    var watchedFiles: [String] { watched.files }
    /// The certificate resolvers' acme.json files (stoep writes them, by rename in their directory).
    var acmeStorageFiles: [String] { settings.map { Array(Set($0.acmeStorages.values)).sorted() } ?? [] }
    private(set) var certificateReloads: UInt64 = 0
    /// Certificate problems of the last read (listed with the dynamic configuration's).
    var problems: [String] = []
    /// Told when a watched file's new read changed `problems` (old, new).
    var problemsChanged: (_ old: [String], _ new: [String]) -> Void = { _, _ in }

    init(proxy: HTTPProxy, log: Logger, files: SharedFileWatcher) {
        self.proxy = proxy
        self.log = log
        self.files = files
    }

    /// Makes `proxy.tls` match the setup; `problems` then lists the certificate problems to report.
    func configure(_ setup: ProxySetup) {
        guard setup.needsTLS else {
            proxy.tls = nil
            certificates = nil
            settings = nil
            watchCertificates([])
            problems = []
            return
        }
        let wanted = setup.tlsSettings
        guard let loaded = loadCertificates(wanted) else {
            problems = ["TLS: cannot create a default certificate: \(TLSError.lastError()); TLS entry points refuse handshakes"]
            return
        }
        var found = loaded.problems
        if let current = proxy.tls, settings?.minVersion == wanted.minVersion, settings?.maxVersion == wanted.maxVersion {
            current.selection = loaded.set
            certificates = loaded.set
        } else {
            do {
                proxy.tls = try wanted.serverContext(certificates: loaded.set, stats: stats)
                certificates = loaded.set
            } catch {
                found.append("TLS: \(error)")
            }
        }
        settings = wanted
        watchCertificates(wanted.files)
        problems = found
    }

    private func watchCertificates(_ paths: [String]) {
        guard paths != watched.files else { return }
        for id in watched.ids { files.watcher?.unwatch(id) }
        watched = (paths, [])
        guard !paths.isEmpty, let watcher = files.watcher(for: "TLS certificate files") else { return }
        watched.ids = paths.map { path in
            watcher.watch(path: path) { [unowned self] in
                // stoep's own acme.json write was read already (certificatesChanged(outside: false)).
                if isOwnWrite(path) { return }
                certificatesChanged()
            }
        }
    }

    /// A watched certificate file changed: read every certificate again (a bad new file is reported and
    /// skipped; the others, and the default, keep serving).
    func certificatesChanged(outside: Bool = true) {
        guard let settings, let tls = proxy.tls, let loaded = loadCertificates(settings) else { return }
        tls.selection = loaded.set
        certificates = loaded.set
        if outside {
            certificateReloads &+= 1
            log.info("TLS: certificates read again (\(loaded.set.all.count) loaded)")
        }
        sourcesReread()
        let old = problems
        problems = loaded.problems
        problemsChanged(old, problems)
    }

    /// Reads every certificate of `settings`, keeping a generated default and each file's last good
    /// certificates across reads (a renewal that leaves a file broken loses nothing).
    private func loadCertificates(_ settings: TLSSettings) -> TLSCertificateLoader.Loaded? {
        guard let loaded = TLSCertificateLoader.load(settings, previousGenerated: generatedDefaultCertificate,
                                                     lastGood: certificatesBySource, issued: issuedCertificates()) else { return nil }
        if loaded.generatedDefault { generatedDefaultCertificate = loaded.set.defaultCertificate }
        loaded.set.acmeTLSChallenges = acmeTLSChallenges
        certificatesBySource = loaded.bySource
        return loaded
    }

    /// Whether loaded certificates (not the generated default) cover every one of `names` for more than
    /// `seconds` yet: a certificate resolver then orders nothing for them.
    func covers(_ names: [String], forMoreThan seconds: Int64) -> Bool {
        guard let set = certificates else { return false }
        let horizon = Int64(wallClockSeconds()) + seconds
        let usable = set.all.filter { $0 !== generatedDefaultCertificate && ($0.notAfter == 0 || $0.notAfter > horizon) }
        return names.allSatisfy { n in usable.contains { $0.covers(n) } }
    }

    /// `show info` → "tls": whether TLS is on, kTLS on this kernel, certificates, handshake counters.
    /// The serving certificates for the dashboard, the default one last when it is not among them, each
    /// with whether it is the generated default (self-signed, made when no configured certificate is the
    /// default: not something to renew).
    var servingCertificates: [(certificate: TLSCertificate, generated: Bool)] {
        guard let set = certificates else { return [] }
        let all = set.all.contains { $0 === set.defaultCertificate } ? set.all : set.all + [set.defaultCertificate]
        return all.map { ($0, $0 === generatedDefaultCertificate) }
    }

    func writeInfo(into w: inout JSONWriter) {
        w.key("tls")
        w.beginObject()
        w.field("enabled", proxy.tls != nil)
        w.field("kernel_tls", KernelTLS.availability())
        if proxy.tls != nil, let set = certificates {
            w.field("certificates", set.all.count)
            w.field("default_certificate", set.defaultCertificate.source)
        }
        let s = stats
        w.field("certificate_reloads", Int(certificateReloads))
        w.field("handshakes", Int(s.handshakes))
        w.field("resumed", Int(s.resumed))
        w.field("resumption_rate", s.handshakes == 0 ? 0 : Double(s.resumed) / Double(s.handshakes))
        w.field("kernel_offloaded", Int(s.kernelOffloaded))
        w.key("versions")
        w.beginObject()
        for (v, n) in s.versions.sorted(by: { $0.key < $1.key }) { w.field(v, Int(n)) }
        w.endObject()
        w.key("failures")
        w.beginObject()
        for (reason, n) in s.failures.sorted(by: { $0.key < $1.key }) { w.field(reason, Int(n)) }
        w.endObject()
        w.key("backend_failures")
        w.beginObject()
        for (reason, n) in proxy.backendTLSFailures.sorted(by: { $0.key < $1.key }) { w.field(reason, Int(n)) }
        w.endObject()
        w.endObject()
    }
}
