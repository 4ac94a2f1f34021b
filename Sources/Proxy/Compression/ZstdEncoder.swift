// zstd (RFC 8878) on libzstd's streaming API. Level 3: libzstd's default, and what Traefik's zstd
// (klauspost's SpeedDefault, "roughly level 3") aims at. A known body length is pledged, so a small response
// gets a small window; an unknown one uses level 3's 2 MiB window (docs/dependencies.md).
import CZstd

final class ZstdEncoder: StreamEncoder {
    private let context: OpaquePointer
    private var scratch = [UInt8](repeating: 0, count: encoderScratchBytes)

    /// `pledgedSize`: the body's length when the backend declared it. Nil when zstd cannot allocate a context.
    init?(level: Int32 = 3, pledgedSize: UInt64?) {
        guard let c = ZSTD_createCCtx() else { return nil }
        context = c
        _ = ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)
        _ = ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)
        if let size = pledgedSize { _ = ZSTD_CCtx_setPledgedSrcSize(c, size) }
    }

    deinit { ZSTD_freeCCtx(context) }

    func encode(_ input: UnsafeRawBufferPointer, _ step: EncodeStep, into out: inout [UInt8]) -> Bool {
        let directive = switch step {
        case .more: ZSTD_e_continue
        case .flush: ZSTD_e_flush
        case .finish: ZSTD_e_end
        }
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        for _ in 0..<encoderMaxCalls {
            let (left, produced) = scratch.withUnsafeMutableBytes { buf -> (Int, Int) in
                var outBuffer = ZSTD_outBuffer(dst: buf.baseAddress, size: buf.count, pos: 0)
                let left = ZSTD_compressStream2(context, &outBuffer, &inBuffer, directive)
                return (left, outBuffer.pos)
            }
            if ZSTD_isError(left) != 0 { return false }
            out += scratch[0..<produced]
            switch step {
            case .more: if inBuffer.pos == inBuffer.size && produced < scratch.count { return true }
            case .flush, .finish: if left == 0 { return true }
            }
        }
        return false
    }
}
