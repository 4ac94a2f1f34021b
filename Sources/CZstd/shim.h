// Zstandard (Debian's libzstd-dev, linked statically: -l:libzstd.a in Package.swift) for the compress
// middleware's zstd. Imported as it is: the streaming API (ZSTD_compressStream2) needs no C glue
// (Proxy/Compression/ZstdEncoder.swift).
#include <zstd.h>
