// nghttp2's callbacks as @convention(c) closures (no C shim: none of them needs a C-only construct), and the
// session set-up with the limits that make nghttp2 defend the connection. `user_data` is the
// HTTP2Connection (unretained: the connection owns the session and deletes it before it goes), and each
// stream's `stream_user_data` its HTTP2Stream (owned by the connection's table while nghttp2 knows it).
// Callbacks record and queue; no session runs inside them (HTTP2Connection's header).
import CNGHTTP2

/// An entry point's HTTP/2 options (Traefik's `entryPoints.NAME.http2`) and stoep's fixed limits.
public struct HTTP2Settings: Equatable, Sendable {
    /// `http2.maxConcurrentStreams` as configured (Traefik's default 250; 0 is kept, as /api/entrypoints
    /// shows it: the key is left out then).
    public var maxConcurrentStreams: UInt32
    public init(maxConcurrentStreams: UInt32 = 250) { self.maxConcurrentStreams = maxConcurrentStreams }

    /// SETTINGS_MAX_CONCURRENT_STREAMS, enforced by nghttp2 (a HEADERS past it is refused with RST_STREAM
    /// REFUSED_STREAM). 0 means Go's default, 250 (x/net/http2 `defaultMaxStreams`; Traefik 3.7 with
    /// `maxConcurrentStreams: 0` announces 250).
    var announcedMaxConcurrentStreams: UInt32 { maxConcurrentStreams == 0 ? 250 : maxConcurrentStreams }

    /// Each stream's receive window (SETTINGS_INITIAL_WINDOW_SIZE): at most this much of an upload waits in
    /// stoep for a backend that reads slowly. Opened again only as the stream's session reads the bytes on.
    static let streamWindow: Int32 = 256 * 1024
    /// The connection's receive window: all uploads of one connection together buffer at most this much,
    /// and one stalled upload holds at most a quarter of it, so the other streams keep moving.
    static let connectionWindow: Int32 = 1024 * 1024
    /// SETTINGS_MAX_HEADER_LIST_SIZE, as Go's server announces it (1 MiB + 320): a stream whose fields
    /// pass it (an HPACK bomb) is answered 431 and its fields are not kept.
    static let maxHeaderListSize: UInt32 = 1_048_896
}

enum HTTP2Callbacks {
    /// The callbacks, made once (nghttp2 copies them into each session).
    nonisolated(unsafe) private static let callbacks = HTTP2StreamEnd.callbacks(
        beginHeaders: onBeginHeaders, header: onHeader, frameRecv: onFrameRecv, frameSend: onFrameSend)

    /// A server session for `connection` with our SETTINGS queued and the connection window opened; nil
    /// when nghttp2 cannot allocate.
    static func makeSession(for connection: HTTP2Connection, settings: HTTP2Settings) -> OpaquePointer? {
        guard let cbs = callbacks else { return nil }
        return makeSession(server: true, callbacks: cbs, userData: Unmanaged.passUnretained(connection).toOpaque(), settings: [
            (NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings.announcedMaxConcurrentStreams),
            (NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, UInt32(HTTP2Settings.streamWindow)),
            (NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, HTTP2Settings.maxHeaderListSize),
        ], connectionWindow: HTTP2Settings.connectionWindow)
    }

    /// A session with the options every stoep session has, `settings` queued and the receive window of
    /// the connection set to `connectionWindow`. `peerStreams`: streams nghttp2 opens before the peer's
    /// SETTINGS came (client sessions). nil when nghttp2 cannot allocate.
    static func makeSession(server: Bool, callbacks cbs: OpaquePointer, userData: UnsafeMutableRawPointer,
                            settings: [(nghttp2_settings_id, UInt32)], connectionWindow: Int32,
                            peerStreams: UInt32? = nil) -> OpaquePointer? {
        var option: OpaquePointer? = nil
        guard nghttp2_option_new(&option) == 0, let opt = option else { return nil }
        defer { nghttp2_option_del(opt) }
        // Windows open as sessions read (HTTP2Stream.read, HTTP2UpstreamStream.read), not as DATA arrives:
        // what waits in stoep for a slow reader is bounded by the windows.
        nghttp2_option_set_no_auto_window_update(opt, 1)
        // Closed streams are not kept for RFC 7540 priorities: memory per connection stays flat.
        nghttp2_option_set_no_closed_streams(opt, 1)
        // CONTINUATION flood (CVE-2024-27316): at most 8 CONTINUATION frames after a HEADERS (nghttp2's default,
        // stated); SETTINGS/PING floods: at most 1000 unsent ACKs, then the connection ends.
        nghttp2_option_set_max_continuations(opt, 8)
        nghttp2_option_set_max_outbound_ack(opt, 1000)
        nghttp2_option_set_max_settings(opt, 32)
        if let peerStreams { nghttp2_option_set_peer_max_concurrent_streams(opt, peerStreams) }
        var session: OpaquePointer? = nil
        let rv = server ? nghttp2_session_server_new2(&session, cbs, userData, opt)
                        : nghttp2_session_client_new2(&session, cbs, userData, opt)
        guard rv == 0, let s = session else { return nil }
        var iv = settings.map { nghttp2_settings_entry(settings_id: Int32($0.0.rawValue), value: $0.1) }
        guard nghttp2_submit_settings(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), &iv, iv.count) == 0,
              nghttp2_session_set_local_window_size(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, connectionWindow) == 0
        else {
            nghttp2_session_del(s)
            return nil
        }
        return s
    }

    @inline(__always)
    static func connection(_ ud: UnsafeMutableRawPointer?) -> HTTP2Connection {
        Unmanaged<HTTP2Connection>.fromOpaque(ud!).takeUnretainedValue()
    }

    @inline(__always)
    static func stream(_ session: OpaquePointer?, _ id: Int32) -> HTTP2Stream? {
        guard let p = nghttp2_session_get_stream_user_data(session, id) else { return nil }
        return Unmanaged<HTTP2Stream>.fromOpaque(p).takeUnretainedValue()
    }

    static let frameHeaders = UInt8(NGHTTP2_HEADERS.rawValue)
    static let frameData = UInt8(NGHTTP2_DATA.rawValue)
    static let frameRST = UInt8(NGHTTP2_RST_STREAM.rawValue)
    static let frameGoaway = UInt8(NGHTTP2_GOAWAY.rawValue)
    static let endStream = UInt8(NGHTTP2_FLAG_END_STREAM.rawValue)

    /// A request's HEADERS begins: its stream (trailers and 1xx-less clients' second HEADERS are not new).
    private static let onBeginHeaders: nghttp2_on_begin_headers_callback = { session, frame, ud in
        guard let f = frame?.pointee, f.hd.type == frameHeaders, f.headers.cat == NGHTTP2_HCAT_REQUEST else { return 0 }
        let c = connection(ud)
        let s = HTTP2Stream(id: f.hd.stream_id, connection: c)
        c.streamStarted(s)
        nghttp2_session_set_stream_user_data(session, f.hd.stream_id, Unmanaged.passUnretained(s).toOpaque())
        return 0
    }

    /// One decoded field. nghttp2 already refused what RFC 9113 §8.2 forbids (upper case, connection-specific
    /// fields, `te` other than trailers, CR/LF/NUL and edge whitespace in values, pseudo-field misuse): such a
    /// stream is reset with PROTOCOL_ERROR before this is called.
    private static let onHeader: nghttp2_on_header_callback = { session, frame, name, namelen, value, valuelen, _, ud in
        guard let f = frame?.pointee, let s = stream(session, f.hd.stream_id), let name, let value else { return 0 }
        let n = UnsafeBufferPointer(start: name, count: namelen), v = UnsafeBufferPointer(start: value, count: valuelen)
        if f.headers.cat == NGHTTP2_HCAT_REQUEST { s.addField(n, v) } else { s.addTrailer(n, v) }
        return 0
    }

    private static let onFrameRecv: nghttp2_on_frame_recv_callback = { session, frame, ud in
        guard let f = frame?.pointee else { return 0 }
        switch f.hd.type {
        case frameHeaders:
            guard let s = stream(session, f.hd.stream_id) else { return 0 }
            if f.headers.cat == NGHTTP2_HCAT_REQUEST { s.headComplete(endStream: f.hd.flags & endStream != 0) }
            if f.hd.flags & endStream != 0 { s.requestEnded() }
        case frameData:
            guard f.hd.flags & endStream != 0, let s = stream(session, f.hd.stream_id) else { return 0 }
            s.requestEnded()
        case frameRST:
            connection(ud).resetReceived()
        case frameGoaway:
            connection(ud).counters.h2GoawaysReceived &+= 1
        default: break
        }
        return 0
    }



    private static let onFrameSend: nghttp2_on_frame_send_callback = { session, frame, ud in
        guard let f = frame?.pointee else { return 0 }
        let c = connection(ud)
        switch f.hd.type {
        case frameRST: c.counters.h2ResetsSent &+= 1
        case frameGoaway: c.counters.h2GoawaysSent &+= 1
        case frameData where f.hd.flags & endStream != 0:
            // The response is out; a request body still coming is not wanted any more (RFC 9113 §8.1).
            if let s = stream(session, f.hd.stream_id), !s.requestDone {
                nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), f.hd.stream_id, NGHTTP2_NO_ERROR.rawValue)
            }
        case frameHeaders where f.hd.flags & endStream != 0:
            if let s = stream(session, f.hd.stream_id), !s.requestDone {
                nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), f.hd.stream_id, NGHTTP2_NO_ERROR.rawValue)
            }
        default: break
        }
        return 0
    }
}
