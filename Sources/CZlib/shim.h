// zlib (Debian's zlib1g-dev, linked statically: -l:libz.a in Package.swift) for the compress middleware's
// gzip. No C glue: deflateInit2 is a macro, so Swift calls the function behind it, deflateInit2_, with
// zlibVersion() and the size of z_stream as the macro would (Proxy/Compression/GzipEncoder.swift).
#include <zlib.h>
