// Kernel TLS (CONFIG_TLS): after the handshake OpenSSL hands the keys to the kernel (SSL_OP_ENABLE_KTLS,
// set on every context), which then encrypts and decrypts on the socket, so TLS traffic can be spliced
// again. Whether it happened is asked per connection (TLSTransport.canSplice); this tells `show info`
// what the box offers, read at run time — the same binary runs on kernels with and without it.
import Glibc

public enum KernelTLS {
    /// "loaded", "module" (loaded by the kernel on first use), or "absent".
    public static func availability(release: String? = nil) -> String {
        if let ulps = try? readWholeFile("/proc/sys/net/ipv4/tcp_available_ulp").get(),
           String(decoding: ulps, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).contains("tls") {
            return "loaded"
        }
        let rel = release ?? kernelRelease()
        for suffix in ["", ".xz", ".zst", ".gz"] where access("/lib/modules/\(rel)/kernel/net/tls/tls.ko\(suffix)", F_OK) == 0 {
            return "module"
        }
        return "absent"
    }

    static func kernelRelease() -> String {
        var u = utsname()
        guard uname(&u) == 0 else { return "" }
        return withUnsafeBytes(of: u.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}
