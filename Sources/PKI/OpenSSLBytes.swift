// Moving bytes in and out of OpenSSL: memory BIOs, DER encoders (`i2d_*`) and big numbers. Everything
// the PKI module hands out is a Swift byte array; no OpenSSL pointer leaves the module.
// OpenSSL's `BIO_get_mem_data` and `BN_num_bytes` are macros Swift cannot call; the functions they
// expand to (`BIO_ctrl_pending` + `BIO_read`, `BN_num_bits`) are used instead.
import COpenSSL

/// A read-only memory BIO over `bytes` for the duration of `body` (PEM readers take a BIO).
func withMemoryBIO<T>(_ bytes: [UInt8], _ body: (OpaquePointer) -> T?) -> T? {
    bytes.withUnsafeBytes { raw -> T? in
        guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
        defer { BIO_free(bio) }
        return body(bio)
    }
}

/// What `write` put into a fresh memory BIO (a PEM writer), or nil when it failed (returned 0 or less).
func writtenToMemoryBIO(_ write: (OpaquePointer) -> Int32) -> [UInt8]? {
    guard let bio = BIO_new(BIO_s_mem()) else { return nil }
    defer { BIO_free(bio) }
    guard write(bio) > 0 else { return nil }
    let pending = Int(BIO_ctrl_pending(bio))
    var out = [UInt8](repeating: 0, count: pending)
    let n = out.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32(pending)) }
    guard n == Int32(pending) else { return nil }
    return out
}

/// The DER an OpenSSL `i2d_*` encoder writes: called once without a buffer for the length, then into
/// the array (the encoder moves the pointer it is given past what it wrote).
func derEncoded(_ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8]? {
    let length = encode(nil)
    guard length > 0 else { return nil }
    var out = [UInt8](repeating: 0, count: Int(length))
    let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
        return encode(&cursor)
    }
    return written == length ? out : nil
}

/// A big number as big-endian bytes, left-padded with zeros to `width` (0: as short as it goes).
func bigEndianBytes(_ bn: OpaquePointer, width: Int = 0) -> [UInt8]? {
    let natural = (Int(BN_num_bits(bn)) + 7) / 8   // BN_num_bytes, a macro
    let size = max(width, natural)
    guard width == 0 || natural <= width else { return nil }
    var out = [UInt8](repeating: 0, count: size)
    let n = out.withUnsafeMutableBufferPointer { BN_bn2binpad(bn, $0.baseAddress, Int32(size)) }
    return n == Int32(size) ? out : nil
}

/// `count` bytes from OpenSSL's CSPRNG (serial numbers), or nil when it is not seeded.
func randomBytes(_ count: Int) -> [UInt8]? {
    var out = [UInt8](repeating: 0, count: count)
    let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
    return ok == 1 ? out : nil
}

/// Empties this thread's OpenSSL error queue. A failed call leaves its reasons queued, and a later
/// TLS read on the loop would find them and take them for its own (SSL_get_error reads the queue).
func clearOpenSSLErrors() {
    ERR_clear_error()
}
