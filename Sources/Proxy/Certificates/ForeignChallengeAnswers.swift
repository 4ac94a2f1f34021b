// The ACME challenge answers a stoep process serves without having presented them itself. The CA's
// validation lands wherever the network sends it, so two kinds of process answer for an issuer elsewhere:
// - workers 1…N-1 of `workers = N`, for worker 0 (the only one with certificate resolvers): they read
//   the folder beside the stats socket that worker 0 writes (SharedChallenges; docs/architecture.md,
//   "Workers");
// - every node of a swarm, for the node whose stoep orders: the answers fetched from the peers over the
//   cluster channel each refresh (PeerChallengeAnswers; docs/cluster.md, "Certificates across nodes").
// The answer tables (HTTP01Solver, TLSALPNChallengeCertificates) look at their own answers first and then
// here. This is the one place that says in which order the sources are asked — the folder, then the peers'
// last fetch — and which names are asked at all: the token and the server name come from the network, and
// only a base64url token (RFC 8555 §8.1: a CA issues no other) or a host name is looked up, in any source.
// The same checks keep "/" and ".." out of the folder's file names when worker 0 writes them.
import Reactor

/// Where answers presented elsewhere are found: nil = this source has none.
public protocol ForeignChallengeSource: AnyObject {
    /// The HTTP-01 key authorization for `token` on `host`.
    func httpAnswer(token: String, host: String) -> [UInt8]?
    /// The acme-tls/1 certificate for `name` (the hello's server name).
    func alpnCertificate(name: String) -> TLSCertificate?
}

public final class ForeignChallengeAnswers {
    /// Workers 1…N-1: the folder worker 0 writes. nil elsewhere (worker 0 writes it and reads its own
    /// tables; a stoep without workers has none).
    public let folder: SharedChallenges?
    /// A swarm node: what the peers published at the last fetch (empty outside a swarm).
    public let peers = PeerChallengeAnswers()

    public init(folder: SharedChallenges? = nil) {
        self.folder = folder
    }

    /// What another process presented for `token` on `host`; nil = 404.
    public func httpAnswer(token: String, host: String) -> [UInt8]? {
        guard Self.isToken(token) else { return nil }
        return folder?.httpAnswer(token: token, host: host) ?? peers.httpAnswer(token: token, host: host)
    }

    /// The acme-tls/1 certificate another process presented for `name`, if any.
    public func alpnCertificate(name: String) -> TLSCertificate? {
        guard Self.isHostName(name) else { return nil }
        return folder?.alpnCertificate(name: name) ?? peers.alpnCertificate(name: name)
    }

    /// A token as RFC 8555 §8.1 has a CA make it: 1 to 256 characters of the base64url alphabet.
    public static func isToken(_ token: String) -> Bool {
        (1...256).contains(token.utf8.count) && token.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
        }
    }

    /// A lower-case host name as a hello's server name arrives (ClientHello lower-cases it): letters,
    /// digits, "-" and ".", at most 253 bytes, no leading dot, no empty label.
    public static func isHostName(_ name: String) -> Bool {
        (1...253).contains(name.utf8.count) && name.utf8.first != 0x2E && name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x2E
        } && !name.contains("..")
    }
}
