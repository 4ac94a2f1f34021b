import CYaml

/// Parses a small YAML document with libyaml's event parser; returns the event count.
func useYaml() -> Int {
    let doc: [UInt8] = Array("http:\n  routers:\n    w: {rule: \"Host(`w.test`)\", service: s}\n  list: [a, b, 3]\n".utf8)
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else { return -1 }
    var events = 0
    doc.withUnsafeBufferPointer { buf in
        yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
        var event = yaml_event_t()
        while yaml_parser_parse(&parser, &event) == 1 {
            events += 1
            let done = event.type == YAML_STREAM_END_EVENT
            yaml_event_delete(&event)
            if done { break }
        }
    }
    yaml_parser_delete(&parser)
    return events
}
