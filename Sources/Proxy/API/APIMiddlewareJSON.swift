// A middleware's configuration as Traefik's API shows it: `{"<type>": {<non-default fields>}}` with the
// type key in camelCase and `type` lower-cased (Traefik 3.7: "basicauth", "stripprefix", "ipallowlist").
// Only fields that differ from their zero value are written, as Go's `omitempty` does.
import Config
import JSON

enum APIMiddlewareJSON {
    /// Writes the `"<type>": {...}` member into the open object; returns the lower-cased type.
    static func write(_ kind: TraefikMiddleware.Kind, provider: String, _ w: inout JSONWriter) -> String {
        switch kind {
        case .basicAuth(let b):
            w.key("basicAuth")
            w.beginObject()
            if !b.users.isEmpty { APIJSON.strings("users", b.users, &w) }
            if let f = b.usersFile { w.field("usersFile", f) }
            if b.realm != "traefik" { w.field("realm", b.realm) }
            if b.removeHeader { w.field("removeHeader", true) }
            if let h = b.headerField { w.field("headerField", h) }
            w.endObject()
            return "basicauth"
        case .headers(let h):
            w.key("headers")
            headers(h, &w)
            return "headers"
        case .stripPrefix(let prefixes, let forceSlash):
            w.key("stripPrefix")
            w.beginObject()
            APIJSON.strings("prefixes", prefixes, &w)
            if forceSlash { w.field("forceSlash", true) }
            w.endObject()
            return "stripprefix"
        case .stripPrefixRegex(let regex):
            w.key("stripPrefixRegex")
            w.beginObject()
            APIJSON.strings("regex", regex, &w)
            w.endObject()
            return "stripprefixregex"
        case .addPrefix(let prefix):
            w.key("addPrefix")
            w.beginObject()
            w.field("prefix", prefix)
            w.endObject()
            return "addprefix"
        case .redirectScheme(let r):
            w.key("redirectScheme")
            w.beginObject()
            w.field("scheme", r.scheme)
            if let p = r.port { w.field("port", p) }
            if r.permanent { w.field("permanent", true) }
            if r.forcePermanentRedirect { w.field("forcePermanentRedirect", true) }
            w.endObject()
            return "redirectscheme"
        case .redirectRegex(let r):
            w.key("redirectRegex")
            w.beginObject()
            w.field("regex", r.regex)
            w.field("replacement", r.replacement)
            if r.permanent { w.field("permanent", true) }
            w.endObject()
            return "redirectregex"
        case .ipAllowList(let a):
            w.key("ipAllowList")
            w.beginObject()
            APIJSON.strings("sourceRange", a.sourceRange, &w)
            if let s = a.ipStrategy { ipStrategy(s, &w) }
            if a.rejectStatusCode != 403 { w.field("rejectStatusCode", a.rejectStatusCode) }
            w.endObject()
            return "ipallowlist"
        case .chain(let names):
            w.key("chain")
            w.beginObject()
            // As written: a member in the chain's own provider without its suffix.
            APIJSON.strings("middlewares", names.map { TraefikDynamicConfig.unqualify($0, provider: provider) }, &w)
            w.endObject()
            return "chain"
        case .buffering(let max):
            w.key("buffering")
            w.beginObject()
            if max > 0 { w.field("maxRequestBodyBytes", max) }
            w.endObject()
            return "buffering"
        case .circuitBreaker(let c):
            w.key("circuitBreaker")
            w.beginObject()
            w.field("expression", c.expressionText)
            w.field("checkPeriod", c.checkPeriod.description)
            w.field("fallbackDuration", c.fallbackDuration.description)
            w.field("recoveryDuration", c.recoveryDuration.description)
            w.field("responseCode", c.responseCode)
            w.endObject()
            return "circuitbreaker"
        case .compress(let c):
            // Traefik shows the defaulted encodings list; minResponseBodyBytes only when set.
            w.key("compress")
            w.beginObject()
            if !c.excludedContentTypes.isEmpty { APIJSON.strings("excludedContentTypes", c.excludedContentTypes, &w) }
            if !c.includedContentTypes.isEmpty { APIJSON.strings("includedContentTypes", c.includedContentTypes, &w) }
            if c.minResponseBodyBytes != 1024 { w.field("minResponseBodyBytes", c.minResponseBodyBytes) }
            APIJSON.strings("encodings", c.encodings, &w)
            if !c.defaultEncoding.isEmpty { w.field("defaultEncoding", c.defaultEncoding) }
            w.endObject()
            return "compress"
        case .replacePath(let path):
            w.key("replacePath")
            w.beginObject()
            if !path.isEmpty { w.field("path", path) }
            w.endObject()
            return "replacepath"
        case .replacePathRegex(let regex, let replacement):
            w.key("replacePathRegex")
            w.beginObject()
            if !regex.isEmpty { w.field("regex", regex) }
            if !replacement.isEmpty { w.field("replacement", replacement) }
            w.endObject()
            return "replacepathregex"
        case .contentType(let autoDetect):
            w.key("contentType")
            w.beginObject()
            if let autoDetect { w.field("autoDetect", autoDetect) }
            w.endObject()
            return "contenttype"
        case .rateLimit, .inFlightReq, .retry, .errors:
            return APITrafficMiddlewareJSON.write(kind, &w)
        case .inFlightConn(let amount):
            w.key("inFlightConn")
            w.beginObject()
            w.field("amount", amount)
            w.endObject()
            return "inflightconn"
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
            // SetDefaults puts -1 there before marshalling, so it always appears.
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
        case .ignored(let type):
            w.key(type)
            w.beginObject()
            w.endObject()
            return type.lowercased()
        }
    }

    /// `"ipStrategy":{…}` as dynamic.IPStrategy marshals (every field omitempty), for ipAllowList and the
    /// rate limiters' sourceCriterion alike.
    static func ipStrategy(_ s: TraefikIPStrategy, _ w: inout JSONWriter) {
        w.key("ipStrategy")
        w.beginObject()
        if s.depth != 0 { w.field("depth", s.depth) }
        if !s.excludedIPs.isEmpty { APIJSON.strings("excludedIPs", s.excludedIPs, &w) }
        if let v6 = s.ipv6Subnet { w.field("ipv6Subnet", v6) }
        w.endObject()
    }

    private static func headers(_ h: TraefikHeaders, _ w: inout JSONWriter) {
        func map(_ key: String, _ pairs: [TraefikKeyValue]) {
            guard !pairs.isEmpty else { return }
            w.key(key)
            w.beginObject()
            for p in pairs { w.field(p.key, p.value) }
            w.endObject()
        }
        func list(_ key: String, _ values: [String]) { if !values.isEmpty { APIJSON.strings(key, values, &w) } }
        func flag(_ key: String, _ value: Bool) { if value { w.field(key, true) } }
        func text(_ key: String, _ value: String?) { if let value { w.field(key, value) } }
        w.beginObject()
        map("customRequestHeaders", h.customRequestHeaders)
        map("customResponseHeaders", h.customResponseHeaders)
        flag("accessControlAllowCredentials", h.accessControlAllowCredentials)
        list("accessControlAllowHeaders", h.accessControlAllowHeaders)
        list("accessControlAllowMethods", h.accessControlAllowMethods)
        list("accessControlAllowOriginList", h.accessControlAllowOriginList)
        list("accessControlAllowOriginListRegex", h.accessControlAllowOriginListRegex)
        list("accessControlExposeHeaders", h.accessControlExposeHeaders)
        if let age = h.accessControlMaxAge { w.field("accessControlMaxAge", age) }
        flag("addVaryHeader", h.addVaryHeader)
        list("allowedHosts", h.allowedHosts)
        list("hostsProxyHeaders", h.hostsProxyHeaders)
        map("sslProxyHeaders", h.sslProxyHeaders)
        if h.stsSeconds != 0 { w.field("stsSeconds", h.stsSeconds) }
        flag("stsIncludeSubdomains", h.stsIncludeSubdomains)
        flag("stsPreload", h.stsPreload)
        flag("forceSTSHeader", h.forceSTSHeader)
        flag("frameDeny", h.frameDeny)
        text("customFrameOptionsValue", h.customFrameOptionsValue)
        flag("contentTypeNosniff", h.contentTypeNosniff)
        flag("browserXssFilter", h.browserXssFilter)
        text("customBrowserXSSValue", h.customBrowserXSSValue)
        text("contentSecurityPolicy", h.contentSecurityPolicy)
        text("contentSecurityPolicyReportOnly", h.contentSecurityPolicyReportOnly)
        text("publicKey", h.publicKey)
        text("referrerPolicy", h.referrerPolicy)
        text("permissionsPolicy", h.permissionsPolicy)
        flag("isDevelopment", h.isDevelopment)
        w.endObject()
    }
}
