// OpenSSL's libcrypto for what Swift calls directly: the base64 block coder (EVP_EncodeBlock,
// EVP_DecodeBlock), which needs no library initialisation. No `link` line: libcrypto is linked statically
// once, by CStoepTLS (Package.swift); a `link "crypto"` here would add the shared library.
// MD5 and SHA-1 stay stoep's own: OpenSSL 3's digests initialise its default provider on first use
// (+2.5 MB resident on a box without TLS; docs/dependencies.md).
#include <openssl/evp.h>
