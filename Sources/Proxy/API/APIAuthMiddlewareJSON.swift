// forwardAuth and digestAuth as Traefik's API shows them (omitempty fields, as Go marshals them; maxBodySize
// appears as -1, the default SetDefaults puts there).
import Config
import JSON

enum APIAuthMiddlewareJSON {
    /// Writes the `"<type>": {...}` member; returns the lower-cased type.
    static func write(_ kind: TraefikMiddleware.Kind, _ w: inout JSONWriter) -> String {
        switch kind {
        case .forwardAuth(let f):
            w.key("forwardAuth")
            w.beginObject()
            w.field("address", f.address)
            if let tls = f.tls {
                w.key("tls")
                w.beginObject()
                if !tls.ca.isEmpty { w.field("ca", tls.ca) }
                if !tls.cert.isEmpty { w.field("cert", tls.cert) }
                if !tls.key.isEmpty { w.field("key", tls.key) }
                if tls.insecureSkipVerify { w.field("insecureSkipVerify", true) }
                w.endObject()
            }
            if let t = f.trustForwardHeader { w.field("trustForwardHeader", t) }
            if !f.authResponseHeaders.isEmpty { APIJSON.strings("authResponseHeaders", f.authResponseHeaders, &w) }
            if !f.authResponseHeadersRegex.isEmpty { w.field("authResponseHeadersRegex", f.authResponseHeadersRegex) }
            if !f.authRequestHeaders.isEmpty { APIJSON.strings("authRequestHeaders", f.authRequestHeaders, &w) }
            if let m = f.maxResponseBodySize { w.field("maxResponseBodySize", m) }
            if !f.addAuthCookiesToResponse.isEmpty { APIJSON.strings("addAuthCookiesToResponse", f.addAuthCookiesToResponse, &w) }
            if !f.headerField.isEmpty { w.field("headerField", f.headerField) }
            // SetDefaults puts -1 there before marshalling.
            w.field("maxBodySize", f.maxBodySize ?? -1)
            if f.preserveLocationHeader { w.field("preserveLocationHeader", true) }
            if f.preserveRequestMethod { w.field("preserveRequestMethod", true) }
            if !f.authSigninURL.isEmpty { w.field("authSigninURL", f.authSigninURL) }
            w.endObject()
            return "forwardauth"
        case .digestAuth(let d):
            w.key("digestAuth")
            w.beginObject()
            if !d.users.isEmpty { APIJSON.strings("users", d.users, &w) }
            if let f = d.usersFile { w.field("usersFile", f) }
            if d.removeHeader { w.field("removeHeader", true) }
            if d.realm != "traefik" { w.field("realm", d.realm) }
            if !d.headerField.isEmpty { w.field("headerField", d.headerField) }
            w.endObject()
            return "digestauth"
        default:
            preconditionFailure("APIAuthMiddlewareJSON is called for forwardAuth and digestAuth only")
        }
    }
}
