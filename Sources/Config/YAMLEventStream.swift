import CYAML

// The boundary with libyaml: its parser pulls events from our text, and each C event is copied into a
// Swift value and freed at once, so no libyaml memory or type leaks past this file.

/// One libyaml event, copied out of C. Anchor and tag are nil when absent.
enum YAMLEvent: Equatable {
    case streamStart
    case streamEnd
    case documentStart
    case documentEnd
    case alias(anchor: String)
    /// `plain` is true for an unquoted, non-block scalar: only those are resolved to bools and numbers.
    case scalar(text: String, anchor: String?, tag: String?, plain: Bool)
    case sequenceStart(anchor: String?, tag: String?)
    case sequenceEnd
    case mappingStart(anchor: String?, tag: String?)
    case mappingEnd
}

/// Pulls events from libyaml over an in-memory copy of the text.
///
/// Contract: `next()` returns events in stream order, then nil forever after the stream end or the first
/// syntax error; after nil, `error` holds the syntax error if there was one. libyaml cannot resume after an
/// error, so at most one syntax error is reported. The parser and the text copy are freed in `deinit`.
final class YAMLEventStream {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    /// libyaml reads the input in place, so it must outlive the parser and never move.
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let ready: Bool
    private var finished = false
    private let file: String
    private(set) var error: ConfigError?

    init(text: String, file: String) {
        self.file = file
        parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        let bytes = Array(text.utf8)
        input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = input.initialize(from: bytes)
        ready = yaml_parser_initialize(parser) != 0
        if ready {
            yaml_parser_set_input_string(parser, input.baseAddress, bytes.count)
            yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        } else {
            error = ConfigError(location: nil, message: "\(file): cannot start the YAML parser (out of memory)")
            finished = true
        }
    }

    deinit {
        if ready { yaml_parser_delete(parser) }
        parser.deallocate()
        input.deallocate()
    }

    /// The next event and the 1-based position where it starts, or nil at the end or after an error.
    func next() -> (event: YAMLEvent, location: SourceLocation)? {
        guard !finished else { return nil }
        var raw = yaml_event_t()
        guard yaml_parser_parse(parser, &raw) != 0 else {
            finished = true
            error = syntaxError()
            return nil
        }
        defer { yaml_event_delete(&raw) }
        let location = self.location(raw.start_mark)
        let event = Self.copy(raw)
        if event == .streamEnd { finished = true }
        return (event, location)
    }

    /// libyaml marks are 0-based and count characters, so +1 gives the editor's line and column.
    func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    /// libyaml's problem ("mapping values are not allowed in this context") at its mark, with the
    /// context it was reading ("while parsing a block mapping") when it gives one.
    private func syntaxError() -> ConfigError {
        let state = parser.pointee
        var message = state.problem.map { String(cString: $0) } ?? "invalid YAML"
        if let context = state.context {
            let contextLine = Int(state.context_mark.line) + 1
            message += " (\(String(cString: context)) started at line \(contextLine))"
        }
        if state.error == YAML_MEMORY_ERROR { message = "out of memory while parsing YAML" }
        return ConfigError(location: location(state.problem_mark), message: "YAML syntax error: " + message)
    }

    private static func copy(_ raw: yaml_event_t) -> YAMLEvent {
        switch raw.type {
        case YAML_STREAM_START_EVENT: return .streamStart
        case YAML_DOCUMENT_START_EVENT: return .documentStart
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_ALIAS_EVENT: return .alias(anchor: string(raw.data.alias.anchor) ?? "")
        case YAML_SCALAR_EVENT:
            let scalar = raw.data.scalar
            return .scalar(text: string(scalar.value, length: Int(scalar.length)),
                           anchor: string(scalar.anchor), tag: string(scalar.tag),
                           plain: scalar.style == YAML_PLAIN_SCALAR_STYLE)
        case YAML_SEQUENCE_START_EVENT:
            return .sequenceStart(anchor: string(raw.data.sequence_start.anchor), tag: string(raw.data.sequence_start.tag))
        case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            return .mappingStart(anchor: string(raw.data.mapping_start.anchor), tag: string(raw.data.mapping_start.tag))
        case YAML_MAPPING_END_EVENT: return .mappingEnd
        default: return .streamEnd
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    /// Scalar values carry a length because they may contain NUL (written as "\0" in a quoted scalar).
    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
        guard let pointer, length > 0 else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}
