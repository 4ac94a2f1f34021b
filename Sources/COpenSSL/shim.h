// OpenSSL's libcrypto for what Swift calls directly: the base64 block coder (EVP_EncodeBlock,
// EVP_DecodeBlock) for basicAuth and acme.json, and, for the PKI module, keys (EVP_PKEY), signatures,
// digests, X.509 certificates and requests, PEM and DER. No `link` line: libcrypto is linked statically
// once, by CStoepTLS (Package.swift; PKI names the same archive for its own tests); a `link "crypto"`
// here would add the shared library.
// MD5 and SHA-1 stay stoep's own: OpenSSL 3's digests initialise its default provider on first use
// (+2.5 MB resident on a box without TLS; docs/dependencies.md). PKI runs only for ACME and the community
// CA, where TLS has initialised the provider anyway.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
