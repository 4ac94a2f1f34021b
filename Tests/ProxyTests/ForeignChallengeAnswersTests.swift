// ForeignChallengeAnswers: which names are looked up at all (base64url tokens, host names), the order of
// its two sources (the folder worker 0 writes, then the swarm peers' last fetch), and the answer tables
// asking it only after their own answers. The folder is a real directory under /tmp.
import ACME
import Reactor
import XCTest
@testable import Proxy

final class ForeignChallengeAnswersTests: XCTestCase {
    private func folder(_ name: String) throws -> SharedChallenges {
        let shared = SharedChallenges(directory: "/tmp/stoep-foreign-\(getpid())-\(name)", log: Logger())
        try shared.prepare()
        return shared
    }

    private func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    func testOnlyTokensAndHostNamesAreLookedUp() {
        let tokens: [(String, Bool)] = [
            ("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", true), ("a_b-C9", true), (String(repeating: "a", count: 256), true),
            ("", false), (String(repeating: "a", count: 257), false), ("a.b", false), ("../etc", false), ("a/b", false), ("a=", false),
        ]
        for (token, ok) in tokens { XCTAssertEqual(ForeignChallengeAnswers.isToken(token), ok, token) }
        let names: [(String, Bool)] = [
            ("stoep.example.org", true), ("xn--bcher-kva.example", true), ("a-b.c0", true),
            ("", false), (".example.org", false), ("a..b", false), ("Example.org", false), ("a/b", false), ("*.example.org", false),
            (String(repeating: "a", count: 254), false),
        ]
        for (name, ok) in names { XCTAssertEqual(ForeignChallengeAnswers.isHostName(name), ok, name) }
    }

    func testTheFolderFirstThenThePeers() throws {
        let shared = try folder("order")
        shared.publishHTTP(token: "tok", answers: ["a.example": Array("from-folder".utf8)])
        defer { shared.publishHTTP(token: "tok", answers: [:]) }
        let foreign = ForeignChallengeAnswers(folder: shared)
        foreign.peers.replaceHTTP([("tok", "a.example", "from-peer"), ("tok", "b.example", "peer-b"), ("not.a.token", "a.example", "x")])
        XCTAssertEqual(text(foreign.httpAnswer(token: "tok", host: "a.example")), "from-folder")
        XCTAssertEqual(text(foreign.httpAnswer(token: "tok", host: "b.example")), "peer-b")
        XCTAssertNil(foreign.httpAnswer(token: "tok", host: "c.example"))
        XCTAssertNil(foreign.httpAnswer(token: "not.a.token", host: "a.example"), "a name that is not a token is asked of no source")

        // Without the folder (worker 0, a swarm node) the peers alone answer; a new fetch replaces the last.
        let peersOnly = ForeignChallengeAnswers()
        peersOnly.peers.replaceHTTP([("tok", "a.example", "from-peer")])
        XCTAssertEqual(text(peersOnly.httpAnswer(token: "tok", host: "a.example")), "from-peer")
        peersOnly.peers.replaceHTTP([])
        XCTAssertNil(peersOnly.httpAnswer(token: "tok", host: "a.example"))
    }

    func testPeersTLSALPNCertificatesAreMadeOncePerKeyAuthorization() throws {
        let foreign = ForeignChallengeAnswers()
        foreign.peers.replaceALPN(["a.example": "token.thumbprint"])
        let first = try XCTUnwrap(foreign.alpnCertificate(name: "a.example"))
        XCTAssertNil(foreign.alpnCertificate(name: "b.example"))
        XCTAssertNil(foreign.alpnCertificate(name: "A.example"), "not a lower-case host name")
        foreign.peers.replaceALPN(["a.example": "token.thumbprint"])
        XCTAssertTrue(foreign.alpnCertificate(name: "a.example") === first, "the same key authorization keeps its certificate")
        foreign.peers.replaceALPN(["a.example": "token2.thumbprint"])
        XCTAssertFalse(foreign.alpnCertificate(name: "a.example") === first)
        foreign.peers.replaceALPN([:])
        XCTAssertNil(foreign.alpnCertificate(name: "a.example"))
    }

    func testTheTablesAnswerTheirOwnFirst() throws {
        let foreign = ForeignChallengeAnswers()
        foreign.peers.replaceHTTP([("tok", "a.example", "from-peer"), ("tok", "b.example", "peer-b")])
        foreign.peers.replaceALPN(["b.example": "peer.thumbprint"])
        let http = HTTP01Solver(foreign: foreign)
        var ready: [String?] = []
        http.present(ACMEChallenge(kind: .http01, domain: "a.example", wildcard: false, token: "tok", keyAuthorization: "own", url: "u")) {
            ready.append($0)
        }
        XCTAssertEqual(ready, [nil])
        XCTAssertEqual(text(http.answer(token: "tok", host: "a.example")), "own")
        XCTAssertEqual(text(http.answer(token: "tok", host: "b.example")), "peer-b")

        let certificates = TLSALPNChallengeCertificates(foreign: foreign)
        let alpn = TLSALPN01Solver(certificates: certificates)
        let challenge = ACMEChallenge(kind: .tlsALPN01, domain: "b.example", wildcard: false, token: "t", keyAuthorization: "own.thumbprint", url: "u")
        let peers = try XCTUnwrap(certificates.certificate(for: "b.example"))
        alpn.present(challenge) { ready.append($0) }
        let own = try XCTUnwrap(certificates.certificate(for: "b.example"))
        XCTAssertFalse(own === peers, "its own certificate before the peer's")
        alpn.cleanUp(challenge)
        XCTAssertTrue(certificates.certificate(for: "b.example") === peers)
    }
}
