import XCTest
@testable import Config

/// Parses `text` as YAML with the file name "t.yaml".
func parseYAML(_ text: String) -> (TOMLTable, [ConfigError]) {
    YAMLReader.parse(text, file: "t.yaml")
}

final class YAMLReaderTests: XCTestCase {
    /// Plain scalars follow the YAML 1.2 core schema; quoted and block scalars are strings.
    func testScalarResolution() {
        let cases: [(yaml: String, expected: String)] = [
            ("v: true", "{v=true}"), ("v: True", "{v=true}"), ("v: TRUE", "{v=true}"),
            ("v: false", "{v=false}"), ("v: False", "{v=false}"), ("v: FALSE", "{v=false}"),
            ("v: tRUE", "{v=\"tRUE\"}"), ("v: yes", "{v=\"yes\"}"), ("v: off", "{v=\"off\"}"),
            ("v: 42", "{v=42}"), ("v: -17", "{v=-17}"), ("v: +5", "{v=5}"), ("v: 007", "{v=7}"),
            ("v: 0x1F", "{v=31}"), ("v: 0xff", "{v=255}"), ("v: 0o17", "{v=15}"),
            ("v: 9223372036854775807", "{v=9223372036854775807}"),
            ("v: 0x", "{v=\"0x\"}"), ("v: 0o8", "{v=\"0o8\"}"), ("v: 1_000", "{v=\"1_000\"}"),
            ("v: 1.5", "{v=1.5}"), ("v: -0.25", "{v=-0.25}"), ("v: .5", "{v=0.5}"), ("v: 5.", "{v=5.0}"),
            ("v: 1e3", "{v=1000.0}"), ("v: 2.5E-1", "{v=0.25}"), ("v: .inf", "{v=inf}"),
            ("v: -.Inf", "{v=-inf}"), ("v: +.INF", "{v=inf}"), ("v: .nan", "{v=nan}"), ("v: .NaN", "{v=nan}"),
            ("v: 1.2.3", "{v=\"1.2.3\"}"), ("v: 1e", "{v=\"1e\"}"), ("v: .", "{v=\".\"}"),
            ("v: 12:30", "{v=\"12:30\"}"), ("v: 10s", "{v=\"10s\"}"),
            ("v: '42'", "{v=\"42\"}"), ("v: \"true\"", "{v=\"true\"}"), ("v: \"~\"", "{v=\"~\"}"),
            ("v: 'it''s'", "{v=\"it's\"}"), ("v: \"a\\tb\\u00e9\"", "{v=\"a\tbé\"}"),
            ("v: Host(`a.example`) && Path(`/x`)", "{v=\"Host(`a.example`) && Path(`/x`)\"}"),
            ("v: |\n  line1\n  line2\n", "{v=\"line1\\nline2\\n\"}"),
            ("v: >-\n  folded\n  text\n", "{v=\"folded text\"}"),
            ("v: !!str 42", "{v=\"42\"}"), ("v: ! true", "{v=\"true\"}"), ("v: !!int \"12\"", "{v=12}"),
            ("v: !!float 1", "{v=1.0}"), ("v: !!bool \"false\"", "{v=false}"),
            // null has no TOML value: a null mapping value is an empty table ("present with defaults").
            ("v: ~", "{v={}}"), ("v: null", "{v={}}"), ("v: NULL", "{v={}}"), ("v:", "{v={}}"),
            ("v: [1, ~, 2]", "{v=[1,2]}"),
            ("80: x\ntrue: y\n~: z", "{80=\"x\",true=\"y\",\"~\"=\"z\"}"),
        ]
        for (yaml, expected) in cases {
            let (table, errors) = parseYAML(yaml)
            XCTAssertEqual(errors, [], yaml)
            XCTAssertEqual(render(table), expected, yaml)
        }
    }

    func testStructure() {
        let cases: [(yaml: String, expected: String)] = [
            ("", "{}"), ("# only a comment\n", "{}"), ("---\n", "{}"), ("~", "{}"), ("{}", "{}"),
            ("b: 1\na: 2\nc: 3", "{b=1,a=2,c=3}"),
            ("a:\n  b:\n    c: 1\n  d: 2", "{a={b={c=1},d=2}}"),
            ("a:\n- 1\n- x\n", "{a=[1,\"x\"]}"),
            ("a: {x: 1, y: [true, 2.5]}", "{a={x=1,y=[true,2.5]}}"),
            ("a:\n  - name: n\n    w: 1\n  - name: m\n", "{a=[{name=\"n\",w=1},{name=\"m\"}]}"),
            ("a: [[1, 2], []]", "{a=[[1,2],[]]}"),
            ("---\na: 1\n...\n", "{a=1}"),
            ("%YAML 1.2\n---\na: 1\n", "{a=1}"),
            ("\u{FEFF}a: 1", "{a=1}"),
            ("\"quoted key\": 1\n'x.y': 2", "{\"quoted key\"=1,\"x.y\"=2}"),
        ]
        for (yaml, expected) in cases {
            let (table, errors) = parseYAML(yaml)
            XCTAssertEqual(errors, [], yaml)
            XCTAssertEqual(render(table), expected, yaml)
        }
    }

    func testLocations() throws {
        let yaml = """
        http:
          routers:
            web:
              rule: "Host(`x`)"
              entryPoints: [a, b]
              middlewares:
                - auth
                - strip
        ké: ü
        """
        let (table, errors) = parseYAML(yaml)
        XCTAssertEqual(errors, [])
        func at(_ path: [String]) -> TOMLNode? {
            var node = table[path[0]]
            for key in path.dropFirst() {
                guard case .table(let inner)? = node?.value else { return nil }
                node = inner[key]
            }
            return node
        }
        let web = ["http", "routers", "web"]
        let cases: [(path: [String], line: Int, column: Int)] = [
            (["http", "routers"], 2, 3), (web, 3, 5), (web + ["rule"], 4, 13),
            (web + ["entryPoints"], 5, 20), (web + ["middlewares"], 7, 9),
            // Columns count characters, not bytes.
            (["ké"], 9, 5),
        ]
        for (path, line, column) in cases {
            let node = try XCTUnwrap(at(path), "\(path)")
            XCTAssertEqual(node.location, SourceLocation(file: "t.yaml", line: line, column: column), "\(path)")
        }
        guard case .array(let items)? = at(web + ["entryPoints"])?.value,
              case .array(let middlewares)? = at(web + ["middlewares"])?.value else { return XCTFail("arrays") }
        XCTAssertEqual(items.map(\.location.column), [21, 24])
        XCTAssertEqual(middlewares.map(\.location.line), [7, 8])
        XCTAssertEqual(middlewares.map(\.location.column), [11, 11])
    }

    func testAnchorsAliasesAndMerges() {
        let yaml = """
        base: &base
          a: 1
          b: 2
        other: &other {b: 20, z: 26}
        copy: *base
        merged:
          <<: *base
          b: 3
          c: 4
        overrideFirst:
          b: 5
          <<: *base
        many:
          <<: [*other, *base]
        inline:
          <<: {q: 1}
          r: 2
        list: &l [1, &s two]
        again: *l
        scalar: *s
        *s : keyed by alias
        """
        let (table, errors) = parseYAML(yaml)
        XCTAssertEqual(errors, [])
        XCTAssertEqual(render(table), "{base={a=1,b=2},other={b=20,z=26},copy={a=1,b=2},merged={a=1,b=3,c=4},"
            + "overrideFirst={b=5,a=1},many={b=20,z=26,a=1},inline={q=1,r=2},list=[1,\"two\"],again=[1,\"two\"],"
            + "scalar=\"two\",two=\"keyed by alias\"}")
        // An alias copy is located where it is used; a quoted "<<" is an ordinary key.
        XCTAssertEqual(table["copy"]?.location.line, 5)
        XCTAssertEqual(render(parseYAML("\"<<\": {a: 1}").0), "{\"<<\"={a=1}}")
    }

    /// Each case: YAML text, the expected error's line and column, and a fragment of its message.
    func testErrors() {
        let cases: [(yaml: String, line: Int, column: Int, fragment: String)] = [
            ("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a' (first defined at line 1"),
            ("a:\n  x: 1\n  x: 2\n", 3, 3, "duplicate key 'x'"),
            ("? [a, b]\n: 1\n", 1, 3, "mapping keys must be plain strings; found a sequence"),
            ("{a: 1}: 2\n", 1, 1, "found a mapping"),
            ("a: b: c\n", 1, 5, "mapping values are not allowed"),
            ("a: 1\nb: [1, 2\nc: 3\n", 3, 2, "did not find expected ',' or ']'"),
            ("a:\n\tb: 1\n", 2, 1, "YAML syntax error"),
            ("a: 'unterminated\n", 2, 1, "YAML syntax error"),
            ("a: &x 1\nb: *y\n", 2, 4, "alias '*y' refers to no anchor"),
            ("a: &x [1, *x]\n", 1, 11, "alias '*x'"),
            ("- a\n- b\n", 1, 1, "top level of a YAML config must be a mapping"),
            ("just text\n", 1, 1, "found a string"),
            ("a: 1\n---\nb: 2\n", 2, 1, "a second YAML document"),
            ("a: 99999999999999999999\n", 1, 4, "does not fit in 64 bits"),
            ("a: !!int abc\n", 1, 4, "'abc' is not an integer"),
            ("a: !custom x\n", 1, 4, "unsupported YAML tag '!custom'"),
            ("a: !!set {x}\n", 1, 4, "unsupported YAML tag"),
            ("a:\n  <<: 1\n", 2, 7, "merge key '<<' expects a mapping"),
            ("a:\n  <<: [{x: 1}, 2]\n", 2, 16, "found integer in the list"),
            ("a: " + String(repeating: "[", count: 100), 1, 67, "nested deeper than 64"),
        ]
        for (yaml, line, column, fragment) in cases {
            let (_, errors) = parseYAML(yaml)
            XCTAssertEqual(errors.count, 1, "\(yaml): \(errors)")
            guard let error = errors.first else { continue }
            XCTAssertEqual(error.location?.line, line, "\(yaml): \(error)")
            XCTAssertEqual(error.location?.column, column, "\(yaml): \(error)")
            XCTAssertTrue(error.message.contains(fragment), "\(yaml): \(error)")
            XCTAssertTrue(error.description.hasPrefix("t.yaml:\(line):"), error.description)
        }
    }

    /// Errors keep what could be read: the first value of a duplicate key, the first document, and
    /// everything before a syntax error.
    func testPartialTreesAfterErrors() {
        let cases: [(yaml: String, expected: String)] = [
            ("a: 1\nb: 2\na: 3\n", "{a=1,b=2}"),
            ("a: 1\n---\nb: 2\n", "{a=1}"),
            ("a: 1\nb:\n  c: 2\nd: e: f\n", "{a=1,b={c=2},d=\"e\"}"),
        ]
        for (yaml, expected) in cases {
            let (table, errors) = parseYAML(yaml)
            XCTAssertFalse(errors.isEmpty, yaml)
            XCTAssertEqual(render(table), expected, yaml)
        }
    }

    /// The "billion laughs" document: nine levels of nine aliases would expand to 9^9 nodes.
    func testAliasExpansionBombIsRejected() {
        var yaml = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"]
        var previous = "a"
        for name in names {
            yaml += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
            previous = name
        }
        let (_, errors) = parseYAML(yaml)
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors.first?.message.contains("more than 10000 nodes") ?? false, "\(errors)")
        XCTAssertEqual(errors.first?.location?.line, 5)

        // The same shape three levels deep stays well under the bound and is expanded in full.
        let small = "a: &a [1, 2, 3]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"
        let (table, smallErrors) = parseYAML(small)
        XCTAssertEqual(smallErrors, [])
        guard case .array(let outer)? = table["c"]?.value else { return XCTFail("c") }
        XCTAssertEqual(outer.count, 3)
    }

    func testFormatDetectionAndDispatch() {
        let formats: [(path: String, format: ConfigFormat?)] = [
            ("stoep.toml", .toml), ("/etc/traefik/dynamic.yml", .yaml), ("conf.d/a.YAML", .yaml),
            ("a.b.Toml", .toml), ("noext", nil), ("dir.yaml/file", nil), (".yaml", nil), ("a.json", nil), ("", nil),
        ]
        for (path, format) in formats {
            XCTAssertEqual(ConfigFormat.detect(path: path), format, path)
        }
        XCTAssertEqual(render(ConfigLoader.parseTree(text: "a: 1", file: "x.yml").0), "{a=1}")
        XCTAssertEqual(render(ConfigLoader.parseTree(text: "a = 1", file: "x.toml").0), "{a=1}")
        XCTAssertEqual(render(ConfigLoader.parseTree(text: "a = 1", file: "x.conf").0), "{a=1}")
        let (_, errors) = ConfigLoader.loadTree(path: "/nonexistent/stoep-test.yaml")
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors.first?.message.contains("/nonexistent/stoep-test.yaml") ?? false)
    }
}
