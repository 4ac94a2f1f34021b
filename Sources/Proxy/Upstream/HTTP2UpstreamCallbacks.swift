// nghttp2's callbacks for the client sessions of HTTP2UpstreamConnection, as @convention(c) closures, and
// the session set-up. `user_data` is the connection (unretained: it owns the session and deletes it before
// it goes), each stream's `stream_user_data` its HTTP2UpstreamStream (kept by the connection's table while
// nghttp2 knows it). As on the client side (HTTP2Callbacks), callbacks only record and queue.
import CNGHTTP2

enum HTTP2UpstreamCallbacks {
    nonisolated(unsafe) private static let callbacks: OpaquePointer? = {
        var cbs: OpaquePointer? = nil
        guard nghttp2_session_callbacks_new(&cbs) == 0, let c = cbs else { return nil }
        nghttp2_session_callbacks_set_on_begin_headers_callback(c, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(c, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(c, onFrameRecv)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(c, onStreamClose)
        return c
    }()

    /// A client session with our SETTINGS (no push, 256 KiB stream windows) and the connection window
    /// opened; the connection preface goes out with the first write. nil when nghttp2 cannot allocate.
    static func makeSession(for connection: HTTP2UpstreamConnection) -> OpaquePointer? {
        guard let cbs = callbacks else { return nil }
        var option: OpaquePointer? = nil
        guard nghttp2_option_new(&option) == 0, let opt = option else { return nil }
        defer { nghttp2_option_del(opt) }
        // Windows open as sessions read (HTTP2UpstreamStream.read): a slow client bounds what waits here.
        nghttp2_option_set_no_auto_window_update(opt, 1)
        nghttp2_option_set_no_closed_streams(opt, 1)
        // One stream on the wire until the server's SETTINGS tell its limit (HTTP2UpstreamConnection.hasRoom).
        nghttp2_option_set_peer_max_concurrent_streams(opt, 1)
        nghttp2_option_set_max_continuations(opt, 8)
        nghttp2_option_set_max_outbound_ack(opt, 1000)
        nghttp2_option_set_max_settings(opt, 32)
        var session: OpaquePointer? = nil
        let ud = Unmanaged.passUnretained(connection).toOpaque()
        guard nghttp2_session_client_new2(&session, cbs, ud, opt) == 0, let s = session else { return nil }
        var iv = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                                   value: UInt32(HTTP2UpstreamConnection.streamWindow)),
        ]
        guard nghttp2_submit_settings(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), &iv, iv.count) == 0,
              nghttp2_session_set_local_window_size(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0,
                                                    HTTP2UpstreamConnection.connectionWindow) == 0
        else {
            nghttp2_session_del(s)
            return nil
        }
        return s
    }

    @inline(__always)
    static func connection(_ ud: UnsafeMutableRawPointer?) -> HTTP2UpstreamConnection {
        Unmanaged<HTTP2UpstreamConnection>.fromOpaque(ud!).takeUnretainedValue()
    }

    @inline(__always)
    static func stream(_ session: OpaquePointer?, _ id: Int32) -> HTTP2UpstreamStream? {
        guard let p = nghttp2_session_get_stream_user_data(session, id) else { return nil }
        return Unmanaged<HTTP2UpstreamStream>.fromOpaque(p).takeUnretainedValue()
    }

    private static let onBeginHeaders: nghttp2_on_begin_headers_callback = { session, frame, _ in
        guard let f = frame?.pointee, f.hd.type == HTTP2Callbacks.frameHeaders, let s = stream(session, f.hd.stream_id) else { return 0 }
        s.beginHeaders()
        return 0
    }

    /// nghttp2 already checked the response's fields (RFC 9113 §8.2, `:status` present and alone).
    private static let onHeader: nghttp2_on_header_callback = { session, frame, name, namelen, value, valuelen, _, _ in
        guard let f = frame?.pointee, let s = stream(session, f.hd.stream_id), let name, let value else { return 0 }
        s.responseField(UnsafeBufferPointer(start: name, count: namelen), UnsafeBufferPointer(start: value, count: valuelen))
        return 0
    }

    private static let onFrameRecv: nghttp2_on_frame_recv_callback = { session, frame, ud in
        guard let f = frame?.pointee else { return 0 }
        let ends = f.hd.flags & HTTP2Callbacks.endStream != 0
        switch f.hd.type {
        case HTTP2Callbacks.frameHeaders:
            stream(session, f.hd.stream_id)?.headersDone(endStream: ends)
        case HTTP2Callbacks.frameData where ends:
            stream(session, f.hd.stream_id)?.ended()
        case HTTP2Callbacks.frameGoaway:
            connection(ud).goAwayReceived()
        case frameSettings where f.hd.flags & ack == 0:
            connection(ud).settingsArrived()
        default: break
        }
        return 0
    }

    private static let onDataChunk: nghttp2_on_data_chunk_recv_callback = { session, _, id, data, len, _ in
        guard let s = stream(session, id), let data else {
            nghttp2_session_consume(session, id, len)  // a stream given up: its window back at once
            return 0
        }
        s.dataArrived(UnsafeRawBufferPointer(start: data, count: len))
        return 0
    }

    private static let onStreamClose: nghttp2_on_stream_close_callback = { session, id, errorCode, _ in
        guard let s = stream(session, id) else { return 0 }
        nghttp2_session_set_stream_user_data(session, id, nil)
        s.closedByLibrary(errorCode: errorCode)
        return 0
    }

    static let frameSettings = UInt8(NGHTTP2_SETTINGS.rawValue)
    static let ack = UInt8(NGHTTP2_FLAG_ACK.rawValue)

    /// The data source of every request body (HTTP2UpstreamStream.takeBody).
    static let readBody: nghttp2_data_source_read_callback = { session, id, buf, length, flags, _, _ in
        guard let s = stream(session, id), let buf, let flags else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        return s.takeBody(into: buf, max: length, flags: flags)
    }
}
