// The HTTP/2 frame path of a client connection without a socket or a loop, for the fuzzer (docs/fuzzing.md):
// a server session made as HTTP2Callbacks makes every session (same options: CONTINUATION, SETTINGS and ACK
// flood limits, windows, SETTINGS_MAX_HEADER_LIST_SIZE) is fed bytes, its answers drained, and each request's
// fields built into the HTTP/1.1 head the proxy would parse, by the same RequestHeadBuilder. HTTP2Connection
// itself (its Transport, timers, streams' sessions) is not driven here: it needs the Reactor.
import CNGHTTP2

public enum HTTP2HeadReplay {
    /// One replay's state, the session's user_data.
    final class Replay {
        var builders: [Int32: RequestHeadBuilder] = [:]
        var heads: [[UInt8]] = []
    }

    nonisolated(unsafe) private static let callbacks: OpaquePointer? = {
        var cbs: OpaquePointer? = nil
        guard nghttp2_session_callbacks_new(&cbs) == 0, let c = cbs else { return nil }
        nghttp2_session_callbacks_set_on_begin_headers_callback(c) { _, frame, ud in
            guard let f = frame?.pointee, f.hd.type == HTTP2Callbacks.frameHeaders, f.headers.cat == NGHTTP2_HCAT_REQUEST,
                  let ud else { return 0 }
            let replay = Unmanaged<Replay>.fromOpaque(ud).takeUnretainedValue()
            // Bounded like the real table: nghttp2 refuses streams past SETTINGS_MAX_CONCURRENT_STREAMS.
            replay.builders[f.hd.stream_id] = RequestHeadBuilder()
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(c) { _, frame, name, namelen, value, valuelen, _, ud in
            guard let f = frame?.pointee, f.headers.cat == NGHTTP2_HCAT_REQUEST, let name, let value, let ud else { return 0 }
            let replay = Unmanaged<Replay>.fromOpaque(ud).takeUnretainedValue()
            replay.builders[f.hd.stream_id]?.add(UnsafeBufferPointer(start: name, count: namelen),
                                                 UnsafeBufferPointer(start: value, count: valuelen))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(c) { _, frame, ud in
            guard let f = frame?.pointee, f.hd.type == HTTP2Callbacks.frameHeaders, let ud else { return 0 }
            let replay = Unmanaged<Replay>.fromOpaque(ud).takeUnretainedValue()
            guard let builder = replay.builders.removeValue(forKey: f.hd.stream_id) else { return 0 }
            let endStream = f.hd.flags & HTTP2Callbacks.endStream != 0
            if case .built(let head, _) = builder.build(chunked: builder.wantsChunkedBody(endStream: endStream)) {
                if replay.heads.count < 256 { replay.heads.append(head) }
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c) { session, _, id, _, len, _ in
            nghttp2_session_consume(session, id, len)
            return 0
        }
        return c
    }()

    /// The HTTP/1.1 heads built from the requests in `bytes` (a client's side of a connection, preface first),
    /// or nil when nghttp2 ends the connection (a protocol error, a flood); heads built before that are lost.
    public static func heads(_ bytes: [UInt8], settings: HTTP2Settings = HTTP2Settings()) -> [[UInt8]]? {
        guard let callbacks else { return nil }
        let replay = Replay()
        let ud = Unmanaged.passUnretained(replay).toOpaque()
        guard let session = HTTP2Callbacks.makeSession(server: true, callbacks: callbacks, userData: ud, settings: [
            (NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings.announcedMaxConcurrentStreams),
            (NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, UInt32(HTTP2Settings.streamWindow)),
            (NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, HTTP2Settings.maxHeaderListSize),
        ], connectionWindow: HTTP2Settings.connectionWindow) else { return nil }
        defer { nghttp2_session_del(session) }
        // In reads of at most 4 KiB, answers drained between them, as the connection does.
        var offset = 0
        while offset < bytes.count {
            let n = min(4096, bytes.count - offset)
            let rv = bytes[offset..<offset + n].withUnsafeBytes {
                nghttp2_session_mem_recv(session, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), n)
            }
            if rv < 0 { return nil }
            offset += n
            var data: UnsafePointer<UInt8>? = nil
            var frames = 0
            while frames < 10_000, nghttp2_session_mem_send(session, &data) > 0 { frames += 1 }
        }
        return replay.heads
    }
}
