// Builds the TOML-shaped tree from libyaml's event stream: the document's structure (mappings, sequences,
// scalars) plus the YAML features that are not structure — anchors and aliases, `<<` merge keys — resolved
// here, so readers of the tree never see them.

/// A node as built, with what the builder needs beyond `TOMLNode`.
struct YAMLBuiltNode {
    enum Content {
        case null
        case value(TOMLValue)
    }

    var content: Content
    var location: SourceLocation
    /// Nodes in this subtree (1 for a scalar): what an alias to it costs against the expansion budget.
    var size: Int
    /// The source text of a scalar, used when the node is a mapping key (`80: x` has the key "80").
    var scalarText: String?
    /// A plain, untagged `<<` key (YAML's merge key).
    var isMergeKey = false
}

struct YAMLTreeBuilder {
    /// Nodes that aliases may copy in one document. Real Traefik files alias a few small blocks; a
    /// "billion laughs" document nests aliases to grow exponentially and hits this within a few levels.
    static let maximumAliasExpansion = 10_000
    /// Deepest nesting of mappings and sequences accepted, as for TOML: bounds the builder's recursion.
    static let maximumNesting = 64

    private let events: YAMLEventStream
    private(set) var errors: [ConfigError] = []
    private var anchors: [String: YAMLBuiltNode] = [:]
    private var expandedNodes = 0
    private var depth = 0
    /// Set by an error that leaves no way to continue (expansion or nesting limit); building unwinds
    /// and keeps what it has.
    private var aborted = false

    init(events: YAMLEventStream) {
        self.events = events
    }

    mutating func record(_ location: SourceLocation?, _ message: String) {
        errors.append(ConfigError(location: location, message: message))
    }

    /// The next event, or nil at the end, after a syntax error, or once aborted.
    mutating func next() -> (event: YAMLEvent, location: SourceLocation)? {
        aborted ? nil : events.next()
    }

    /// Builds the node that starts with `event`, consuming its events through the matching end. When the
    /// stream stops early (syntax error, abort) the node holds what was read so far; callers see the stop
    /// as `next()` returning nil.
    mutating func buildNode(_ event: YAMLEvent, at location: SourceLocation) -> YAMLBuiltNode {
        let built: YAMLBuiltNode
        let anchor: String?
        switch event {
        case .scalar(let text, let scalarAnchor, let tag, let plain):
            anchor = scalarAnchor
            built = scalar(text, tag: tag, plain: plain, at: location)
        case .alias(let name):
            return alias(name, at: location)
        case .sequenceStart(let sequenceAnchor, let tag):
            anchor = sequenceAnchor
            checkCollectionTag(tag, allowed: "seq", at: location)
            guard enter(at: location) else { return YAMLBuiltNode(content: .null, location: location, size: 1) }
            built = sequence(at: location)
            depth -= 1
        case .mappingStart(let mappingAnchor, let tag):
            anchor = mappingAnchor
            checkCollectionTag(tag, allowed: "map", at: location)
            guard enter(at: location) else { return YAMLBuiltNode(content: .null, location: location, size: 1) }
            built = mapping(at: location)
            depth -= 1
        default:
            record(location, "unexpected YAML event \(event) where a value was expected")
            aborted = true
            return YAMLBuiltNode(content: .null, location: location, size: 1)
        }
        // Registered only once complete, so an alias inside its own anchor's node is "undefined" rather
        // than an infinite structure.
        if let anchor { anchors[anchor] = built }
        return built
    }

    private mutating func scalar(_ text: String, tag: String?, plain: Bool, at location: SourceLocation) -> YAMLBuiltNode {
        var content: YAMLBuiltNode.Content
        switch YAMLScalarResolver.resolve(text, tag: tag, plain: plain) {
        case .null: content = .null
        case .value(let value): content = .value(value)
        case .invalid(let message):
            record(location, message)
            content = .value(.string(text))
        }
        return YAMLBuiltNode(content: content, location: location, size: 1, scalarText: text,
                             isMergeKey: plain && tag == nil && text == "<<")
    }

    /// A copy of the anchored node, charged against the expansion budget. The copy's own location is the
    /// alias (so errors about "this value" point where it is used); nodes inside keep their written place.
    private mutating func alias(_ name: String, at location: SourceLocation) -> YAMLBuiltNode {
        guard var copy = anchors[name] else {
            record(location, "alias '*\(name)' refers to no anchor '&\(name)' defined before it")
            return YAMLBuiltNode(content: .null, location: location, size: 1)
        }
        expandedNodes += copy.size
        guard expandedNodes <= Self.maximumAliasExpansion else {
            record(location, "aliases expand to more than \(Self.maximumAliasExpansion) nodes (at '*\(name)'); refusing a document that grows exponentially")
            aborted = true
            return YAMLBuiltNode(content: .null, location: location, size: 1)
        }
        copy.location = location
        if case .value(.table(var table)) = copy.content {
            table.location = location
            copy.content = .value(.table(table))
        }
        copy.isMergeKey = false
        return copy
    }

    private mutating func enter(at location: SourceLocation) -> Bool {
        depth += 1
        guard depth <= Self.maximumNesting else {
            record(location, "mappings and sequences nested deeper than \(Self.maximumNesting) levels")
            aborted = true
            return false
        }
        return true
    }

    /// `!!map` on a mapping and `!!seq` on a sequence are redundant but valid; other tags are refused.
    private mutating func checkCollectionTag(_ tag: String?, allowed: String, at location: SourceLocation) {
        guard let tag, tag != YAMLScalarResolver.tagPrefix + allowed, tag != "!" else { return }
        record(location, "unsupported YAML tag '\(tag)' on a \(allowed == "map" ? "mapping" : "sequence")")
    }

    /// Items until the sequence end; null items are dropped (TOML arrays have no null).
    private mutating func sequence(at location: SourceLocation) -> YAMLBuiltNode {
        var items: [TOMLNode] = []
        var size = 1
        while let (event, itemLocation) = next(), event != .sequenceEnd {
            let item = buildNode(event, at: itemLocation)
            size += item.size
            if case .value(let value) = item.content { items.append(TOMLNode(value: value, location: item.location)) }
        }
        return YAMLBuiltNode(content: .value(.array(items)), location: location, size: size)
    }
}
