import CPCRE2

/// Compiles one regex with PCRE2 (8-bit) and matches it once; returns pcre2_match's result.
func usePCRE2() -> Int32 {
    let pattern: [UInt8] = Array("^(?<host>[a-z0-9-]+)\\.example\\.(com|org)$".utf8)
    let subject: [UInt8] = Array("api.example.com".utf8)
    var err: Int32 = 0
    var off: Int = 0
    guard let code = pattern.withUnsafeBufferPointer({
        pcre2_compile_8($0.baseAddress, $0.count, 0, &err, &off, nil)
    }) else { return -100 }
    let md = pcre2_match_data_create_from_pattern_8(code, nil)
    let rc = subject.withUnsafeBufferPointer {
        pcre2_match_8(code, $0.baseAddress, $0.count, 0, 0, md, nil)
    }
    pcre2_match_data_free_8(md)
    pcre2_code_free_8(code)
    return rc
}
