import XCTest
@testable import Proxy

/// Traefik 3.7's negotiation (pkg/middlewares/compress/acceptencoding_test.go cases and the quirks of its
/// parser) and gzhttp's second look at the header.
final class AcceptEncodingTests: XCTestCase {
    func testNegotiation() {
        let all = ["gzip", "br", "zstd"]
        let cases: [([String], [String], String, String?, UInt)] = [
            ([""], all, "", nil, #line),
            (["gzip, br, zstd"], all, "", "gzip", #line),
            (["zstd, br"], all, "", "br", #line),
            (["zstd, br"], ["zstd", "br", "gzip"], "", "zstd", #line),
            (["br;q=0.5, gzip;q=0.8"], all, "", "gzip", #line),
            (["gzip;q=0, br"], all, "", "br", #line),
            (["gzip;q=0"], all, "", nil, #line),
            (["*"], all, "", "gzip", #line),
            (["*"], all, "zstd", "zstd", #line),
            (["*;q=0.5, br;q=0.1"], all, "", "gzip", #line),
            (["identity"], all, "", nil, #line),
            (["identity, gzip"], all, "", "gzip", #line),
            (["unknown"], all, "", nil, #line),
            (["GZIP"], all, "", nil, #line),
            (["gzip;q=abc, zstd"], all, "", "zstd", #line),
            (["gzip;level=1"], all, "", "gzip", #line),
            ([" br ,  zstd "], all, "", "br", #line),
            (["zstd", "br;q=0.9"], all, "", "zstd", #line),
            (["br"], ["gzip"], "", nil, #line),
        ]
        for (lines, encodings, def, expected, line) in cases {
            XCTAssertEqual(AcceptEncoding.negotiate(lines, encodings: encodings, defaultEncoding: def), expected, "\(lines)", line: line)
        }
    }

    func testGzhttpQuality() {
        let cases: [(String, Double, UInt)] = [
            ("gzip", 1, #line), ("GZIP", 1, #line), ("br, gzip;q=0.5", 0.5, #line), ("gzip;q=abc", 0, #line),
            ("gzip;q=2", 1, #line), ("*", 0, #line), ("", 0, #line), ("gzip;q=0, gzip", 0, #line),
        ]
        for (header, q, line) in cases { XCTAssertEqual(AcceptEncoding.gzipQuality(header), q, header, line: line) }
    }
}
