// The traffic middlewares from Docker labels (iNethi configures with labels): the label text decodes as
// the file provider's does.
import Config
import Discovery
import XCTest

final class MiddlewareLabelTests: XCTestCase {
    func testTrafficMiddlewareLabels() {
        let labels = [
            "traefik.enable": "true",
            "traefik.http.routers.app.rule": "Host(`app.lan`)",
            "traefik.http.routers.app.middlewares": "rl,ifr,retry,rp,errs",
            "traefik.http.middlewares.rl.ratelimit.average": "10",
            "traefik.http.middlewares.rl.ratelimit.burst": "20",
            "traefik.http.middlewares.rl.ratelimit.period": "1m",
            "traefik.http.middlewares.rl.ratelimit.sourcecriterion.ipstrategy.depth": "1",
            "traefik.http.middlewares.ifr.inflightreq.amount": "4",
            "traefik.http.middlewares.retry.retry.attempts": "3",
            "traefik.http.middlewares.retry.retry.initialinterval": "100ms",
            "traefik.http.middlewares.rp.replacepathregex.regex": "^/old/(.*)",
            "traefik.http.middlewares.rp.replacepathregex.replacement": "/new/$1",
            "traefik.http.middlewares.errs.errors.status": "500-599,404",
            "traefik.http.middlewares.errs.errors.service": "pages",
            "traefik.http.middlewares.errs.errors.query": "/{status}.html",
        ]
        let containers = FixtureLabelTests.containers([(name: "plain", labels: labels)], project: nil)
        let snapshot = DockerProvider.configuration(for: containers, settings: FixtureLabelTests.fixtureSettings)
        XCTAssertEqual(snapshot.problems.map(\.description), [])
        let m = snapshot.config.httpMiddlewares
        XCTAssertEqual(m["rl@docker"]?.kind, .rateLimit(TraefikRateLimit(average: 10, period: .seconds(60), burst: 20,
                                                                         source: .ip(TraefikIPStrategy(depth: 1)))))
        XCTAssertEqual(m["ifr@docker"]?.kind, .inFlightReq(TraefikInFlightReq(amount: 4)))
        XCTAssertEqual(m["retry@docker"]?.kind, .retry(TraefikRetry(attempts: 3, initialInterval: .milliseconds(100))))
        XCTAssertEqual(m["rp@docker"]?.kind, .replacePathRegex(regex: "^/old/(.*)", replacement: "/new/$1"))
        XCTAssertEqual(m["errs@docker"]?.kind, .errors(TraefikErrorPage(status: [500...599, 404...404], service: "pages@docker",
                                                                        query: "/{status}.html")))
    }
}
