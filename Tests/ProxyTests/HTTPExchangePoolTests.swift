// ExchangePool (issue 18: no allocation per keep-alive request): an exchange taken from the pool starts as
// a new one would, every stored property; the server's in-flight count follows the exchange into and out
// of the pool; an exchange something else still holds is never reused.
import HTTP
@testable import Proxy
import Reactor
import XCTest

final class HTTPExchangePoolTests: XCTestCase {
    private func server(_ port: UInt16) -> UpstreamServer {
        UpstreamServer(url: "http://127.0.0.1:\(port)", hostHeader: "127.0.0.1:\(port)",
                       address: SocketAddress(host: "127.0.0.1", port: port)!, weight: 1)
    }

    /// Every stored property as text, in declaration order.
    private func properties(_ x: HTTPExchange) -> [String] {
        Mirror(reflecting: x).children.map { "\($0.label ?? "?") = \(String(reflecting: $0.value))" }
    }

    func testReusedExchangeStartsAsANewOne() {
        let pool = ExchangePool()
        let first = server(1), second = server(2)
        let view = TrafficMiddlewareTests.view("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")
        var used: HTTPExchange? = pool.take(view: view, route: nil, server: first, startedAt: 1)
        let object = ObjectIdentifier(used!)
        // Everything a finished exchange may have changed.
        let x = used!
        x.pickedAt = 9; x.reusedConnection = true; x.upstreamOut = [1, 2, 3]; x.upstreamOutSent = 2
        x.requestBody = BodyForwarder(.contentLength(5)); x.requestDone = true
        guard case .complete(let head, _) = HTTPResponseHead.parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n".utf8), requestMethod: .get) else {
            return XCTFail("response head")
        }
        x.responseHead = head; x.responseBody = BodyForwarder(.contentLength(3)); x.responseDone = true
        x.responseHeaders = [("X-A", "1")]; x.loggedResponseFields = [("X-B", "2")]; x.setCookies = ["c=1"]
        x.status = 200; x.maxRequestBody = 10; x.heldBodyLength = 5; x.connectDeadline = 3; x.responseDeadline = 4
        x.awaitingContinue = true; x.continueDeadline = 5; x.headLength = 40; x.attempt = 3; x.retryStartedAt = 6
        x.failureStatus = 504; x.sniffContentType = true; x.forward = ForwardedRequest(path: "/b", query: "q")
        x.pageStatus = 404; x.pageForHead = true; x.sniffedType = "text/plain"; x.refusedUnprocessed = true
        x.server = second
        XCTAssertEqual(first.inFlight, 0)
        XCTAssertEqual(second.inFlight, 1)
        pool.giveBack(&used)
        XCTAssertNil(used)
        XCTAssertEqual(pool.count, 0, "the test's `x` still holds it: not taken back")
        used = x
        _ = consume x
        pool.giveBack(&used)
        XCTAssertEqual(pool.count, 1)
        XCTAssertEqual(second.inFlight, 0, "the pooled exchange gives the server's in-flight count back")

        let nextView = TrafficMiddlewareTests.view("GET /c HTTP/1.1\r\nHost: c\r\n\r\n")
        let reused = pool.take(view: nextView, route: nil, server: first, startedAt: 7)
        let fresh = HTTPExchange(view: nextView, route: nil, server: first, startedAt: 7)
        XCTAssertEqual(ObjectIdentifier(reused), object, "the pooled object, not a new one")
        XCTAssertEqual(properties(reused), properties(fresh))
        XCTAssertEqual(first.inFlight, 2)
        // A property added to HTTPExchange needs its reset in clear() and a change above.
        XCTAssertEqual(Mirror(reflecting: fresh).children.count, 40)
    }

    func testExchangeHeldElsewhereIsNotReused() {
        let pool = ExchangePool()
        let s = server(3)
        let view = TrafficMiddlewareTests.view("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let held = pool.take(view: view, route: nil, server: s, startedAt: 1)
        var slot: HTTPExchange? = held
        pool.giveBack(&slot)
        XCTAssertEqual(pool.count, 0)
        XCTAssertEqual(s.inFlight, 1, "still counted: the holder's exchange is untouched")
        XCTAssertEqual(held.view.bytes, view.bytes)
        XCTAssertTrue(pool.take(view: view, route: nil, server: nil, startedAt: 2) !== held)
    }
}
