// The Docker provider's constraints expressions: the cases of Traefik v3.7.9
// pkg/provider/constraints/constraints_labels_test.go, and the errors stoep reports up front.
import Rules
import XCTest

final class LabelConstraintTests: XCTestCase {
    let labels = ["hello": "world", "foo": "bar"]

    func testMatching() throws {
        let cases: [(String, [String: String], Bool, UInt)] = [
            (#"Label("hello", "world")"#, labels, true, #line),
            (#"Label("hello", "worlds")"#, labels, false, #line),
            (#"Label("hi", "world")"#, labels, false, #line),
            (#"!Label("hello", "world")"#, labels, false, #line),
            (#"Label("hello", "world") && Label("foo", "bar")"#, labels, true, #line),
            (#"Label("hello", "worlds") && Label("foo", "bar")"#, labels, false, #line),
            (#"Label("hello", "world") && !Label("foo", "bar")"#, labels, false, #line),
            (#"Label("hello", "world") || Label("foo", "bar")"#, labels, true, #line),
            (#"Label("hello", "worlds") || Label("foo", "bar")"#, labels, true, #line),
            (#"Label("hello", "world") || !Label("foo", "bar")"#, labels, true, #line),
            (#"Label("hello", "bar")"#, [:], false, #line),
            (#"LabelRegex("hello", "w\\w+")"#, labels, true, #line),
            (#"LabelRegex("hello", "w\\w+s")"#, labels, false, #line),
            (#"LabelRegex("hi", "w\\w+")"#, labels, false, #line),
            (#"!LabelRegex("hello", "w\\w+")"#, labels, false, #line),
            (#"LabelRegex("hello", "or")"#, labels, true, #line),                // unanchored, as MatchString
            ("Label(`hello`, `world`) && (Label(`foo`, `x`) || Label(`foo`, `bar`))", labels, true, #line),
            ("!(Label(`hello`, `world`) || Label(`foo`, `x`))", labels, false, #line),
            ("Label(`missing`, ``)", labels, true, #line),                        // a missing label reads as ""
            ("Label(`a.b`, `c`)", ["a.b": "c"], true, #line),
        ]
        for (expression, labels, expected, line) in cases {
            let tree = try XCTUnwrap(LabelConstraint.parse(expression), expression, line: line)
            XCTAssertEqual(tree.matches(labels), expected, expression, line: line)
        }
        XCTAssertNil(try LabelConstraint.parse(""))
        XCTAssertNil(try LabelConstraint.parse("  "))
    }

    func testErrors() {
        let cases: [(String, String, UInt)] = [
            (#"Label("hello")"#, "takes 2 arguments", #line),
            (#"Foo("hello")"#, "unsupported function: Foo", #line),
            (#"Label("a", "b") &&"#, "expected operand", #line),
            (#"Label("a", "b") Label("c", "d")"#, "expected 'EOF'", #line),
            (#"LabelRegex("a", "(")"#, "error parsing regexp", #line),
            (#"LabelRegex("a", "(?=x)")"#, "error parsing regexp", #line),     // RE2 has no lookahead
        ]
        for (expression, fragment, line) in cases {
            XCTAssertThrowsError(try LabelConstraint.parse(expression), expression, line: line) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(expression): \(error)", line: line)
            }
        }
    }
}
