// br (RFC 7932) on brotli's encoder. Quality 6 and a 4 MiB window (lgwin 22): what Traefik's br
// (andybalholm/brotli's NewWriter) uses. A known body length is given as a size hint, so a small response
// gets a small ring buffer; an unknown one may grow it to the window (docs/dependencies.md).
import CBrotli

final class BrotliEncoder: StreamEncoder {
    private let state: OpaquePointer
    private var scratch = [UInt8](repeating: 0, count: encoderScratchBytes)

    /// `sizeHint`: the body's length when the backend declared it. Nil when brotli cannot allocate its state.
    init?(quality: UInt32 = 6, window: UInt32 = 22, sizeHint: UInt64?) {
        guard let s = BrotliEncoderCreateInstance(nil, nil, nil) else { return nil }
        state = s
        _ = BrotliEncoderSetParameter(s, BROTLI_PARAM_QUALITY, quality)
        _ = BrotliEncoderSetParameter(s, BROTLI_PARAM_LGWIN, window)
        if let hint = sizeHint { _ = BrotliEncoderSetParameter(s, BROTLI_PARAM_SIZE_HINT, UInt32(min(hint, UInt64(UInt32.max)))) }
    }

    deinit { BrotliEncoderDestroyInstance(state) }

    func encode(_ input: UnsafeRawBufferPointer, _ step: EncodeStep, into out: inout [UInt8]) -> Bool {
        let op = switch step {
        case .more: BROTLI_OPERATION_PROCESS
        case .flush: BROTLI_OPERATION_FLUSH
        case .finish: BROTLI_OPERATION_FINISH
        }
        var availIn = input.count
        var nextIn: UnsafePointer<UInt8>? = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        for _ in 0..<encoderMaxCalls {
            let (ok, produced) = scratch.withUnsafeMutableBytes { buf -> (Bool, Int) in
                var availOut = buf.count
                var nextOut: UnsafeMutablePointer<UInt8>? = buf.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let ok = BrotliEncoderCompressStream(state, op, &availIn, &nextIn, &availOut, &nextOut, nil) == BROTLI_TRUE
                return (ok, buf.count - availOut)
            }
            guard ok else { return false }
            out += scratch[0..<produced]
            let pending = BrotliEncoderHasMoreOutput(state) == BROTLI_TRUE
            switch step {
            case .finish: if BrotliEncoderIsFinished(state) == BROTLI_TRUE { return true }
            case .more, .flush: if availIn == 0 && !pending { return true }
            }
        }
        return false
    }
}
