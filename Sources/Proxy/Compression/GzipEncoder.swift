// gzip (RFC 1952) on zlib's deflate. Level 6 with a 32 KiB window and memLevel 8: zlib's defaults, what
// `gzip` and nginx use; Traefik's gzip (klauspost's gzhttp) runs its own default level, whose output differs
// byte for byte but decodes to the same body. Per stream: deflate's window and hash tables (~256 KiB, zlib's
// zconf.h formula (1 << (windowBits+2)) + (1 << (memLevel+9))) plus the scratch buffer.
import CZlib

final class GzipEncoder: StreamEncoder {
    private let stream: UnsafeMutablePointer<z_stream>
    private var scratch = [UInt8](repeating: 0, count: encoderScratchBytes)

    /// Nil when zlib cannot allocate its state.
    init?(level: Int32 = 6) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // deflateInit2 is a macro over deflateInit2_, which checks the caller's zlib version and struct size.
        // windowBits 15 + 16: a 32 KiB window with a gzip header and trailer instead of zlib's.
        let r = deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                              Int32(MemoryLayout<z_stream>.size))
        guard r == Z_OK else {
            stream.deallocate()
            return nil
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    func encode(_ input: UnsafeRawBufferPointer, _ step: EncodeStep, into out: inout [UInt8]) -> Bool {
        let flush: Int32 = switch step {
        case .more: Z_NO_FLUSH
        case .flush: Z_SYNC_FLUSH
        case .finish: Z_FINISH
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = UInt32(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        for _ in 0..<encoderMaxCalls {
            let (r, produced) = scratch.withUnsafeMutableBytes { buf -> (Int32, Int) in
                stream.pointee.next_out = buf.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = UInt32(buf.count)
                let r = deflate(stream, flush)
                return (r, buf.count - Int(stream.pointee.avail_out))
            }
            out += scratch[0..<produced]
            switch r {
            case Z_STREAM_END: return true
            case Z_OK, Z_BUF_ERROR:
                // Done when all input is taken and the output did not fill the scratch buffer (so nothing
                // more is pending); Z_FINISH goes on until Z_STREAM_END.
                if step != .finish && stream.pointee.avail_in == 0 && produced < scratch.count { return true }
            default:
                return false
            }
        }
        return false
    }
}
