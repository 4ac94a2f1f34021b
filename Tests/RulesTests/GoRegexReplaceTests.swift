// Go's Regexp.ReplaceAllString semantics over PCRE2 (GoRegexReplace): expected values are what Go 1.24
// returns for the same pattern, subject and template.
import Rules
import XCTest

final class GoRegexReplaceTests: XCTestCase {
    func testExpansionAndMatchWalk() throws {
        let cases: [(String, String, String, String, UInt)] = [
            ("^/foo/(.*)", "/foo/a/b", "/bar/$1", "/bar/a/b", #line),
            ("^/foo/(.*)", "/nofoo", "/bar/$1", "/nofoo", #line),
            // `$1x` names group "1x" (absent: empty); braces end the name.
            ("^/(\\w+)/(\\w+)", "/one/two/three", "/$2x/${1}y", "//oney/three", #line),
            ("^/(a)", "/a", "$$1-$", "$1-$", #line),           // `$$` is '$'; a trailing '$' stays
            ("^/(a)", "/a", "${1", "${1", #line),              // unclosed brace: literal
            ("^/(a)", "/a", "$9|$01", "|", #line),             // missing group; leading zero is a name
            ("^/(?P<first>[a-z]+)/", "/abc/def", "/n-${first}/", "/n-abc/def", #line),
            ("o", "/foo/boo", "0", "/f00/b00", #line),
            ("x*", "abc", "-", "-a-b-c-", #line),              // empty matches between characters
            ("a|", "baaac", "-", "-b---c-", #line),            // no empty match right after a match
            ("(a)|(b)", "ab", "[$1$2]", "[a][b]", #line),      // a group that did not take part is empty
            ("é", "/café/é", "e", "/cafe/e", #line),
        ]
        for (pattern, subject, template, expected, line) in cases {
            let regex = try CompiledRegex(pattern)
            XCTAssertEqual(regex.goReplaceAll(subject, with: template), expected, "\(pattern) \(subject) \(template)", line: line)
        }
    }
}
