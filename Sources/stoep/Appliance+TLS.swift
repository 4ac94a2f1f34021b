// TLS termination's state on reload: the server context is made when TLS is first configured (OpenSSL
// is never initialised otherwise), its certificate set replaced whole when certificates change, and
// the context made anew only when its protocol versions change. A generated default certificate is
// kept across reloads so clients do not see it change.
import Config
import Proxy
import Reactor
import Stats

extension Appliance {
    /// Makes `proxy.tls` match the setup; returns the certificate problems to report.
    func configureTLS(_ setup: ProxySetup) -> [String] {
        guard setup.needsTLS else {
            proxy.tls = nil
            tlsSettings = nil
            return []
        }
        let settings = setup.tlsSettings
        guard let loaded = TLSCertificateLoader.load(settings, previousGenerated: generatedDefaultCertificate) else {
            return ["TLS: cannot create a default certificate: \(TLSError.lastError()); TLS entry points refuse handshakes"]
        }
        if loaded.generatedDefault { generatedDefaultCertificate = loaded.set.defaultCertificate }
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
        return problems
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
