// HTTPClientExchange on real sockets, once per backend: the addresses tried in order (a refused TCP port,
// a missing unix socket, then one that answers), the request as sent, the answer whole or streamed, the
// body limit and the timeout, and a completion that never runs inside start().
import HTTP
import HTTPClient
import Reactor
import TestSupport
import XCTest

final class HTTPClientExchangeTests: XCTestCase {
    private static let backends: [BackendKind] = [.epoll, .ioUring]

    private func run(_ loop: EventLoop, seconds: Double = 3, until done: @escaping () -> Bool) throws {
        try runLoop(loop, seconds: seconds, until: done)
    }

    private func socketPath(_ name: String) -> String {
        let path = "/tmp/stoep-httpclient-\(getpid())-\(name)"
        unlink(path)
        return path
    }

    func testAddressesInTurnAndTheWholeAnswer() throws {
        for backend in Self.backends {
            let loop = try EventLoop(backend: backend, log: Logger())
            let path = socketPath("whole")
            defer { unlink(path) }
            let server = CannedHTTPServer(loop: loop, response: "HTTP/1.1 201 Created\r\nReplay-Nonce: n1\r\nLink: <a>\r\nLink: <b>\r\nContent-Length: 5\r\n\r\nhello")
            let listener = try Listener.unix(path: path, mode: 0o600, loop: loop, handler: server)
            defer { listener.close(); server.close() }
            var result: Result<HTTPClientResponse, HTTPClientError>?
            let refused = try XCTUnwrap(SocketAddress(host: "127.0.0.1", port: 1))
            let request = HTTPClientRequest(.post, target: "/acme/new-order", host: "ca.test:14000",
                                            headers: [("Content-Type", "application/jose+json")], body: Array("{}".utf8))
            HTTPClientExchange.start(loop: loop, to: [.ip(refused), .unix(path + "-missing"), .unix(path)], tls: nil, request: request,
                                     timeout: 2_000_000_000, body: .whole(limit: 1 << 20)) { result = $0 }
            XCTAssertNil(result, "\(backend): never from inside start()")
            try run(loop) { result != nil }
            let answer = try XCTUnwrap(try result?.get(), "\(backend): \(String(describing: result))")
            XCTAssertEqual(answer.status, 201)
            XCTAssertEqual(answer.field("replay-nonce"), "n1")
            XCTAssertEqual(answer.fields("link"), ["<a>", "<b>"])
            XCTAssertEqual(String(decoding: answer.body, as: UTF8.self), "hello")
            XCTAssertEqual(String(decoding: server.received, as: UTF8.self),
                           "POST /acme/new-order HTTP/1.1\r\nHost: ca.test:14000\r\nContent-Type: application/jose+json\r\n"
                           + "Content-Length: 2\r\nConnection: close\r\n\r\n{}", "\(backend)")
        }
    }

    func testStreamedBodyLimitTimeoutAndNoAddress() throws {
        for backend in Self.backends {
            let loop = try EventLoop(backend: backend, log: Logger())
            let path = socketPath("stream")
            defer { unlink(path) }
            let server = CannedHTTPServer(loop: loop, response: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab\n\r\n2\r\nc\n\r\n0\r\n\r\n")
            let listener = try Listener.unix(path: path, mode: 0o600, loop: loop, handler: server)
            defer { listener.close(); server.close() }
            let get = HTTPClientRequest(.get, target: "/events", host: "docker")
            var status: Int?, pieces: [UInt8] = [], streamed: Result<HTTPClientResponse, HTTPClientError>?
            HTTPClientExchange.start(loop: loop, to: [.unix(path)], tls: nil, request: get, timeout: nil,
                                     body: .streamed(onHead: { status = $0 }, onBody: { XCTAssertNotNil(status); pieces += $0 })) { streamed = $0 }
            var limited: Result<HTTPClientResponse, HTTPClientError>?
            HTTPClientExchange.start(loop: loop, to: [.unix(path)], tls: nil, request: get, timeout: nil, body: .whole(limit: 4)) { limited = $0 }
            var none: Result<HTTPClientResponse, HTTPClientError>?
            HTTPClientExchange.start(loop: loop, to: [], tls: nil, request: get, timeout: nil, body: .whole(limit: 4)) { none = $0 }
            try run(loop) { streamed != nil && limited != nil && none != nil }
            XCTAssertEqual(status, 200, "\(backend)")
            XCTAssertEqual(String(decoding: pieces, as: UTF8.self), "ab\nc\n", "\(backend)")
            XCTAssertEqual(try streamed?.get().body, [], "\(backend): the pieces went to onBody")
            XCTAssertTrue("\(String(describing: limited))".contains("GET http://docker/events: answer larger than 4 bytes"), "\(backend): \(String(describing: limited))")
            XCTAssertTrue("\(String(describing: none))".contains("no address"), "\(backend)")

            let silentPath = socketPath("silent")
            defer { unlink(silentPath) }
            let silent = CannedHTTPServer(loop: loop, response: nil)
            let silentListener = try Listener.unix(path: silentPath, mode: 0o600, loop: loop, handler: silent)
            defer { silentListener.close(); silent.close() }
            var late: Result<HTTPClientResponse, HTTPClientError>?
            var cancelled = false
            let gone = HTTPClientExchange.start(loop: loop, to: [.unix(silentPath)], tls: nil, request: get, timeout: 100_000_000,
                                                body: .whole(limit: 4)) { _ in cancelled = true }
            gone.cancel()
            HTTPClientExchange.start(loop: loop, to: [.unix(silentPath)], tls: nil, request: get, timeout: 100_000_000,
                                     body: .whole(limit: 4)) { late = $0 }
            try run(loop) { late != nil }
            if case .failure(let e) = late { XCTAssertEqual(e.reason, "no complete answer within 0 s", "\(backend)") } else { XCTFail("\(backend)") }
            XCTAssertFalse(cancelled, "\(backend): a cancelled exchange never calls back")
        }
    }
}
