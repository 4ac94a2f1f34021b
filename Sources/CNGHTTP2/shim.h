// nghttp2 (Debian's libnghttp2-dev, linked statically: -l:libnghttp2.a in Package.swift), imported as it is.
// No C glue is needed: nghttp2 does no I/O (bytes in with nghttp2_session_mem_recv, out with
// nghttp2_session_mem_send), none of its calls is a macro or variadic, and its callbacks are plain C
// function pointers that Swift passes as @convention(c) closures (Proxy/HTTP2/HTTP2Callbacks.swift).
#include <nghttp2/nghttp2.h>
