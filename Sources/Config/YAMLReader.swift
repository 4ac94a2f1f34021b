// Reads a YAML file into the same tree the TOML parser produces, so everything after parsing (schema
// decoding, `stoep check`, Traefik's dynamic configuration) is written once for both formats.
//
// What differs from a general YAML loader, and why:
// - Only the first document of a stream is read; a second `---` document is an error (a Traefik file
//   provider file is one configuration).
// - null has no TOML counterpart: a null mapping value becomes an empty table (Traefik's "present with
//   defaults"), a null sequence item is dropped, and a null or empty document is an empty table.
// - Aliases are copied, with a bound on the total copied (YAMLTreeBuilder.maximumAliasExpansion).
// - Keys are strings: a scalar key's source text. Mappings or sequences as keys are errors.

/// Parses YAML text into a TOML-shaped table tree.
public enum YAMLReader {
    /// Parses `text`; `file` is used only in locations. Returns the table built from what could be read plus
    /// every error found, in file order; the table is complete only when the list is empty. A YAML syntax
    /// error ends reading (libyaml cannot resume), so at most one is reported, after any earlier errors.
    public static func parse(_ text: String, file: String) -> (TOMLTable, [ConfigError]) {
        let events = YAMLEventStream(text: text, file: file)
        var builder = YAMLTreeBuilder(events: events)
        let root = readFirstDocument(&builder, file: file)
        var errors = builder.errors
        if let syntaxError = events.error { errors.append(syntaxError) }
        return (root, errors)
    }

    private static func readFirstDocument(_ builder: inout YAMLTreeBuilder, file: String) -> TOMLTable {
        var root = TOMLTable(location: SourceLocation(file: file, line: 1, column: 1))
        // Stream start, then a document start (or the stream end for a file with no document).
        guard let (start, _) = builder.next(), start == .streamStart,
              let (documentStart, _) = builder.next(), documentStart == .documentStart,
              let (event, location) = builder.next() else { return root }
        let node = builder.buildNode(event, at: location)
        switch node.content {
        case .null:
            break
        case .value(.table(let table)):
            root = table
        case .value(let other):
            builder.record(node.location, "the top level of a YAML config must be a mapping of keys to values; found \(other.typeName == "array" ? "a sequence" : "a \(other.typeName)")")
        }
        guard let (end, _) = builder.next(), end == .documentEnd,
              let (after, afterLocation) = builder.next() else { return root }
        if after == .documentStart {
            builder.record(afterLocation, "a second YAML document starts here; stoep reads one document per file (remove the '---' and the rest, or move it to its own file)")
        }
        return root
    }
}
