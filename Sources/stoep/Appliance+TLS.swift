// TLS termination's state on reload: the server context is made when TLS is first configured (OpenSSL
// is never initialised otherwise), its certificate set replaced whole when certificates change, and
// the context made anew only when its protocol versions change. A generated default certificate is
// kept across reloads so clients do not see it change.
import Config
import JSON
import Proxy
import Reactor
import Stats

extension Appliance {
    /// Makes `proxy.tls` match the setup; returns the certificate problems to report.
    func configureTLS(_ setup: ProxySetup) -> [String] {
        guard setup.needsTLS else {
            proxy.tls = nil
            tlsSettings = nil
            watchCertificates([])
            return []
        }
        let settings = setup.tlsSettings
        guard let loaded = loadCertificates(settings) else {
            return ["TLS: cannot create a default certificate: \(TLSError.lastError()); TLS entry points refuse handshakes"]
        }
        var problems = loaded.problems
        if let current = proxy.tls, tlsSettings?.minVersion == settings.minVersion, tlsSettings?.maxVersion == settings.maxVersion {
            current.certificates = loaded.set
        } else {
            do {
                proxy.tls = try TLSServerContext(certificates: loaded.set, minVersion: settings.minVersion,
                                                 maxVersion: settings.maxVersion, stats: tlsStats)
            } catch {
                problems.append("TLS: \(error)")
            }
        }
        tlsSettings = settings
        watchCertificates(settings.files)
        return problems
    }

    /// Watches the certificate files and acme.json (inotify): a renewal job's new acme.json, or a replaced
    /// PEM, is read again and swapped in without a restart; connections keep their negotiated keys.
    private func watchCertificates(_ files: [String]) {
        guard files != certificateWatch.files else { return }
        for id in certificateWatch.ids { fileWatcher?.unwatch(id) }
        certificateWatch = (files, [])
        guard !files.isEmpty, let watcher = sharedFileWatcher(for: "TLS certificate files") else { return }
        certificateWatch.ids = files.map { watcher.watch(path: $0) { [unowned self] in self.certificatesChanged() } }
    }

    /// A watched certificate file changed: read every certificate again (a bad new file is reported and
    /// skipped; the others, and the default, keep serving).
    func certificatesChanged() {
        guard let settings = tlsSettings, let tls = proxy.tls, let loaded = loadCertificates(settings) else { return }
        tls.certificates = loaded.set
        certificateReloads &+= 1
        log.info("TLS: certificates read again (\(loaded.set.all.count) loaded)")
        // The new problems replace the old ones in `show config-errors`; only new lines are logged.
        let old = Set(tlsProblems)
        tlsProblems = loaded.problems
        dynamicProblems = tlsProblems + dynamicProblems.filter { !old.contains($0) }
        for p in tlsProblems where !reportedProblems.contains(p) { log.warning(p) }
        reportedProblems.formUnion(tlsProblems)
    }

    /// Reads every certificate of `settings`, keeping a generated default and each file's last good
    /// certificates across reads (a renewal that leaves a file broken loses nothing).
    private func loadCertificates(_ settings: TLSSettings) -> TLSCertificateLoader.Loaded? {
        guard let loaded = TLSCertificateLoader.load(settings, previousGenerated: generatedDefaultCertificate,
                                                     lastGood: certificatesBySource) else { return nil }
        if loaded.generatedDefault { generatedDefaultCertificate = loaded.set.defaultCertificate }
        certificatesBySource = loaded.bySource
        return loaded
    }
}

extension Appliance {
    /// `show info` → "tls": whether TLS is on, kTLS on this kernel, certificates, handshake counters.
    func writeTLSInfo(into w: inout JSONWriter) {
        w.key("tls")
        w.beginObject()
        w.field("enabled", proxy.tls != nil)
        w.field("kernel_tls", KernelTLS.availability())
        if let tls = proxy.tls {
            w.field("certificates", tls.certificates.all.count)
            w.field("default_certificate", tls.certificates.defaultCertificate.source)
        }
        let s = tlsStats
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
