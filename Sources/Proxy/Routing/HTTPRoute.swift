// One HTTP router as the proxy serves it: its compiled rule, where it attaches, its middlewares and its
// service (or the internal service that answers in its place).
import Rules

public final class HTTPRoute: PrioritizedRoute {
    public let name: String
    public let priority: Int
    let rule: RuleExpression
    /// nil: the router attaches to every entry point.
    let entryPoints: Set<String>?
    let middlewares: [HTTPMiddleware]
    let service: HTTPService
    /// The router has `tls`: it serves TLS connections only, on every entry point it attaches to.
    let tls: Bool
    /// Entry points with `http.tls`, where this router serves TLS connections even without its own `tls`.
    let tlsEntryPoints: Set<String>
    /// Set when the router names `api@internal` & co: stoep answers, `service` is an empty placeholder.
    public let internalService: InternalService?
    /// One of Traefik's own routers (InternalRouters): plain and TLS connections, not counted or reported.
    let isInternalRouter: Bool
    public var requests: UInt64 = 0

    init(name: String, priority: Int, rule: RuleExpression, entryPoints: Set<String>?, middlewares: [HTTPMiddleware],
         service: HTTPService, tls: Bool = false, tlsEntryPoints: Set<String> = [], internalService: InternalService? = nil,
         isInternalRouter: Bool = false) {
        self.internalService = internalService
        self.isInternalRouter = isInternalRouter
        self.tls = tls
        self.tlsEntryPoints = tlsEntryPoints
        self.name = name
        self.priority = priority
        self.rule = rule
        self.entryPoints = entryPoints
        self.middlewares = middlewares
        self.service = service
    }

    func attaches(to entryPoint: String) -> Bool { entryPoints?.contains(entryPoint) ?? true }

    /// Whether the router serves TLS connections on `entryPoint` (else plain ones).
    func isTLS(on entryPoint: String) -> Bool { tls || tlsEntryPoints.contains(entryPoint) }
}
