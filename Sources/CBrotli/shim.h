// Brotli's encoder (Debian's libbrotli-dev, which ships libbrotlienc.a and libbrotlicommon.a; linked
// statically in Package.swift) for the compress middleware's br. Imported as it is: no macro or variadic
// call is needed (Proxy/Compression/BrotliEncoder.swift).
#include <brotli/encode.h>
