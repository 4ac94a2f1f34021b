// The OpenSSL glue Swift cannot call directly: OpenSSL's setters are macros over SSL_CTX_ctrl/SSL_ctrl,
// its key generation is variadic, and its callbacks need a C signature. Everything else (SSL_read,
// SSL_write, PEM reading, X509 queries) Swift calls through this header as it is.
// Every function is prefixed stoep_tls_ and says why it exists. OpenSSL is initialised lazily by the
// first context created: an appliance without TLS never touches it (DESIGN.md: +3.7 MB when used).
#ifndef CSTOEP_TLS_H
#define CSTOEP_TLS_H
#include <stdint.h>
#include <time.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>

// Chooses the certificate for a ClientHello's server name (NULL when the client sent none). Called
// from inside SSL_do_handshake; returns 0 to go on, or 1 to refuse the handshake (sniStrict). Called a
// second time with `acme_tls` = 1 when the client offers ALPN "acme-tls/1" (an ACME TLS-ALPN-01
// validation): 0 then means the challenge certificate was set and acme-tls/1 is selected.
typedef int (*stoep_tls_sni_selector)(SSL *ssl, const char *server_name, int acme_tls, void *arg);

// A server context with stoep's defaults: TLS 1.2–1.3 (narrowed by min/max, 0 = default), ALPN
// offering h2 and http/1.1 (and acme-tls/1 through the selector), a server-side session cache and tickets (resumption), partial writes with a
// moving buffer (the proxy retries from wherever its buffer has moved), kernel TLS requested when the
// library and kernel allow it, and `selector` called for every ClientHello. NULL on failure.
SSL_CTX *stoep_tls_server_context(int min_version, int max_version, stoep_tls_sni_selector selector, void *arg);

// Sets the `arg` given to the selector (the Swift object exists only after its context does).
void stoep_tls_server_set_selector_arg(SSL_CTX *ctx, void *arg);

// A client context for HTTPS backends: verification of the peer (or none for insecureSkipVerify)
// against the system roots plus `ca_file` when not NULL. NULL on failure (ca_file unreadable).
SSL_CTX *stoep_tls_client_context(int verify, const char *ca_file);

// Client side: sends `name` as SNI and, when verifying, checks the certificate names it.
int stoep_tls_set_client_name(SSL *ssl, const char *name, int verify);

// The negotiated version (TLS1_2_VERSION…), and whether the session was resumed.
int stoep_tls_version(const SSL *ssl);
int stoep_tls_session_reused(const SSL *ssl);

// 1 when OpenSSL moved the send / receive direction into the kernel (kTLS) after the handshake.
int stoep_tls_ktls_send(SSL *ssl);
int stoep_tls_ktls_recv(SSL *ssl);

// A self-signed ECDSA P-256 certificate for `common_name`, valid a year (Traefik's default certificate
// when none is configured). 0 on success.
int stoep_tls_self_signed(const char *common_name, X509 **cert, EVP_PKEY **key);

// notAfter of a certificate as seconds since the epoch (0 when it cannot be read).
int64_t stoep_tls_not_after(const X509 *cert);

// The dNSName entries of the subjectAltName (or, with none, the subject CN) into `out` as a
// NUL-separated list; returns the bytes written (0 when none fit).
size_t stoep_tls_certificate_names(X509 *cert, char *out, size_t size);

// Reads every certificate of a PEM text: the first is the leaf, the rest its chain (a new stack, maybe
// empty). Returns how many were read (0: none, *leaf and *chain untouched).
int stoep_tls_read_certificates(const void *pem, size_t len, X509 **leaf, STACK_OF(X509) **chain);
STACK_OF(X509) *stoep_tls_empty_chain(void);
void stoep_tls_free_chain(STACK_OF(X509) *chain);

// Presents this certificate, key and chain on one connection (from the server-name selector).
int stoep_tls_use_certificate(SSL *ssl, X509 *cert, EVP_PKEY *key, STACK_OF(X509) *chain);

// The subject CN and the serial number in decimal (Go's big.Int String, as Traefik's metric labels).
void stoep_tls_certificate_facts(X509 *cert, char *cn, size_t cn_size, char *serial, size_t serial_size);
// The issuer's CN, else its O ("" when neither): the dashboard's certificate list.
void stoep_tls_certificate_issuer(X509 *cert, char *out, size_t out_size);

// Keeps `*drained` up to date for the connection: 1 when OpenSSL's last read from the socket came
// back short or would block (the socket was empty then), 0 when it filled what it asked for. With
// edge-triggered readiness, a reader may then wait without a read that only says EAGAIN.
void stoep_tls_track_drain(SSL *ssl, int *drained);

// The reason of the last error on this thread's OpenSSL queue, as text, and clears the queue.
void stoep_tls_last_error(char *buf, size_t size);
#endif
