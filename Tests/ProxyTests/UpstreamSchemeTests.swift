// Which servers are spoken to in HTTP/2 (Proxy/Routing/RouteTableBuilder.upstream), as Traefik 3.7 chooses:
// h2c:// with prior knowledge, https:// by ALPN unless serversTransport.disableHTTP2, http:// never.
import Config
@testable import Proxy
import XCTest

final class UpstreamSchemeTests: XCTestCase {
    private func use(_ url: String, _ transports: ServersTransports = ServersTransports(), transport: String? = nil)
        -> UpstreamServer.HTTP2Use? {
        switch RouteTableBuilder.upstream(url, weight: 1, transport: transport, transports) {
        case .success(let s): return s.http2
        case .failure: return nil
        }
    }

    func testSchemes() {
        XCTAssertEqual(use("http://127.0.0.1:8080"), .never)
        XCTAssertEqual(use("h2c://127.0.0.1:50051"), .priorKnowledge)
        XCTAssertEqual(use("h2c://127.0.0.1"), .priorKnowledge)  // port 80, as Go's h2c transport dials
        XCTAssertEqual(use("https://127.0.0.1:8443"), .negotiated)
        XCTAssertNil(use("ftp://127.0.0.1:21"))
    }

    func testDisableHTTP2() {
        let t = ServersTransports(named: ["off@file": TraefikServersTransport(name: "off@file", insecureSkipVerify: true, disableHTTP2: true)])
        XCTAssertEqual(use("https://127.0.0.1:8443", t, transport: "off@file"), .never)
        // Traefik's HTTP/1-only transport cannot speak h2c: refused with the reason.
        guard case .failure(let why) = RouteTableBuilder.upstream("h2c://127.0.0.1:50051", weight: 1, transport: "off@file", t) else {
            return XCTFail("h2c with disableHTTP2 accepted")
        }
        XCTAssertTrue(why.description.contains("disableHTTP2"), why.description)
    }
}
