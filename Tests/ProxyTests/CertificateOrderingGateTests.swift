// A swarm node that is not the issuer (CertificateResolverRun.mayOrder false; docs/cluster.md) orders
// nothing its routers want, and orders at once when it becomes the issuer; a lone box (the default)
// orders as before. The issuer here only counts what it is asked: the run's decision is what is tested
// (the real ACME issuer against pebble is in test_acme.py and test_swarm_certificates.py).
import Proxy
import Reactor
import XCTest

final class CertificateOrderingGateTests: XCTestCase {
    final class CountingIssuer: CertificateIssuer {
        var asked: [[String]] = []
        func issue(_ names: [String], done: @escaping (Result<IssuedCertificate, IssueFailure>) -> Void) {
            asked.append(names)
            done(.failure(IssueFailure("not issued here", caAnswered: false)))
        }
    }

    func run(mayOrder: Bool) throws -> (CertificateResolverRun, CountingIssuer) {
        let loop = try EventLoop(backend: .epoll, log: Logger())
        let issuer = CountingIssuer()
        let run = CertificateResolverRun(name: "le", kind: "ACME", issuer: issuer, policy: RenewalPolicy(certificatesDurationHours: 2160),
                                         loop: loop, log: Logger())
        run.mayOrder = mayOrder
        return (run, issuer)
    }

    func testAFollowerOrdersNothingUntilItBecomesTheIssuer() throws {
        let (run, issuer) = try run(mayOrder: false)
        run.update(demands: [CertificateDemand(names: ["a.test"]), CertificateDemand(names: ["b.test"])])
        run.check()
        XCTAssertEqual(issuer.asked, [])
        XCTAssertNil(run.ordering)
        run.mayOrder = true
        XCTAssertEqual(issuer.asked.first, ["a.test"], "the new issuer orders at once")
        XCTAssertTrue(issuer.asked.contains(["b.test"]))
    }

    func testALoneBoxOrdersAsBefore() throws {
        let (run, issuer) = try run(mayOrder: true)
        run.update(demands: [CertificateDemand(names: ["a.test"])])
        XCTAssertEqual(issuer.asked, [["a.test"]])
    }
}
