import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Outbox
import PizzaShop

/// How the dashboard lets people in.
public struct DashboardAccess: Sendable {
    /// The token that signs in; nil only with `readOnly` (no sign-in at all).
    public var adminToken: String?
    /// No actions (retry) at all.
    public var readOnly: Bool
    /// Marks the session cookie `Secure` (the dashboard is served over HTTPS by a proxy).
    public var secureCookie: Bool

    /// Access with sign-in; `readOnly` still hides actions.
    public static func token(_ token: String, readOnly: Bool = false, secureCookie: Bool = false) -> DashboardAccess {
        DashboardAccess(adminToken: token, readOnly: readOnly, secureCookie: secureCookie)
    }

    /// No sign-in and no actions: anyone who reaches the port sees the customer data.
    public static let insecureReadOnly = DashboardAccess(adminToken: nil, readOnly: true, secureCookie: false)

    init(adminToken: String?, readOnly: Bool, secureCookie: Bool) {
        precondition(adminToken.map { !$0.isEmpty } ?? readOnly, "a dashboard without a token must be read-only")
        self.adminToken = adminToken
        self.readOnly = readOnly
        self.secureCookie = secureCookie
    }
}

/// The outbox dashboard as a Hummingbird router: the page and its assets, the sign-in, and the JSON
/// and Server-Sent Events routes the page reads (`/api/…`). Every response carries the security
/// headers; every `/api` route needs a session, and state-changing ones its CSRF token as well.
public struct Dashboard: Sendable {
    /// Largest page of events.
    public static let maxLimit = 500
    static let cookieName = "pizza_dashboard"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    let sources: DashboardSources
    let sampler: DashboardSampler
    let access: DashboardAccess
    let sessions: DashboardSessions

    /// A dashboard over `sources`, its overview from `sampler` (run the sampler as a service).
    public init(sources: DashboardSources, sampler: DashboardSampler, access: DashboardAccess, sessions: DashboardSessions = DashboardSessions()) {
        self.sources = sources
        self.sampler = sampler
        self.access = access
        self.sessions = sessions
    }

    /// The router: `/`, `/login`, `/logout`, `/healthz`, `/assets/…`, `/api/…`.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: JSONErrorMiddleware())
        router.get { request, _ in
            guard let session = signedIn(request) else { return Self.redirect("/login") }
            return Self.html(DashboardPage.page(csrfToken: session.csrfToken, readOnly: access.readOnly, signedIn: access.adminToken != nil))
        }
        router.get("login") { _, _ in
            guard access.adminToken != nil else { return Self.redirect("/") }
            return Self.html(DashboardPage.signIn(error: nil))
        }
        router.post("login") { request, context in try await signIn(request, context: context) }
        router.post("logout") { request, _ in
            guard let id = request.cookies[Self.cookieName]?.value, let session = sessions.session(id) else { return Self.redirect("/login") }
            try checkCSRF(request, session: session)
            sessions.end(id)
            var response = Self.redirect("/login")
            response.setCookie(sessionCookie("", maxAge: 0))
            return response
        }
        // For supervisors and scripts: answers once the server listens; shows nothing.
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("assets/dashboard.js") { _, _ in Self.asset(DashboardScript.source, type: "text/javascript; charset=utf-8") }
        router.get("assets/dashboard.css") { _, _ in Self.asset(DashboardStyle.source, type: "text/css; charset=utf-8") }

        let api = router.group("api").add(middleware: SessionMiddleware(dashboard: self))
        let routes = DashboardAPI(sources: sources, sampler: sampler)
        api.get("overview") { _, _ in try jsonResponse(routes.overview()) }
        api.get("stream") { _, _ in routes.stream() }
        api.get("events") { request, _ in try jsonResponse(try await routes.events(request)) }
        api.get("events/{id}") { _, context in try jsonResponse(try await routes.event(try Self.uuid(context, "id"))) }
        api.get("orders/{id}") { _, context in try jsonResponse(try await routes.order(try Self.uuid(context, "id"))) }
        api.post("events/{id}/retry") { _, context in try jsonResponse(try await routes.retry(try Self.uuid(context, "id"), logger: context.logger)) }
        api.post("events/retry-failed") { _, context in try jsonResponse(try await routes.retryAll(logger: context.logger)) }
        return router
    }

    /// The session of a signed-in request; with no token configured, everyone has a read-only one.
    func signedIn(_ request: Request) -> DashboardSessions.Session? {
        guard access.adminToken != nil else { return DashboardSessions.Session(csrfToken: "", expires: .now + .seconds(3600)) }
        guard let id = request.cookies[Self.cookieName]?.value else { return nil }
        return sessions.session(id)
    }

    /// State-changing requests: the session's token in `X-CSRF-Token`, and an `Origin`, when the
    /// browser sends one, naming this host.
    func checkCSRF(_ request: Request, session: DashboardSessions.Session) throws(PizzaShopError) {
        guard Self.sameOrigin(request) else {
            throw PizzaShopError(.forbidden, "the request comes from another origin", field: "Origin")
        }
        guard let token = request.headers[Self.csrfHeader], !session.csrfToken.isEmpty,
            DashboardSessions.constantTimeEqual(token, session.csrfToken)
        else {
            throw PizzaShopError(.forbidden, "missing or wrong CSRF token", field: "X-CSRF-Token")
        }
    }

    /// No `Origin` (not a browser's cross-site request), or one naming the host the request was sent to.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    func signIn(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let token = access.adminToken else { return Self.redirect("/") }
        if !Self.sameOrigin(request) {
            return Self.html(DashboardPage.signIn(error: "This sign-in came from another site."), status: .forbidden)
        }
        let body = try await request.body.collect(upTo: 16 * 1024)
        let form = Self.formFields(String(buffer: body))
        guard let given = form["token"], DashboardSessions.constantTimeEqual(given, token) else {
            context.logger.notice("dashboard sign-in refused")
            return Self.html(DashboardPage.signIn(error: "That is not the admin token."), status: .unauthorized)
        }
        let (id, _) = sessions.create()
        var response = Self.redirect("/")
        response.setCookie(sessionCookie(id, maxAge: Int(sessions.lifetime.components.seconds)))
        context.logger.info("dashboard sign-in")
        return response
    }

    func sessionCookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(name: Self.cookieName, value: value, maxAge: maxAge, path: "/", secure: access.secureCookie, httpOnly: true, sameSite: .strict)
    }

    /// `application/x-www-form-urlencoded` fields.
    static func formFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    static func uuid(_ context: BasicRequestContext, _ name: String) throws(PizzaShopError) -> UUID {
        guard let id = UUID(uuidString: context.parameters.get(name) ?? "") else {
            throw PizzaShopError.invalidParameter(name, "\(name) must be a UUID")
        }
        return id
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// `/api` needs a session (401 in the JSON error shape without one); POSTs need its CSRF token too,
/// and a read-only dashboard refuses them (403).
struct SessionMiddleware: RouterMiddleware {
    let dashboard: Dashboard

    func handle(
        _ request: Request,
        context: BasicRequestContext,
        next: (Request, BasicRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let session = dashboard.signedIn(request) else {
            throw PizzaShopError(.unauthorized, "sign in first", field: "Cookie")
        }
        if request.method != .get && request.method != .head {
            guard !dashboard.access.readOnly else {
                throw PizzaShopError(.forbidden, "this dashboard is read-only")
            }
            try dashboard.checkCSRF(request, session: session)
        }
        return try await next(request, context)
    }
}
