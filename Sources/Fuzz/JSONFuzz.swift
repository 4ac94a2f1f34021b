// The JSON reader (Docker Engine API, acme.json, ACME servers, forwardAuth answers, the stats socket).
// Contract checked: what parses writes back as JSON that parses to the same value (the writer's escaping and
// the reader agree), and the depth bound holds for nesting attacks.
import JSON

enum JSONFuzz {
    @Sendable static func run(_ bytes: [UInt8]) {
        _ = try? JSONParser.parse(bytes, maxDepth: 4)
        guard let value = try? JSONParser.parse(bytes) else { return }
        let text = value.jsonText
        guard let again = try? JSONParser.parse(text) else { preconditionFailure("written JSON does not parse: \(text)") }
        precondition(again.jsonText == text, "JSON round trip changed the value")
        for key in ["Id", "Type", "Actor", "0"] { _ = value[key]?.int64Value; _ = value[key]?.doubleValue }
        _ = value[0]?.boolValue
    }
}
