// File-provider templates: expected outputs are what Go's text/template with sprig.TxtFuncMap (as
// Traefik v3.7.9 pkg/provider/file runs them, data `false`) gives for the same text.
import Config
import XCTest

final class GoTemplateTests: XCTestCase {
    let environment = ["DOMAIN": "lan.test", "EMPTY": "", "N": "3"]

    func expand(_ text: String) -> Result<String, GoTemplate.ExpansionError> {
        GoTemplate.expand(text, environment: environment)
    }

    func testExpansion() {
        let cases: [(String, String, UInt)] = [
            ("plain: text\n", "plain: text\n", #line),
            ("{{ env \"DOMAIN\" }}", "lan.test", #line),
            ("{{ env \"MISSING\" }}|", "|", #line),
            ("{{ env \"EMPTY\" | default \"x\" }}", "x", #line),
            ("{{ default \"x\" (env \"DOMAIN\") }}", "lan.test", #line),
            ("{{ range $i, $e := until 3 }}r{{ $i }}={{ $e }};{{ end }}", "r0=0;r1=1;r2=2;", #line),
            ("{{ range $e := until 2 }}[{{ $e }}]{{ end }}", "[0][1]", #line),
            ("{{ range until 2 }}<{{ . }}>{{ end }}", "<0><1>", #line),
            ("{{ range 2 }}{{ . }}{{ end }}", "01", #line),
            ("{{ range $x := list }}a{{ else }}none{{ end }}", "none", #line),
            ("{{ range $i, $h := list \"a\" \"b\" }}{{ $i }}:{{ $h }} {{ end }}", "0:a 1:b ", #line),
            ("{{ $n := 5 }}{{ $n }}", "5", #line),
            ("{{ $n := 1 }}{{ range until 3 }}{{ $n = add $n 1 }}{{ end }}{{ $n }}", "4", #line),
            ("{{ if eq (env \"DOMAIN\") \"lan.test\" }}yes{{ else }}no{{ end }}", "yes", #line),
            ("{{ if env \"EMPTY\" }}a{{ else if env \"DOMAIN\" }}b{{ else }}c{{ end }}", "b", #line),
            ("{{ with env \"DOMAIN\" }}d={{ . }}{{ end }}", "d=lan.test", #line),
            ("a\n  {{- \"b\" -}}  \nc", "abc", #line),
            ("{{/* a comment */}}x", "x", #line),
            ("{{ -3 }}", "-3", #line),
            ("{{ add 1 2 3 }} {{ sub 5 2 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }} {{ add1 9 }}", "6 3 6 3 1 10", #line),
            ("{{ printf \"%s-%d-%03d-%q\" \"a\" 5 7 \"x\" }}", "a-5-007-\"x\"", #line),
            ("{{ quote \"a\" }} {{ squote \"b\" }} {{ upper \"c\" }} {{ lower \"D\" }} {{ trim \"  e \" }}", "\"a\" 'b' C d e", #line),
            ("{{ join \",\" (list 1 \"b\" true) }}", "1,b,true", #line),
            ("{{ splitList \",\" \"a,b\" }}", "[a b]", #line),
            ("{{ replace \"-\" \".\" \"a-b-c\" }}", "a.b.c", #line),
            ("{{ len (until 4) }} {{ index (list \"x\" \"y\") 1 }}", "4 y", #line),
            ("{{ and 1 0 }} {{ or 0 \"\" \"z\" }} {{ not true }}", "0 z false", #line),
            ("{{ until (atoi (env \"N\")) }}", "[0 1 2]", #line),
            ("{{ expandenv \"host.$DOMAIN/${N}\" }}", "host.lan.test/3", #line),
            ("{{ . }} {{ $ }}", "false false", #line),
            ("{{ ternary \"a\" \"b\" true }} {{ empty \"\" }} {{ contains \"b\" \"abc\" }} {{ hasPrefix \"a\" \"abc\" }}", "a true true true", #line),
        ]
        for (text, expected, line) in cases {
            XCTAssertEqual(expand(text), .success(expected), text, line: line)
        }
    }

    func testRefusals() {
        let cases: [(String, Int, String, UInt)] = [
            ("a\n{{ toYaml \"x\" }}", 2, "function \"toYaml\" is not supported", #line),
            ("{{ .Name }}", 1, "field .Name", #line),
            ("x\n\n{{ define \"t\" }}{{ end }}", 3, "{{define}} is not supported", #line),
            ("{{ if true }}\nno end", 1, "has no {{end}}", #line),
            ("{{ end }}", 1, "unexpected {{end}}", #line),
            ("{{ $x }}", 1, "undefined variable: $x", #line),
            ("{{ env }}", 1, "wrong number of args for env", #line),
            ("{{ eq 1 \"a\" }}", 1, "incompatible types", #line),
            ("{{ \"a\"", 1, "unclosed action", #line),
            ("{{ printf \"%x\" 1 }}", 1, "%x is not supported", #line),
            ("{{ div 1 0 }}", 1, "divide by zero", #line),
        ]
        for (text, errorLine, fragment, line) in cases {
            guard case .failure(let error) = expand(text) else { XCTFail("\(text) expanded", line: line); continue }
            XCTAssertEqual(error.line, errorLine, text, line: line)
            XCTAssertTrue(error.message.contains(fragment), "\(text): \(error.message)", line: line)
        }
    }

    func testOnlyFilesWithActionsAreExpanded() {
        XCTAssertFalse(GoTemplate.needsExpansion("rule: Host(`a`) { b }\n"))
        XCTAssertTrue(GoTemplate.needsExpansion("x: {{ env \"A\" }}"))
    }
}
