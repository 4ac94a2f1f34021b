@testable import Proxy
import XCTest

/// A finished request with everything defaulted; durations in milliseconds for readability.
func completedRequest(entryPoint: String = "web", router: String? = "app@file", service: String? = "app@file",
                      serverURL: String? = "http://10.0.0.2:80", method: String = "GET", path: String = "/",
                      host: String = "example.com", protocolName: String = "http", status: Int = 200,
                      clientAddress: String = "10.0.0.1", requestBytes: UInt64 = 0, responseBytes: UInt64 = 0,
                      durationMillis: Double = 1, userAgent: String? = nil, referer: String? = nil,
                      user: String? = nil) -> CompletedRequest {
    CompletedRequest(entryPoint: entryPoint, router: router, service: service, serverURL: serverURL,
                     method: method, path: path, host: host, protocolName: protocolName, status: status,
                     clientAddress: clientAddress, requestBytes: requestBytes, responseBytes: responseBytes,
                     startedAt: 0, duration: UInt64(durationMillis * 1_000_000), userAgent: userAgent,
                     referer: referer, user: user).withHeaders(userAgent: userAgent, referer: referer)
}

extension CompletedRequest {
    /// The request's fields as the session collects them for the access log.
    func withHeaders(userAgent: String?, referer: String?) -> CompletedRequest {
        var r = self
        if let referer { r.requestHeaders.append(("Referer", referer)) }
        if let userAgent { r.requestHeaders.append(("user-agent", userAgent)) }
        return r
    }
}

/// One sample line of a rendered exposition.
struct ParsedSample: Equatable {
    var name: String
    var labels: [String: String]
    var value: String
}

/// A rendered exposition read back: samples in order, and each family's HELP and TYPE.
struct ParsedExposition {
    var samples: [ParsedSample] = []
    var types: [String: String] = [:]
    var helps: [String: String] = [:]
    /// Family names in the order their TYPE lines appear.
    var familyOrder: [String] = []

    init(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.isEmpty || text.hasSuffix("\n"), "exposition must end with a newline", file: file, line: line)
        for raw in text.split(separator: "\n") {
            let l = String(raw)
            if l.hasPrefix("# HELP ") {
                let rest = l.dropFirst(7)
                let name = rest.prefix { $0 != " " }
                helps[String(name)] = String(rest.dropFirst(name.count + 1))
            } else if l.hasPrefix("# TYPE ") {
                let parts = l.split(separator: " ")
                types[String(parts[2])] = String(parts[3])
                familyOrder.append(String(parts[2]))
            } else if let s = ParsedExposition.sample(l) {
                samples.append(s)
            } else {
                XCTFail("unparsable line: \(l)", file: file, line: line)
            }
        }
    }

    /// `name{a="b",c="d"} value`, with the text format's label escapes undone.
    static func sample(_ line: String) -> ParsedSample? {
        let chars = Array(line)
        var i = 0
        var name = ""
        while i < chars.count, chars[i] != "{", chars[i] != " " { name.append(chars[i]); i += 1 }
        var labels: [String: String] = [:]
        if i < chars.count, chars[i] == "{" {
            i += 1
            while i < chars.count, chars[i] != "}" {
                var key = ""
                while i < chars.count, chars[i] != "=" { key.append(chars[i]); i += 1 }
                i += 2  // ="
                var value = ""
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count {
                        i += 1
                        value.append(chars[i] == "n" ? "\n" : chars[i])
                    } else {
                        value.append(chars[i])
                    }
                    i += 1
                }
                i += 1  // closing quote
                if i < chars.count, chars[i] == "," { i += 1 }
                labels[key] = value
            }
            i += 1
        }
        guard i < chars.count, chars[i] == " " else { return nil }
        return ParsedSample(name: name, labels: labels, value: String(chars[(i + 1)...]))
    }

    /// The value of the one sample named `name` whose labels equal `labels`.
    func value(_ name: String, _ labels: [String: String]) -> String? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    func names(withPrefix prefix: String) -> [String] {
        samples.map(\.name).filter { $0.hasPrefix(prefix) }
    }
}
