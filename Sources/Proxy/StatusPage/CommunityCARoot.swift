// The community CA's root as people fetch it: `/stoep-ca.pem` (PEM, for Linux, Firefox, Windows) and
// `/stoep-ca.crt` (DER as application/x-x509-ca-cert, which Android's and iOS's browsers hand to the
// certificate installer), and the "install this once" paragraph that links them.

public struct CommunityCARoot: Sendable, Equatable {
    public static let pemPath = "/stoep-ca.pem"
    public static let derPath = "/stoep-ca.crt"

    public let pem: [UInt8]
    public let der: [UInt8]
    /// The root's CN, as devices list it under installed certificates.
    public let name: String
    /// SHA-256 of the DER, "AB:CD:…", to compare on the device before trusting it.
    public let fingerprint: String
    public let notAfter: Int64

    public init(pem: [UInt8], der: [UInt8], name: String, fingerprint: String, notAfter: Int64) {
        self.pem = pem
        self.der = der
        self.name = name
        self.fingerprint = fingerprint
        self.notAfter = notAfter
    }

    /// The download for `path`, nil for any other path. Served as an attachment with the file name, so a
    /// desktop browser saves it rather than showing PEM text.
    public func response(for path: Substring) -> LocalResponse? {
        let (type, body, file): (String, [UInt8], String)
        switch path {
        case Substring(CommunityCARoot.pemPath): (type, body, file) = ("application/x-pem-file", pem, "stoep-ca.pem")
        case Substring(CommunityCARoot.derPath): (type, body, file) = ("application/x-x509-ca-cert", der, "stoep-ca.crt")
        default: return nil
        }
        return LocalResponse(status: 200, fields: [("Content-Type", type), ("Content-Disposition", "attachment; filename=\"\(file)\""),
                                                   ("Cache-Control", "no-cache")],
                             body: body)
    }

    /// An HTML section for the status page: what the file is, the two links, the fingerprint and the
    /// steps per system (docs/tls.md, "Community CA", has the long form).
    public var htmlSection: String {
        """
        <h2>Secure connections on this network</h2>
        <p>The sites on this network use certificates from <b>\(HTMLText.escape(name))</b>. Install it once on
        each phone or laptop and the browser stops warning: <a href="\(CommunityCARoot.derPath)">stoep-ca.crt</a>
        (phones, Windows, macOS) or <a href="\(CommunityCARoot.pemPath)">stoep-ca.pem</a> (Linux, Firefox).</p>
        <ul>
        <li>Android: download it, then Settings &rarr; Security &rarr; Encryption &amp; credentials &rarr; Install a certificate &rarr; CA certificate.</li>
        <li>iPhone/iPad: open it in Safari, Settings &rarr; Profile Downloaded &rarr; Install, then Settings &rarr; General &rarr; About &rarr;
        Certificate Trust Settings &rarr; turn it on.</li>
        <li>Windows: open it &rarr; Install Certificate &rarr; Current User &rarr; Trusted Root Certification Authorities.</li>
        <li>Linux: <code>sudo cp stoep-ca.pem /usr/local/share/ca-certificates/stoep-ca.crt &amp;&amp; sudo update-ca-certificates</code>;
        Firefox: Settings &rarr; Certificates &rarr; Import.</li>
        </ul>
        <p>Check before trusting: SHA-256 fingerprint <code>\(fingerprint)</code>.</p>
        """
    }
}
