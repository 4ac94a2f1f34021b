// A localCA resolver in workers 1…N-1 of `workers = N` (docs/architecture.md, "Workers"): only worker 0
// runs the community CA (LocalCAIssuer), which keeps every certificate it issues in the store's `issued/`
// folder, key first (CommunityCAStore). The other workers serve what is kept there, read again whenever the
// folder changes (the appliance's inotify watch), and never create, sign or renew: one CA, one issuer.
import PKI
import Reactor

public final class CommunityCAFollower {
    public let directory: String
    /// The certificates kept in `issued/` that chain to the root in `root.pem`, by main name.
    public private(set) var serving: [TLSCertificate] = []

    public init(directory: String) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    }

    /// The folder worker 0 writes issued certificates into (what the appliance watches).
    public var issuedDirectory: String { "\(directory)/\(CommunityCAStore.issuedDirectory)/" }

    /// Reads root.pem and every kept pair again. A pair whose .pem is there but not yet its .key cannot
    /// happen (keys are written first); one that does not read or chain to the root is skipped.
    public func reload(log: Logger) {
        guard case .success(let root) = readWholeFile("\(directory)/\(CommunityCAStore.rootCertificateFile)", limit: 1 << 20),
              case .success(let files) = directoryEntries(path: issuedDirectory) else {
            serving = []
            return
        }
        var loaded: [TLSCertificate] = []
        for file in files where file.hasSuffix(".pem") {
            let base = issuedDirectory + file.dropLast(4)
            guard case .success(let chain) = readWholeFile(base + ".pem", limit: 1 << 20),
                  case .success(let key) = readWholeFile(base + ".key", limit: 1 << 20),
                  CommunityCA.issued(chainPEM: chain, byRoot: root) else { continue }
            switch TLSCertificate.load(certificatePEM: chain, keyPEM: key, source: "\(base).pem") {
            case .success(let c): loaded.append(c)
            case .failure(let e): log.warning("community CA: \(e)")
            }
        }
        serving = loaded
    }
}
