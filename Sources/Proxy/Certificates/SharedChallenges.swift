// ACME challenge answers shared by the workers of `workers = N` (docs/architecture.md, "Workers"). Only
// worker 0 runs the ACME client, and the CA's validation connection lands on whichever worker the kernel's
// SO_REUSEPORT hash picks. So worker 0 also writes every HTTP-01 key authorization and TLS-ALPN-01
// certificate it presents into a directory beside the stats socket (and removes it at clean-up), and the
// other workers read that directory — one of the two sources of ForeignChallengeAnswers — when a request
// or a hello asks for a token or a name they do not hold. The reads are a CA's few validation requests per
// order, small files: plain file reads on the loop, like /etc/hosts. Names come from the network, so only
// base64url tokens and host names become file names (ForeignChallengeAnswers' checks: no "/" or ".." can
// reach the path).
import Reactor

public final class SharedChallenges: ForeignChallengeSource {
    public let directory: String
    private let log: Logger

    public init(directory: String, log: Logger) {
        self.directory = directory
        self.log = log
    }

    /// Worker 0 before its first order: the directory (0700, the run user's), emptied of what a run that
    /// ended mid-order left there.
    public func prepare() throws(SystemError) {
        try createDirectories(path: directory)
        if case .success(let names) = directoryEntries(path: directory) {
            for name in names where name.hasPrefix("http-") || name.hasPrefix("alpn-") { _ = removeFile(path: "\(directory)/\(name)") }
        }
    }

    // MARK: HTTP-01: one file per token, a line "domain key-authorization" per domain it answers for.

    /// Writes (or, with no answers left, removes) the token's file. A failure is logged, not fatal: the
    /// order still runs, and only a validation landing on another worker fails.
    func publishHTTP(token: String, answers: [String: [UInt8]]) {
        guard let path = httpPath(token) else { return log.warning("acme: HTTP-01 token \(token) is not base64url; other workers cannot answer it") }
        if answers.isEmpty { return remove(path) }
        var text: [UInt8] = []
        for (domain, value) in answers.sorted(by: { $0.key < $1.key }) {
            text += Array(domain.utf8) + [0x20] + value + [0x0A]
        }
        write(path, text)
    }

    /// What worker 0 published for `token` on `host`; nil = 404.
    public func httpAnswer(token: String, host: String) -> [UInt8]? {
        guard let path = httpPath(token), case .success(let bytes) = readWholeFile(path, limit: 64 << 10) else { return nil }
        for line in bytes.split(separator: 0x0A) {
            guard let space = line.firstIndex(of: 0x20) else { continue }
            if line[line.startIndex..<space].elementsEqual(host.utf8) { return Array(line[(space + 1)...]) }
        }
        return nil
    }

    // MARK: TLS-ALPN-01: one file per domain, the certificate and its key in PEM.

    /// Writes the certificate and key worker 0 presents for `domain`, or removes them (nil).
    func publishALPN(domain: String, pem: [UInt8]?) {
        guard let path = alpnPath(domain) else { return log.warning("acme: TLS-ALPN-01 name \(domain) is not a host name; other workers cannot answer it") }
        if let pem { write(path, pem) } else { remove(path) }
    }

    /// The acme-tls/1 certificate worker 0 presents for `name` (the hello's server name), if any.
    public func alpnCertificate(name: String) -> TLSCertificate? {
        guard let path = alpnPath(name), case .success(let pem) = readWholeFile(path, limit: 64 << 10),
              case .success(let c) = TLSCertificate.load(certificatePEM: pem, keyPEM: pem, source: "acme-tls/1 \(name)") else { return nil }
        return c
    }

    private func write(_ path: String, _ bytes: [UInt8]) {
        // Not durable: a challenge lives for seconds, and a power cut ends the order anyway.
        do { try writeFileAtomically(path: path, bytes: bytes, durable: false) } catch {
            log.warning("acme: cannot share a challenge answer with the other workers: \(path): \(error)")
        }
    }

    private func remove(_ path: String) {
        if let e = removeFile(path: path) { log.warning("acme: cannot remove \(path): \(e)") }
    }

    private func httpPath(_ token: String) -> String? {
        ForeignChallengeAnswers.isToken(token) ? "\(directory)/http-\(token)" : nil
    }

    private func alpnPath(_ domain: String) -> String? {
        ForeignChallengeAnswers.isHostName(domain) ? "\(directory)/alpn-\(domain)" : nil
    }
}
