// The mutable table tree the parser fills in, and TOML 1.0's "define each table once" rules.
// A reference type, because a [header] or a dotted key reaches into a table that lives deep inside
// another; it is converted to value-type TOMLTables when parsing ends.
//
// How each table came to exist decides what may still be added to it (TOML 1.0, "Table" and
// "Array of Tables"):
//   - a [header] may define a table that so far only exists implicitly (as a prefix of another header),
//     never one defined by another header or by dotted keys;
//   - dotted keys may only walk through tables that dotted keys created;
//   - a [header] may still open sub-tables below a table that dotted keys created;
//   - inline tables and static arrays are values: nothing can be added to them afterwards.

final class TOMLTableBuilder {
    enum Origin {
        case root, header, implicit, dotted, arrayElement
        /// A stand-in for a header that failed: keys below it are checked but kept nowhere.
        case detached
    }

    enum Entry {
        case value(TOMLNode)
        case table(TOMLTableBuilder)
        case tableArray([TOMLTableBuilder], SourceLocation)
    }

    /// One segment of a dotted key or header path, with where it was written.
    struct Key {
        var name: String
        var location: SourceLocation
    }

    /// A failed definition: where, and what was wrong.
    struct Conflict: Error {
        var location: SourceLocation
        var message: String
    }

    private(set) var origin: Origin
    private(set) var location: SourceLocation
    private var order: [String] = []
    private var entries: [String: Entry] = [:]

    init(origin: Origin, location: SourceLocation) {
        self.origin = origin
        self.location = location
    }

    /// Opens the table named by a `[path]` (or, with `isArray`, appends an element to `[[path]]`)
    /// below this root table, and returns it for the key/value lines that follow.
    func openHeader(_ path: [Key], isArray: Bool, at headerLocation: SourceLocation) throws(Conflict) -> TOMLTableBuilder {
        guard let last = path.last else {
            throw Conflict(location: headerLocation, message: "expected a table name inside the brackets")
        }
        var table = self
        for (index, key) in path.dropLast().enumerated() {
            table = try table.descendForHeader(key, shown: path[...index])
        }
        let shown = Self.render(path[...])
        switch table.entries[last.name] {
        case nil:
            if isArray {
                let element = TOMLTableBuilder(origin: .arrayElement, location: headerLocation)
                table.add(last.name, .tableArray([element], headerLocation))
                return element
            }
            let created = TOMLTableBuilder(origin: .header, location: headerLocation)
            table.add(last.name, .table(created))
            return created
        case .table(let existing):
            if !isArray && existing.origin == .implicit {
                existing.origin = .header
                existing.location = headerLocation
                return existing
            }
            let how = existing.origin == .dotted ? "by dotted keys" : "by a header"
            throw Conflict(
                location: headerLocation,
                message: "table [\(shown)] is already defined \(how) at line \(existing.location.line); a table is defined once")
        case .tableArray(let elements, let firstLocation):
            guard isArray else {
                throw Conflict(
                    location: headerLocation,
                    message: "'\(shown)' is an array of tables (line \(firstLocation.line)); expected [[\(shown)]] to add an element")
            }
            let element = TOMLTableBuilder(origin: .arrayElement, location: headerLocation)
            table.entries[last.name] = .tableArray(elements + [element], firstLocation)
            return element
        case .value(let node):
            throw Conflict(location: headerLocation, message: Self.notExtendable(shown, node))
        }
    }

    /// Stores `node` under the dotted key `path` in this table, creating dotted-key tables on the way.
    func insert(_ path: [Key], _ node: TOMLNode) throws(Conflict) {
        guard let last = path.last else { return }
        var table = self
        for (index, key) in path.dropLast().enumerated() {
            table = try table.descendForDottedKey(key, shown: path[...index])
        }
        if let existing = table.entries[last.name] {
            throw Conflict(
                location: last.location,
                message: "key '\(Self.render(path[...]))' is already defined at line \(Self.line(of: existing)); a key is defined once")
        }
        table.add(last.name, .value(node))
    }

    /// The finished, immutable table.
    func freeze() -> TOMLTable {
        var table = TOMLTable(location: location)
        for key in order {
            switch entries[key] {
            case .value(let node):
                table.set(key, node)
            case .table(let child):
                table.set(key, TOMLNode(value: .table(child.freeze()), location: child.location))
            case .tableArray(let elements, let firstLocation):
                let nodes = elements.map { TOMLNode(value: .table($0.freeze()), location: $0.location) }
                table.set(key, TOMLNode(value: .array(nodes), location: firstLocation))
            case nil:
                break
            }
        }
        return table
    }

    // MARK: - Walking paths

    private func descendForHeader(_ key: Key, shown: ArraySlice<Key>) throws(Conflict) -> TOMLTableBuilder {
        switch entries[key.name] {
        case nil:
            let created = TOMLTableBuilder(origin: .implicit, location: key.location)
            add(key.name, .table(created))
            return created
        case .table(let existing):
            return existing
        case .tableArray(let elements, _):
            // A header below an array of tables goes into its most recent element (TOML 1.0).
            guard let lastElement = elements.last else { throw Conflict(location: key.location, message: "empty array of tables") }
            return lastElement
        case .value(let node):
            throw Conflict(location: key.location, message: Self.notExtendable(Self.render(shown), node))
        }
    }

    private func descendForDottedKey(_ key: Key, shown: ArraySlice<Key>) throws(Conflict) -> TOMLTableBuilder {
        switch entries[key.name] {
        case nil:
            let created = TOMLTableBuilder(origin: .dotted, location: key.location)
            add(key.name, .table(created))
            return created
        case .table(let existing):
            guard existing.origin == .dotted else {
                throw Conflict(
                    location: key.location,
                    message: "table '\(Self.render(shown))' is defined at line \(existing.location.line); dotted keys cannot add to a table defined elsewhere")
            }
            return existing
        case .tableArray(_, let firstLocation):
            throw Conflict(
                location: key.location,
                message: "'\(Self.render(shown))' is an array of tables (line \(firstLocation.line)); dotted keys cannot add to it")
        case .value(let node):
            throw Conflict(location: key.location, message: Self.notExtendable(Self.render(shown), node))
        }
    }

    private func add(_ name: String, _ entry: Entry) {
        entries[name] = entry
        order.append(name)
    }

    // MARK: - Messages

    private static func notExtendable(_ shown: String, _ node: TOMLNode) -> String {
        switch node.value {
        case .table:
            return "'\(shown)' is an inline table (line \(node.location.line)); inline tables cannot be extended"
        case .array:
            return "'\(shown)' is a static array (line \(node.location.line)); it cannot be extended or used as a table"
        default:
            return "'\(shown)' is already defined as \(article(node.value)) at line \(node.location.line), not a table"
        }
    }

    private static func line(of entry: Entry) -> Int {
        switch entry {
        case .value(let node): return node.location.line
        case .table(let table): return table.location.line
        case .tableArray(_, let location): return location.line
        }
    }

    /// A key path as the user would write it: bare where possible, quoted otherwise.
    static func render(_ path: ArraySlice<Key>) -> String {
        path.map { key in
            let isBare = !key.name.isEmpty && key.name.utf8.allSatisfy(\.isBareKeyByte)
            return isBare ? key.name : "\"" + key.name + "\""
        }.joined(separator: ".")
    }
}
