import XCTest
import HTTP

/// Go's mime.ParseMediaType on the inputs compress's content-type lists meet.
final class MediaTypeTests: XCTestCase {
    func testParse() {
        let cases: [(String, String?, [String: String], UInt)] = [
            ("text/html", "text/html", [:], #line),
            ("Text/HTML; Charset=utf-8", "text/html", ["charset": "utf-8"], #line),
            ("text/plain; charset=\"a b\"", "text/plain", ["charset": "a b"], #line),
            ("text/plain;", "text/plain", [:], #line),
            ("text", "text", [:], #line),
            ("text/", nil, [:], #line),
            ("", nil, [:], #line),
            ("text/;;", nil, [:], #line),
            ("a/b; x=1; x=2", nil, [:], #line),
            ("a/b; x", nil, [:], #line),
            ("a/b c", nil, [:], #line),
        ]
        for (text, type, params, line) in cases {
            let m = MediaType(text)
            XCTAssertEqual(m?.type, type, text, line: line)
            if type != nil { XCTAssertEqual(m?.parameters, params, text, line: line) }
        }
    }

    func testMatches() {
        XCTAssertTrue(MediaType("text/csv")!.matches(MediaType("text/csv; charset=utf-8")!))
        XCTAssertTrue(MediaType("text/csv; charset=utf-8")!.matches(MediaType("TEXT/csv; charset=utf-8")!))
        XCTAssertFalse(MediaType("text/csv; charset=utf-8")!.matches(MediaType("text/csv")!))
    }
}
