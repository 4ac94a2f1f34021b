// The three content codings the compress middleware can produce, and the encoder for each.

enum ContentCoding: String {
    case gzip
    case br
    case zstd

    /// A fresh encoder for one response; `length` is the body's declared length (a size hint for br and
    /// zstd). Nil when the library cannot allocate its state.
    func makeEncoder(length: UInt64?) -> StreamEncoder? {
        switch self {
        case .gzip: GzipEncoder()
        case .br: BrotliEncoder(sizeHint: length)
        case .zstd: ZstdEncoder(pledgedSize: length)
        }
    }
}
