// OpenSSL glue: macros, variadic calls and C callbacks Swift cannot express (see cstoep_tls.h).
#include "cstoep_tls.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

struct selector_box { stoep_tls_sni_selector fn; void *arg; };
// The ex_data slot that owns each server context's box (freed with the context).
static int selector_box_index = -1;

// SSL_CTX_set_tlsext_servername_callback is a macro; the callback runs before the certificate is
// chosen, so setting it on the SSL there picks what the handshake presents.
static int on_server_name(SSL *ssl, int *alert, void *arg) {
    struct selector_box *box = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (box->fn(ssl, name, 0, box->arg) != 0) {
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

// ALPN: h2, then http/1.1, in the server's order (h2 preferred, as Traefik 3.7 offers them): a client
// offering both gets h2 and the connection goes to Proxy/HTTP2; a client offering neither gets no ALPN and
// speaks HTTP/1.1 (a client that then sends the HTTP/2 preface anyway is served as h2 too). A client offering "acme-tls/1" is an ACME
// CA validating TLS-ALPN-01 (RFC 8737): the selector is asked again with `acme_tls` set and, when it
// presents the challenge certificate, acme-tls/1 is selected; otherwise the handshake fails
// (no_application_protocol), as RFC 8737 §3 asks. Runs after the server-name callback and before the
// certificate is used, so the certificate set here is the one the handshake presents.
static int offers(const unsigned char *in, unsigned int inlen, const char *proto) {
    size_t n = strlen(proto);
    for (unsigned int i = 0; i < inlen; i += 1u + in[i])
        if (in[i] == n && i + 1u + n <= inlen && memcmp(in + i + 1, proto, n) == 0) return 1;
    return 0;
}

static int on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                   unsigned int inlen, void *arg) {
    static const unsigned char offered[] = "\x02h2\x08http/1.1";
    static const unsigned char acme[] = "acme-tls/1";
    struct selector_box *box = arg;
    if (box && offers(in, inlen, (const char *)acme)) {
        if (box->fn(ssl, SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name), 1, box->arg) != 0) return SSL_TLSEXT_ERR_ALERT_FATAL;
        *out = acme;
        *outlen = sizeof(acme) - 1;
        return SSL_TLSEXT_ERR_OK;
    }
    if (SSL_select_next_proto((unsigned char **)out, outlen, offered, sizeof(offered) - 1, in, inlen) == OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_OK;
    return SSL_TLSEXT_ERR_NOACK;
}

static void ex_free_box(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp) {
    (void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
    OPENSSL_free(ptr);
}

SSL_CTX *stoep_tls_server_context(int min_version, int max_version, stoep_tls_sni_selector selector, void *arg) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return NULL;
    if (selector_box_index < 0) selector_box_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, ex_free_box);
    SSL_CTX_set_min_proto_version(ctx, min_version ? min_version : TLS1_2_VERSION);
    if (max_version) SSL_CTX_set_max_proto_version(ctx, max_version);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_ENABLE_KTLS);
    // One TLS 1.3 session ticket per full handshake, as Go's server (Traefik) sends; OpenSSL's default is
    // two. A client resumes with one, and each ticket costs the handshake a sealed ticket and a record.
    SSL_CTX_set_num_tickets(ctx, 1);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, 1024);
    static const unsigned char sid_ctx[] = "stoep";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
    struct selector_box *box = OPENSSL_malloc(sizeof *box);
    if (!box) { SSL_CTX_free(ctx); return NULL; }
    SSL_CTX_set_alpn_select_cb(ctx, on_alpn, box);
    box->fn = selector;
    box->arg = arg;
    SSL_CTX_set_ex_data(ctx, selector_box_index, box);
    SSL_CTX_set_tlsext_servername_callback(ctx, on_server_name);
    SSL_CTX_set_tlsext_servername_arg(ctx, box);
    return ctx;
}

void stoep_tls_server_set_selector_arg(SSL_CTX *ctx, void *arg) {
    struct selector_box *box = SSL_CTX_get_ex_data(ctx, selector_box_index);
    if (box) box->arg = arg;
}

SSL_CTX *stoep_tls_client_context(int verify, const char *ca_file) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_ENABLE_KTLS);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
    if (verify) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_default_verify_paths(ctx);
        if (ca_file && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) { SSL_CTX_free(ctx); return NULL; }
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
    return ctx;
}

int stoep_tls_set_client_name(SSL *ssl, const char *name, int verify) {
    // An IP literal is not a valid SNI host name (RFC 6066 §3): send none, verify the address instead.
    unsigned char addr[16];
    int is_ip = inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
    if (!is_ip && SSL_set_tlsext_host_name(ssl, name) != 1) return -1;
    if (verify) {
        X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
        if (is_ip) return X509_VERIFY_PARAM_set1_ip_asc(param, name) == 1 ? 0 : -1;
        return SSL_set1_host(ssl, name) == 1 ? 0 : -1;
    }
    return 0;
}

int stoep_tls_version(const SSL *ssl) { return SSL_version(ssl); }
int stoep_tls_session_reused(const SSL *ssl) { return SSL_session_reused(ssl); }
int stoep_tls_ktls_send(SSL *ssl) { return BIO_get_ktls_send(SSL_get_wbio(ssl)) ? 1 : 0; }
int stoep_tls_ktls_recv(SSL *ssl) { return BIO_get_ktls_recv(SSL_get_rbio(ssl)) ? 1 : 0; }

int stoep_tls_self_signed(const char *common_name, X509 **cert, EVP_PKEY **key) {
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    if (!pkey || !x) goto fail;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 365L * 24 * 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME *subject = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)common_name, -1, -1, 0);
    X509_set_issuer_name(x, subject);
    if (!X509_sign(x, pkey, EVP_sha256())) goto fail;
    *cert = x;
    *key = pkey;
    return 0;
fail:
    X509_free(x);
    EVP_PKEY_free(pkey);
    return -1;
}

int64_t stoep_tls_not_after(const X509 *cert) {
    struct tm tm;
    const ASN1_TIME *t = X509_get0_notAfter(cert);
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
    return (int64_t)timegm(&tm);
}

size_t stoep_tls_certificate_names(X509 *cert, char *out, size_t size) {
    size_t used = 0;
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (names) {
        for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
            const GENERAL_NAME *n = sk_GENERAL_NAME_value(names, i);
            if (n->type != GEN_DNS) continue;
            const unsigned char *s = ASN1_STRING_get0_data(n->d.dNSName);
            size_t len = (size_t)ASN1_STRING_length(n->d.dNSName);
            if (used + len + 1 > size) break;
            memcpy(out + used, s, len);
            out[used + len] = 0;
            used += len + 1;
        }
        GENERAL_NAMES_free(names);
        if (used > 0) return used;
    }
    // No DNS names: the subject CN (old certificates; Go ignores it, but it names the host).
    int len = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, out, (int)size);
    return len > 0 ? (size_t)len + 1 : 0;
}

void stoep_tls_last_error(char *buf, size_t size) {
    unsigned long e = ERR_get_error();
    if (e == 0) snprintf(buf, size, "unknown error");
    else ERR_error_string_n(e, buf, size);
    ERR_clear_error();
}

// sk_X509_* are macros over OPENSSL_sk_* with type checks.
int stoep_tls_read_certificates(const void *pem, size_t len, X509 **leaf, STACK_OF(X509) **chain) {
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio) return 0;
    X509 *first = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (!first) { BIO_free(bio); ERR_clear_error(); return 0; }
    STACK_OF(X509) *rest = sk_X509_new_null();
    int count = 1;
    X509 *next;
    while ((next = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        sk_X509_push(rest, next);
        count++;
    }
    ERR_clear_error();  // the loop ends on "no start line"
    BIO_free(bio);
    *leaf = first;
    *chain = rest;
    return count;
}

STACK_OF(X509) *stoep_tls_empty_chain(void) { return sk_X509_new_null(); }
void stoep_tls_free_chain(STACK_OF(X509) *chain) { sk_X509_pop_free(chain, X509_free); }

int stoep_tls_use_certificate(SSL *ssl, X509 *cert, EVP_PKEY *key, STACK_OF(X509) *chain) {
    return SSL_use_cert_and_key(ssl, cert, key, chain, 1) == 1 ? 0 : -1;
}

void stoep_tls_certificate_facts(X509 *cert, char *cn, size_t cn_size, char *serial, size_t serial_size) {
    cn[0] = 0;
    serial[0] = 0;
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, (int)cn_size) < 0) cn[0] = 0;
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    if (!bn) return;
    char *dec = BN_bn2dec(bn);
    if (dec) {
        snprintf(serial, serial_size, "%s", dec);
        OPENSSL_free(dec);
    }
    BN_free(bn);
    ERR_clear_error();
}

// The issuer's CN (else its O) for the dashboard: OpenSSL's NID_* macros are not imported by Swift,
// so the lookup by NID is done here, as stoep_tls_certificate_facts does for the subject.
void stoep_tls_certificate_issuer(X509 *cert, char *out, size_t out_size) {
    out[0] = 0;
    X509_NAME *issuer = X509_get_issuer_name(cert);
    if (!issuer) return;
    if (X509_NAME_get_text_by_NID(issuer, NID_commonName, out, (int)out_size) < 0 &&
        X509_NAME_get_text_by_NID(issuer, NID_organizationName, out, (int)out_size) < 0) out[0] = 0;
    ERR_clear_error();
}

// BIO_set_callback_ex takes a C function: it sees every read OpenSSL makes on the socket BIO.
static long on_socket_read(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
                           size_t *processed) {
    (void)argp; (void)argi; (void)argl;
    if (oper == (BIO_CB_READ | BIO_CB_RETURN)) {
        int *drained = (int *)BIO_get_callback_arg(b);
        if (drained) *drained = ret > 0 ? (processed != NULL && *processed < len) : 1;
    }
    return ret;
}

void stoep_tls_track_drain(SSL *ssl, int *drained) {
    BIO *rbio = SSL_get_rbio(ssl);
    if (!rbio) return;
    BIO_set_callback_arg(rbio, (char *)drained);
    BIO_set_callback_ex(rbio, on_socket_read);
}
