// YAML mappings become tables: keys in document order, duplicates and non-scalar keys reported, and `<<`
// merge keys (https://yaml.org/type/merge.html) folded in. Traefik users write merges to share middleware
// lists or server blocks between routers, so they must read exactly as a written-out copy would.

extension YAMLTreeBuilder {
    /// One entry of a mapping, in document order, before merges are folded in.
    private enum MappingItem {
        case explicit(key: String, node: TOMLNode)
        case merge([TOMLTable])
    }

    /// Entries until the mapping end.
    ///
    /// - A key is its scalar's source text (`80:` gives "80", `true:` gives "true").
    /// - A null value (`ping:` with nothing after it) becomes an empty table: Traefik reads such a key as
    ///   "present with defaults", as TOML does an empty `[ping]` header. A value that should be a string
    ///   or number then fails as "found a table" in the schema reader, which names the key.
    /// - A table value is located at its key (`web:`), as a TOML table is at its `[http.routers.web]`
    ///   header; other values are located at their first character, as in TOML.
    /// - Duplicate keys are errors; the first value is kept (as the TOML parser does).
    /// - Keys written in the mapping win over merged ones wherever they appear; among merged mappings the
    ///   earlier wins (the YAML merge rule). Merged keys take the position of their `<<`.
    mutating func mapping(at location: SourceLocation) -> YAMLBuiltNode {
        var items: [MappingItem] = []
        var firstSeen: [String: SourceLocation] = [:]
        var size = 1
        while let (keyEvent, keyLocation) = next(), keyEvent != .mappingEnd {
            let key = buildNode(keyEvent, at: keyLocation)
            guard let (valueEvent, valueLocation) = next() else { break }
            let value = buildNode(valueEvent, at: valueLocation)
            size += key.size + value.size
            if key.isMergeKey {
                if let tables = mergeSources(value) { items.append(.merge(tables)) }
                continue
            }
            guard let keyText = key.scalarText else {
                record(keyLocation, "mapping keys must be plain strings; found a \(describe(key)) used as a key")
                continue
            }
            if let first = firstSeen[keyText] {
                record(keyLocation, "duplicate key '\(keyText)' (first defined at line \(first.line), column \(first.column))")
                continue
            }
            firstSeen[keyText] = keyLocation
            let valueNode: TOMLNode
            switch value.content {
            case .value(.table(var table)):
                table.location = keyLocation
                valueNode = TOMLNode(value: .table(table), location: keyLocation)
            case .value(let content): valueNode = TOMLNode(value: content, location: value.location)
            case .null: valueNode = TOMLNode(value: .table(TOMLTable(location: keyLocation)), location: keyLocation)
            }
            items.append(.explicit(key: keyText, node: valueNode))
        }
        var table = TOMLTable(location: location)
        for item in items {
            switch item {
            case .explicit(let key, let node):
                table.set(key, node)
            case .merge(let sources):
                for source in sources {
                    for (key, node) in source.entries where firstSeen[key] == nil && table[key] == nil {
                        table.set(key, node)
                    }
                }
            }
        }
        return YAMLBuiltNode(content: .value(.table(table)), location: location, size: size)
    }

    /// The tables a `<<` value contributes: one mapping, or a sequence of mappings (earlier wins).
    private mutating func mergeSources(_ value: YAMLBuiltNode) -> [TOMLTable]? {
        let expected = "merge key '<<' expects a mapping, an alias to one, or a list of them; found"
        switch value.content {
        case .value(.table(let table)):
            return [table]
        case .value(.array(let nodes)):
            var tables: [TOMLTable] = []
            for node in nodes {
                guard case .table(let table) = node.value else {
                    record(node.location, "\(expected) \(node.value.typeName) in the list")
                    return nil
                }
                tables.append(table)
            }
            return tables
        case .null:
            return []
        case .value(let other):
            record(value.location, "\(expected) \(other.typeName)")
            return nil
        }
    }

    private func describe(_ node: YAMLBuiltNode) -> String {
        switch node.content {
        case .null: return "null"
        case .value(let value): return value.typeName == "table" ? "mapping" : (value.typeName == "array" ? "sequence" : value.typeName)
        }
    }
}
