// The client side for HTTPS backends (`server.scheme=https`, or an https:// URL): one OpenSSL context
// per verification setting (a serversTransport), shared by every connection that uses it.
import CStoepTLS

public final class TLSClientContext {
    let context: OpaquePointer
    public let verify: Bool

    /// `verify`: check the backend's certificate against the system roots and `rootCAFile` (Traefik's
    /// serversTransport.rootCAs); false = insecureSkipVerify (self-signed controllers).
    public init(verify: Bool, rootCAFile: String? = nil) throws(TLSError) {
        guard let ctx = stoep_tls_client_context(verify ? 1 : 0, rootCAFile) else {
            throw TLSError("\(rootCAFile ?? "TLS client"): cannot load: \(TLSError.lastOpenSSLError())")
        }
        context = ctx
        self.verify = verify
    }

    /// A verifying context that trusts exactly `rootCAFiles` (PEM bundles), plus the system roots when
    /// `systemRoots` — or only the system roots when the list is empty. (The ACME client's trust: Traefik's
    /// caCertificates / LEGO_CA_CERTIFICATES replace the system pool, caSystemCertPool adds it back.)
    public init(rootCAFiles: [String], systemRoots: Bool) throws(TLSError) {
        guard let ctx = stoep_tls_client_context(1, nil) else {
            throw TLSError("TLS client: cannot create a context: \(TLSError.lastOpenSSLError())")
        }
        if !rootCAFiles.isEmpty && !systemRoots, let empty = X509_STORE_new() {
            SSL_CTX_set_cert_store(ctx, empty)  // the context owns it from here
        }
        for file in rootCAFiles where SSL_CTX_load_verify_locations(ctx, file, nil) != 1 {
            SSL_CTX_free(ctx)
            throw TLSError("\(file): cannot load CA certificates: \(TLSError.lastOpenSSLError())")
        }
        context = ctx
        verify = true
    }

    deinit { SSL_CTX_free(context) }

    /// Presents the certificate chain in `chainFile` (PEM, leaf first) with the private key in `keyFile`
    /// to servers that ask for one (forwardAuth's tls.cert/tls.key, Go's tls.Config.Certificates).
    public func useCertificate(chainFile: String, keyFile: String) throws(TLSError) {
        guard SSL_CTX_use_certificate_chain_file(context, chainFile) == 1 else {
            throw TLSError("\(chainFile): cannot load the client certificate: \(TLSError.lastOpenSSLError())")
        }
        guard SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1, SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError("\(keyFile): cannot load the client key (or it does not match the certificate): \(TLSError.lastOpenSSLError())")
        }
    }

    /// ALPN's wire list (RFC 7301 §3.1): length-prefixed "h2", "http/1.1".
    static let h2AndHTTP11: [UInt8] = [2] + Array("h2".utf8) + [8] + Array("http/1.1".utf8)

    /// A client transport over a connecting socket; `serverName` is sent as SNI (and verified).
    /// `offerHTTP2`: ALPN offers h2 then http/1.1 (Go's transport for an https backend unless HTTP/2 is
    /// disabled); otherwise http/1.1 alone (the context's default).
    /// `alpn`: another ALPN wire list to offer instead (DNS over TLS offers "dot", RFC 7858 / IANA).
    public func transport(fd: FileDescriptor, serverName: String, offerHTTP2: Bool = false, alpn: [UInt8]? = nil) -> TLSTransport? {
        guard let t = TLSTransport(fd: fd, context: context, server: false), let ssl = t.handle else { return nil }
        guard stoep_tls_set_client_name(ssl, serverName, verify ? 1 : 0) == 0 else { return nil }
        if let protos = alpn ?? (offerHTTP2 ? TLSClientContext.h2AndHTTP11 : nil) {
            guard protos.withUnsafeBufferPointer({ SSL_set_alpn_protos(ssl, $0.baseAddress, UInt32($0.count)) }) == 0 else { return nil }
        }
        t.keepAlive = self
        return t
    }
}
