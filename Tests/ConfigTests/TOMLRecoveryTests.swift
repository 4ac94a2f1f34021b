import XCTest
@testable import Config

/// Error recovery and source locations: one error per independent mistake, each at the right place.
final class TOMLRecoveryTests: XCTestCase {
    func testThreeIndependentErrorsAreAllReported() {
        let text = """
            [server]
            port = 80 80
            name = "ok"
            host = "unterminated
            [client]
            retries = 012
            timeout = 3
            """
        let (table, errors) = TOMLParser.parse(text, file: "three.toml")
        XCTAssertEqual(errors.map { $0.location?.line }, [2, 4, 6], "\(errors)")
        XCTAssertEqual(errors.map { $0.location?.column }, [11, 21, 11])
        XCTAssertTrue(errors[0].description.hasPrefix("three.toml:2:11: expected the end of the line"), errors[0].description)
        // The valid statements around the errors are kept, and so is a value followed by junk.
        XCTAssertEqual(render(table), #"{server={port=80,name="ok"},client={timeout=3}}"#)
    }

    func testBrokenMultilineArrayIsOneError() {
        let text = """
            a = [
              1,
              oops,
              3,
              4,
            ]
            b = 2
            c = 3 3
            """
        let (table, errors) = TOMLParser.parse(text, file: "t")
        XCTAssertEqual(errors.map { $0.location?.line }, [3, 8], "\(errors)")
        XCTAssertEqual(table["b"]?.value, .integer(2))
    }

    func testUnclosedArrayStopsAtNextStatement() {
        let (table, errors) = TOMLParser.parse("a = [1, 2\nb = 2\n[t]\nc = 3", file: "t")
        XCTAssertEqual(errors.map(\.description), ["t:1:5: expected ']' to close the array opened here"])
        XCTAssertEqual(render(table), "{b=2,t={c=3}}")
    }

    func testMultiLineInlineTableIsOneError() {
        let (table, errors) = TOMLParser.parse("a = {\n  b = 1,\n  c = 2,\n}\nd = 4", file: "t")
        XCTAssertEqual(errors.map { $0.location?.line }, [1], "\(errors)")
        XCTAssertEqual(render(table), "{d=4}")
    }

    func testKeysBelowABrokenHeaderGoNowhere() {
        // The keys under the broken header must not be added to [a] (they would be reported as
        // unknown there), nor to the document root.
        let (table, errors) = TOMLParser.parse("[a]\nx = 1\n[b\ny = 2\n[c]\nz = 3", file: "t")
        XCTAssertEqual(errors.map { $0.location?.line }, [3])
        XCTAssertEqual(render(table), "{a={x=1},c={z=3}}")
    }

    func testKeysBelowARedefinedTableGoNowhere() {
        let (table, errors) = TOMLParser.parse("[a]\nx = 1\n[a]\nx = 2\ny = 3", file: "t")
        XCTAssertEqual(errors.map { $0.location?.line }, [3], "\(errors)")
        XCTAssertEqual(render(table), "{a={x=1}}")
    }

    func testBadEscapeKeepsTheStatement() {
        let (table, errors) = TOMLParser.parse(#"a = "x\qy""# + "\nb = 1", file: "t")
        XCTAssertEqual(errors.count, 1)
        XCTAssertEqual(render(table), #"{a="xy",b=1}"#)
    }

    func testValueLocations() {
        let text = """
            # header comment
            top = "v"
            [stats]
              socket = '/run/s'
            [[forward]]
            listen = [ "a",
                       "b" ]
            inline = { k = 1 }
            x.y = 2
            """
        let (table, _) = TOMLParser.parse(text, file: "loc.toml")
        XCTAssertEqual(table["top"]?.location, SourceLocation(file: "loc.toml", line: 2, column: 7))
        guard case .table(let stats)? = table["stats"]?.value else { return XCTFail("stats") }
        XCTAssertEqual(stats.location.description, "loc.toml:3:1")
        XCTAssertEqual(stats["socket"]?.location.description, "loc.toml:4:12")
        guard case .array(let forwards)? = table["forward"]?.value, case .table(let forward)? = forwards.first?.value else {
            return XCTFail("forward")
        }
        XCTAssertEqual(forwards.first?.location.description, "loc.toml:5:1")
        guard case .array(let listen)? = forward["listen"]?.value else { return XCTFail("listen") }
        XCTAssertEqual(listen.map(\.location.description), ["loc.toml:6:12", "loc.toml:7:12"])
        guard case .table(let inline)? = forward["inline"]?.value else { return XCTFail("inline") }
        XCTAssertEqual(forward["inline"]?.location.description, "loc.toml:8:10")
        XCTAssertEqual(inline["k"]?.location.description, "loc.toml:8:16")
        guard case .table(let x)? = forward["x"]?.value else { return XCTFail("x") }
        XCTAssertEqual(forward["x"]?.location.description, "loc.toml:9:1")
        XCTAssertEqual(x["y"]?.location.description, "loc.toml:9:7")
        // Columns count characters, not bytes.
        let (_, errors) = TOMLParser.parse("\"ü\" = \"é\" ;", file: "u")
        XCTAssertEqual(errors.first?.location?.column, 11)
    }

    func testKeyOrderAcrossHeadersAndDottedKeys() {
        let (table, errors) = TOMLParser.parse("z = 1\n[m]\n[a]\nq.r = 1\np = 2\n[b]", file: "t")
        XCTAssertEqual(errors, [])
        XCTAssertEqual(table.keys, ["z", "m", "a", "b"])
        guard case .table(let a)? = table["a"]?.value else { return XCTFail("a") }
        XCTAssertEqual(a.keys, ["q", "p"])
    }

    func testErrorsComeInFileOrderAndDescriptionsHaveFileLineColumn() {
        let (_, errors) = TOMLParser.parse("a = 1\na = 2\nb = \nc = [1,,2]\n", file: "/etc/stoep.toml")
        XCTAssertEqual(errors.map(\.description), [
            "/etc/stoep.toml:2:1: key 'a' is already defined at line 1; a key is defined once",
            "/etc/stoep.toml:3:5: expected a value (string, number, boolean, datetime, array or inline table)",
            "/etc/stoep.toml:4:8: expected a value (string, number, boolean, datetime, array or inline table)",
        ])
    }
}
