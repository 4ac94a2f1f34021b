// Sticky cookies from Docker labels: the label path decodes `sticky.cookie` as the file provider does
// (Traefik's paerser: `sticky.cookie=true` is the cookie with every option at its default).
import Config
import Discovery
import XCTest

final class StickyLabelTests: XCTestCase {
    func sticky(_ labels: [String: String]) -> TraefikStickyCookie? {
        let c = DockerContainer(id: "id-app", name: "app", labels: labels, networkMode: "bridge", networks: [("bridge", "10.0.0.2")], ports: [80])
        let s = DockerProvider.configuration(for: [c], settings: DockerProviderSettings())
        guard case .loadBalancer(let lb)? = s.config.httpServices["app@docker"]?.kind else { return nil }
        return lb.sticky
    }

    func testCookieOptionsFromLabels() {
        XCTAssertEqual(sticky(["traefik.http.services.app.loadbalancer.sticky.cookie.name": "pin",
                               "traefik.http.services.app.loadbalancer.sticky.cookie.httponly": "true",
                               "traefik.http.services.app.loadbalancer.sticky.cookie.samesite": "lax",
                               "traefik.http.services.app.loadbalancer.sticky.cookie.maxage": "60"]),
                       TraefikStickyCookie(name: "pin", httpOnly: true, sameSite: "lax", maxAge: 60))
        XCTAssertEqual(sticky(["traefik.http.services.app.loadbalancer.sticky.cookie": "true"]), TraefikStickyCookie())
        XCTAssertNil(sticky(["traefik.http.services.app.loadbalancer.server.port": "80"]))
    }
}
