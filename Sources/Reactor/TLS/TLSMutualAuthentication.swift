// Mutual TLS with a private CA (the cluster channel, docs/cluster.md): both ends trust exactly the
// certificates one CA signed — not the system roots — and the server refuses a client that presents
// none. The CA arrives as PEM bytes (a Swarm secret read at start), so the trust store is built in
// memory rather than from a file path as the HTTPS-backend contexts do.
import CStoepTLS

/// An X509_STORE holding the certificates of a PEM text; nil when it holds none. The caller hands it to
/// a context (which then owns it) or frees it.
private func trustStore(pem: [UInt8]) -> OpaquePointer? {
    guard let store = X509_STORE_new() else { return nil }
    var added = 0
    pem.withUnsafeBytes { raw in
        guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(clamping: raw.count)) else { return }
        defer { BIO_free(bio) }
        while let x = PEM_read_bio_X509(bio, nil, nil, nil) {
            if X509_STORE_add_cert(store, x) == 1 { added += 1 }
            X509_free(x)  // the store took its own reference
        }
    }
    ERR_clear_error()  // the loop ends on "no start line"
    guard added > 0 else {
        X509_STORE_free(store)
        return nil
    }
    return store
}

extension TLSServerContext {
    /// ALPN: select "http/1.1" when the client offers it and nothing else (no ALPN answer otherwise).
    /// The entry points' contexts select h2 first; a server that speaks only HTTP/1.1 must not, or a
    /// client offering h2 (curl does) would speak HTTP/2 to it.
    public func selectOnlyHTTP11() {
        SSL_CTX_set_alpn_select_cb(context, { _, out, outlen, offered, offeredLength, _ in
            // RFC 7301 §3.1: the client's list is length-prefixed names; point into it, as OpenSSL's
            // SSL_select_next_proto does (the list outlives the callback).
            guard let offered, let out, let outlen else { return SSL_TLSEXT_ERR_NOACK }
            let http11: [UInt8] = Array("http/1.1".utf8)
            var i = 0
            let count = Int(offeredLength)
            while i < count {
                let n = Int(offered[i])
                if n == http11.count && i + 1 + n <= count && (0..<n).allSatisfy({ offered[i + 1 + $0] == http11[$0] }) {
                    out.pointee = offered + i + 1
                    outlen.pointee = UInt8(n)
                    return SSL_TLSEXT_ERR_OK
                }
                i += 1 + n
            }
            return SSL_TLSEXT_ERR_NOACK
        }, nil)
    }

    /// From now on a handshake needs a client certificate that chains to a certificate in `caPEM`
    /// (SSL_VERIFY_FAIL_IF_NO_PEER_CERT: no certificate is a failed handshake, not an anonymous client).
    public func requireClientCertificates(issuedBy caPEM: [UInt8]) throws(TLSError) {
        guard let store = trustStore(pem: caPEM) else { throw TLSError("client CA: no PEM certificate found") }
        SSL_CTX_set_cert_store(context, store)  // the context owns it from here
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
    }
}

extension TLSClientContext {
    /// A verifying context that trusts only the certificates in `caPEM` (no system roots).
    public convenience init(trustingOnly caPEM: [UInt8]) throws(TLSError) {
        try self.init(verify: true)
        guard let store = trustStore(pem: caPEM) else { throw TLSError("CA: no PEM certificate found") }
        SSL_CTX_set_cert_store(context, store)  // replaces the default paths' store; the context owns it
    }

    /// Presents `certificate` (with its chain) to servers that ask for one.
    public func useCertificate(_ certificate: TLSCertificate) throws(TLSError) {
        guard certificate.install(on: context) else {
            throw TLSError("\(certificate.source): cannot use as the client certificate: \(TLSError.lastOpenSSLError())")
        }
    }
}
