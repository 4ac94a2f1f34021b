import Config
import Foundation
import JSON
@testable import Proxy
import XCTest

/// The old one-call forms, over fields(): `headers` keeps every header (Traefik's default drops them).
private func fieldsConfig(headers: Bool) -> TraefikAccessLogFields {
    var f = TraefikAccessLogFields()
    f.headersDefaultMode = headers ? "keep" : "drop"
    return f
}

extension AccessLogLine {
    static func common(_ r: CompletedRequest, start: WallTime, count: UInt64, headers: Bool, generic: Bool) -> String {
        common(fields(r, start: start, count: count, config: fieldsConfig(headers: headers)), start: start,
               duration: r.duration, generic: generic)
    }

    static func json(_ r: CompletedRequest, start: WallTime, end: WallTime, count: UInt64, headers: Bool) -> String {
        json(fields(r, start: start, count: count, config: fieldsConfig(headers: headers)), end: end)
    }
}

final class AccessLogTests: XCTestCase {
    /// 2009-11-10 23:00:00 UTC, the instant of Traefik's own formatter tests.
    private let start = WallTime(seconds: 1_257_894_000, nanos: 0)

    func testCommonLogFormatLines() {
        let cases: [(CompletedRequest, UInt64, String)] = [
            (completedRequest(method: "GET", path: "/foo?x=1", responseBytes: 132, durationMillis: 123,
                              userAgent: "agent", referer: "referer", user: "Client"),
             7, "10.0.0.1 - Client [10/Nov/2009:23:00:00 +0000] \"GET /foo?x=1 HTTP/1.1\" 200 132 \"referer\" \"agent\" 7 \"app@file\" \"http://10.0.0.2:80\" 123ms\n"),
            (completedRequest(router: nil, service: nil, serverURL: nil, status: 404, clientAddress: "::1",
                              responseBytes: 19, durationMillis: 0.4),
             1, "::1 - - [10/Nov/2009:23:00:00 +0000] \"GET / HTTP/1.1\" 404 19 \"-\" \"-\" 1 \"-\" \"-\" 0ms\n"),
            (completedRequest(method: "-", path: "-", status: 400, userAgent: "", referer: "", user: ""),
             2, "10.0.0.1 - - [10/Nov/2009:23:00:00 +0000] \"- - HTTP/1.1\" 400 0 \"-\" \"-\" 2 \"app@file\" \"http://10.0.0.2:80\" 1ms\n"),
        ]
        for (r, count, expected) in cases {
            XCTAssertEqual(AccessLogLine.common(r, start: start, count: count, headers: true, generic: false), expected)
        }
        let r = cases[0].0
        XCTAssertEqual(AccessLogLine.common(r, start: start, count: 7, headers: true, generic: true),
                       "10.0.0.1 - Client [10/Nov/2009:23:00:00 +0000] \"GET /foo?x=1 HTTP/1.1\" 200 132 \"referer\" \"agent\"\n")
        XCTAssertTrue(AccessLogLine.common(r, start: start, count: 7, headers: false, generic: false)
            .contains(" 200 132 \"-\" \"-\" 7 "))
    }

    func testJSONLineHasTraefiksFieldsInGoOrder() throws {
        let r = completedRequest(method: "POST", path: "/api?q=<x>", host: "example.com:8443",
                                 clientAddress: "[2001:db8::1]:5555", requestBytes: 12, responseBytes: 34,
                                 durationMillis: 1.5, userAgent: "curl/8", referer: nil)
        let begin = WallTime(seconds: 1_257_894_000, nanos: 500_000_000)
        let line = AccessLogLine.json(r, start: begin, end: WallTime(seconds: 1_257_894_001, nanos: 0), count: 3,
                                      headers: true)
        XCTAssertTrue(line.hasSuffix("}\n"))
        XCTAssertEqual(line.filter { $0 == "\n" }.count, 1)
        XCTAssertTrue(line.contains("\"RequestPath\":\"/api?q=\\u003cx\\u003e\""), line)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let strings: [(String, String)] = [
            ("ClientAddr", "[2001:db8::1]:5555"), ("ClientHost", "2001:db8::1"), ("ClientPort", "5555"),
            ("ClientUsername", "-"), ("RequestAddr", "example.com:8443"), ("RequestHost", "example.com"),
            ("RequestPort", "8443"), ("RequestMethod", "POST"), ("RequestPath", "/api?q=<x>"),
            ("RequestProtocol", "HTTP/1.1"), ("RequestScheme", "http"), ("RouterName", "app@file"),
            ("ServiceName", "app@file"), ("ServiceURL", "http://10.0.0.2:80"), ("ServiceAddr", "10.0.0.2:80"),
            ("StartUTC", "2009-11-10T23:00:00.5Z"), ("entryPointName", "web"), ("level", "info"), ("msg", ""),
            ("request_User-Agent", "curl/8"),
        ]
        for (key, value) in strings { XCTAssertEqual(object[key] as? String, value, key) }
        let numbers: [(String, Int)] = [
            ("DownstreamContentSize", 34), ("DownstreamStatus", 200), ("Duration", 1_500_000),
            ("OriginContentSize", 34), ("OriginDuration", 1_500_000), ("OriginStatus", 200), ("Overhead", 0),
            ("RequestContentSize", 12), ("RequestCount", 3), ("RetryAttempts", 0),
        ]
        for (key, value) in numbers { XCTAssertEqual(object[key] as? Int, value, key) }
        XCTAssertNil(object["request_Referer"])
        XCTAssertNotNil(object["StartLocal"] as? String)
        XCTAssertNotNil(object["time"] as? String)
        let keys = line.split(separator: ",").compactMap { part -> String? in
            guard let q = part.firstIndex(of: "\""), let colon = part.range(of: "\":") else { return nil }
            return String(part[part.index(after: q)..<colon.lowerBound])
        }
        XCTAssertEqual(keys, keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        XCTAssertEqual(keys.first, "ClientAddr")
        XCTAssertEqual(keys.last, "time")
    }

    func testJSONWithoutServerOrHost() throws {
        let r = completedRequest(router: nil, service: nil, serverURL: nil, host: "", status: 404, durationMillis: 2)
        let line = AccessLogLine.json(r, start: start, end: start, count: 1, headers: true)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        for absent in ["RouterName", "ServiceName", "ServiceURL", "ServiceAddr", "RequestAddr", "RequestHost", "RequestPort"] {
            XCTAssertNil(object[absent], absent)
        }
        for zero in ["OriginStatus", "OriginDuration", "OriginContentSize"] { XCTAssertEqual(object[zero] as? Int, 0, zero) }
        XCTAssertEqual(object["Overhead"] as? Int, 2_000_000)
        XCTAssertEqual(object["ClientHost"] as? String, "10.0.0.1")
        XCTAssertEqual(object["ClientPort"] as? String, "-")
        XCTAssertEqual(object["StartUTC"] as? String, "2009-11-10T23:00:00Z")
    }

    func testGoJSONEscaping() {
        let cases: [(String, String)] = [
            ("plain", "\"plain\""), ("a\"b\\c", "\"a\\\"b\\\\c\""), ("\n\r\t\u{8}\u{c}", "\"\\n\\r\\t\\b\\f\""),
            ("\u{1}\u{1f}", "\"\\u0001\\u001f\""), ("<a&b>", "\"\\u003ca\\u0026b\\u003e\""),
            ("x\u{2028}y\u{2029}", "\"x\\u2028y\\u2029\""), ("é€😀", "\"é€😀\""), ("\u{7f}", "\"\u{7f}\""),
        ]
        for (input, expected) in cases {
            var s = ""
            GoJSON.appendString(&s, input)
            XCTAssertEqual(s, expected, input)
        }
    }

    func testHelpersMatchGo() {
        let splits: [(String, String, String)] = [
            ("10.0.0.1:80", "10.0.0.1", "80"), ("[::1]:443", "::1", "443"), ("example.com", "example.com", "-"),
            ("::1", "::1", "-"), ("[::1]", "[::1]", "-"), ("", "", "-"),
        ]
        for (input, host, port) in splits {
            let got = AccessLogLine.splitHostPort(input)
            XCTAssertEqual(got.host, host, input)
            XCTAssertEqual(got.port, port, input)
        }
        let authorities: [(String, String)] = [
            ("http://10.0.0.2:80", "10.0.0.2:80"), ("http://u:p@h:1/x?y", "h:1"), ("h2c://[::1]:9000/", "[::1]:9000"),
        ]
        for (url, expected) in authorities { XCTAssertEqual(AccessLogLine.authority(of: url), expected) }
        let times: [(WallTime, UInt64, WallTime)] = [
            (WallTime(seconds: 10, nanos: 500), 400, WallTime(seconds: 10, nanos: 100)),
            (WallTime(seconds: 10, nanos: 0), 1, WallTime(seconds: 9, nanos: 999_999_999)),
            (WallTime(seconds: 10, nanos: 0), 2_500_000_000, WallTime(seconds: 7, nanos: 500_000_000)),
        ]
        for (t, ns, expected) in times { XCTAssertEqual(t.minus(nanoseconds: ns), expected) }
        XCTAssertEqual(WallTime(seconds: 1_257_894_000, nanos: 120).rfc3339Nano(local: false),
                       "2009-11-10T23:00:00.00000012Z")
        XCTAssertEqual(WallTime(seconds: 0, nanos: 0).commonLogUTC, "01/Jan/1970:00:00:00 +0000")
        XCTAssertEqual(WallTime(seconds: 0, nanos: 0).rfc3339(local: false), "1970-01-01T00:00:00Z")
    }

    func testFieldsModesAsTraefik() throws {
        var config = TraefikAccessLogFields()
        config.defaultMode = "drop"
        config.names = ["requestpath": "keep", "downstreamstatus": "keep", "routername": "bogus"]
        config.headerNames = ["User-Agent": "keep", "Referer": "redact", "X-Secret": "drop"]
        config.queryParametersDefaultMode = "drop"
        var r = completedRequest(path: "/a?token=1", userAgent: "ua", referer: "https://x/")
        r.requestHeaders += [("x-secret", "s"), ("X-Multi", "1"), ("x-multi", "2")]
        r.responseHeaders = [("Content-Type", "text/plain")]
        r.fromServer = true
        let f = AccessLogLine.fields(r, start: start, count: 1, config: config)
        XCTAssertEqual(Set(f.keys), ["RequestPath", "DownstreamStatus", "request_User-Agent", "request_Referer"])
        XCTAssertEqual(f["RequestPath"]?.text, "/a")
        XCTAssertEqual(f["request_Referer"]?.text, "REDACTED")
        config.headersDefaultMode = "keep"
        let g = AccessLogLine.fields(r, start: start, count: 1, config: config)
        XCTAssertEqual(g["request_X-Multi"]?.text, "1,2")
        XCTAssertNil(g["request_X-Secret"])
        XCTAssertEqual(g["origin_Content-Type"]?.text, "text/plain")
        XCTAssertEqual(g["downstream_Content-Type"]?.text, "text/plain")
        // CLF with the fields gone: dashes where Traefik's formatter finds nothing.
        XCTAssertEqual(AccessLogLine.common(f, start: start, duration: r.duration, generic: false),
                       "- - - [-] \"- /a -\" 200 - \"REDACTED\" \"ua\" - \"-\" \"-\" 0ms\n")
    }

    func testFiltersKeepAsTraefik() {
        var filters = TraefikAccessLogFilters()
        XCTAssertTrue(filters.keeps(status: 200, retryAttempts: 0, duration: 0))
        filters.statusCodes = [400...499, 503...503]
        XCTAssertFalse(filters.keeps(status: 200, retryAttempts: 0, duration: 0))
        XCTAssertTrue(filters.keeps(status: 404, retryAttempts: 0, duration: 0))
        XCTAssertTrue(filters.keeps(status: 503, retryAttempts: 0, duration: 0))
        filters.retryAttempts = true
        XCTAssertTrue(filters.keeps(status: 200, retryAttempts: 1, duration: 0))
        filters.minDuration = 10
        XCTAssertFalse(filters.keeps(status: 200, retryAttempts: 0, duration: 10))
        XCTAssertTrue(filters.keeps(status: 200, retryAttempts: 0, duration: 11))
    }

    private func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stoep-accesslog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    private func contents(_ url: URL) -> String {
        (try? String(contentsOf: url, encoding: .utf8)) ?? "<missing>"
    }

    func testFullBufferDropsAndCountsLines() throws {
        let file = try temporaryDirectory().appendingPathComponent("nested/dir/access.log")
        let line = AccessLogLine.common(completedRequest(), start: start, count: 1, headers: true, generic: false)
        let log = AccessLog(path: file.path, format: .common, bufferLimit: line.utf8.count * 3 + 10)
        XCTAssertNil(log.openError)
        for _ in 0..<5 { log.append(completedRequest(), end: start) }
        XCTAssertEqual(log.dropped, 2)
        XCTAssertEqual(contents(file), "", "nothing is written before flush")
        log.flush()
        XCTAssertEqual(log.pendingBytes, 0)
        let lines = contents(file).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[2].contains("\" 3 \"app@file\""), String(lines[2]))
        log.append(completedRequest(), end: start)
        XCTAssertEqual(log.dropped, 2, "room again after the flush")
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        let mask = umask(0)
        umask(mask)
        XCTAssertEqual(mode, 0o640 & ~Int(mask))
    }

    func testReopenAfterRename() throws {
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("access.log"), rotated = dir.appendingPathComponent("access.log.1")
        let log = AccessLog(path: file.path, format: .json)
        log.append(completedRequest(path: "/first"), end: start)
        log.flush()
        try FileManager.default.moveItem(at: file, to: rotated)
        log.append(completedRequest(path: "/second"), end: start)
        log.reopen()
        log.flush()
        XCTAssertTrue(contents(rotated).contains("/first"))
        XCTAssertFalse(contents(rotated).contains("/second"))
        XCTAssertTrue(contents(file).contains("/second"))
        XCTAssertEqual(contents(file).split(separator: "\n").count, 1)
    }

    func testUnopenableFileKeepsLinesUntilReopen() throws {
        let dir = try temporaryDirectory()
        let blocker = dir.appendingPathComponent("blocker")
        FileManager.default.createFile(atPath: blocker.path, contents: nil)
        let log = AccessLog(path: blocker.appendingPathComponent("access.log").path, format: .common)
        XCTAssertNotNil(log.openError)
        log.append(completedRequest(), end: start)
        log.flush()
        XCTAssertGreaterThan(log.pendingBytes, 0)
        try FileManager.default.removeItem(at: blocker)
        log.reopen()
        XCTAssertNil(log.openError)
        log.flush()
        XCTAssertEqual(log.pendingBytes, 0)
        XCTAssertEqual(contents(blocker.appendingPathComponent("access.log")).split(separator: "\n").count, 1)
    }
}
