// One compressed response body's encoder, whatever the coding: bytes in, compressed bytes out, with the
// three moments a streaming proxy needs. The three codings (gzip on zlib, br on brotli, zstd on libzstd)
// live one per file; ContentCoding picks one. The encoder's state (zlib's window and hash chains, brotli's
// ring buffer, zstd's context) lives only as long as its response: docs/dependencies.md has the sizes.

enum EncodeStep {
    /// Compress what came; output appears when the library's internal block is full.
    case more
    /// Also emit everything given so far, decodable by the client now (a body of unknown length: Traefik's
    /// reverse proxy flushes after each backend read, and so does stoep).
    case flush
    /// The end of the body: the trailer (gzip's CRC and size, zstd's epilogue, brotli's last block).
    case finish
}

protocol StreamEncoder: AnyObject {
    /// Compresses all of `input`, appending what the library produced to `out`. False when the library
    /// failed (out of memory): the caller ends the response, whose head already went out.
    func encode(_ input: UnsafeRawBufferPointer, _ step: EncodeStep, into out: inout [UInt8]) -> Bool
}

/// The bytes one library call may write before stoep copies them into the response's output: big enough
/// that a 16 KiB read compresses in a call or two, small beside the encoders' own state.
let encoderScratchBytes = 16 * 1024

/// The number of library calls one `encode` may make before it gives up: every call consumes input or
/// fills the scratch buffer, so a 16 KiB read never needs more than a handful (bounded loops).
let encoderMaxCalls = 4096
