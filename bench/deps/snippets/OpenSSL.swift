import COpenSSL

/// Creates one TLS server context and keeps it, as a server with a TLS entry point would.
func useOpenSSL() -> Bool {
    let ctx = SSL_CTX_new(TLS_server_method())
    return ctx != nil
}
