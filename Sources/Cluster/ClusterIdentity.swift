// This node's credentials on the cluster channel: a leaf it signs itself with the cluster CA, in memory,
// at start and again well before it ends — one certificate for both ends (server and client), the CA as
// the only trust on both. Nothing is written to disk and no node asks another for anything: a node that
// can read the secret is a member, which is what mounting the secret into the stoep service means.
import PKI
import Reactor

/// Why the channel cannot start: the CA's file, or OpenSSL.
public struct ClusterError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

final class ClusterIdentity {
    /// A week: short enough that a leaf copied off a node that left the swarm (its secret removed) stops
    /// working soon; renewed every `renewEvery`, so a running node never presents an expired one.
    static let leafLifetime: Int64 = 7 * 86400
    static let renewEvery: UInt64 = 86_400 * 1_000_000_000

    let ca: ClusterCA
    let caPath: String
    let nodeName: String
    /// The server's context lives as long as the listener; its certificate is swapped on renewal.
    let server: TLSServerContext
    /// Replaced whole on renewal; exchanges in flight keep the one they started with.
    private(set) var client: TLSClientContext
    private(set) var leafNotAfter: Int64 = 0

    init(caPath: String, nodeName: String, now: Int64) throws(ClusterError) {
        let pem: [UInt8]
        switch readWholeFile(caPath, limit: 1 << 20) {
        case .success(let bytes): pem = bytes
        case .failure(let e): throw ClusterError("[cluster] ca \(caPath): cannot read (\(e)); create it with `stoep cluster-ca > ca.pem && docker secret create stoep-cluster-ca ca.pem`")
        }
        switch ClusterCA.read(pem: pem) {
        case .success(let c): ca = c
        case .failure(let e): throw ClusterError("[cluster] ca \(caPath): \(e)")
        }
        self.caPath = caPath
        self.nodeName = nodeName
        let leaf = try Self.issue(ca: ca, nodeName: nodeName, now: now)
        do {
            server = try TLSServerContext(selection: ClusterCertificate(leaf), minimum: .tls1_3, stats: TLSStats())
            try server.requireClientCertificates(issuedBy: ca.certificatePEM)
            server.selectOnlyHTTP11()  // the channel speaks HTTP/1.1 only
            client = try Self.clientContext(ca: ca, leaf: leaf)
        } catch {
            throw ClusterError("[cluster] TLS: \(error)")
        }
        leafNotAfter = leaf.notAfter
    }

    /// A new leaf for the server and a new client context; the old ones stay with the connections using them.
    func renew(now: Int64) throws(ClusterError) {
        let leaf = try Self.issue(ca: ca, nodeName: nodeName, now: now)
        do {
            client = try Self.clientContext(ca: ca, leaf: leaf)
        } catch {
            throw ClusterError("[cluster] TLS: \(error)")
        }
        server.selection = ClusterCertificate(leaf)
        leafNotAfter = leaf.notAfter
    }

    private static func issue(ca: ClusterCA, nodeName: String, now: Int64) throws(ClusterError) -> TLSCertificate {
        guard let key = PrivateKey.generate(.ec256),
              let chain = ca.issueNodeCertificate(nodeName: nodeName, key: key, lifetimeSeconds: leafLifetime, now: now) else {
            throw ClusterError("[cluster]: cannot issue this node's certificate (OpenSSL: \(TLSError.lastError()))")
        }
        switch TLSCertificate.load(certificatePEM: chain, keyPEM: key.pem, source: "cluster certificate (\(nodeName))", now: now) {
        case .success(let c): return c
        case .failure(let e): throw ClusterError("[cluster]: \(e)")
        }
    }

    private static func clientContext(ca: ClusterCA, leaf: TLSCertificate) throws(TLSError) -> TLSClientContext {
        let c = try TLSClientContext(trustingOnly: ca.certificatePEM)
        try c.useCertificate(leaf)
        return c
    }
}

/// The server side's one certificate, whatever the client's SNI says (every peer asks for `ClusterCA.peerName`).
final class ClusterCertificate: TLSCertificateSelection {
    let defaultCertificate: TLSCertificate
    init(_ certificate: TLSCertificate) { defaultCertificate = certificate }
    func choose(for hello: TLSClientHello) -> TLSCertificateChoice { .defaultCertificate }
}
