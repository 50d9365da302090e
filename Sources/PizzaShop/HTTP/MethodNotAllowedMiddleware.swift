import Hummingbird
import Synchronization

/// Answers a request for a known path with a method the path does not serve: `405 Method Not
/// Allowed` with an `Allow` header (RFC 9110 §15.5.6), and `OPTIONS` with `204` and the same header.
/// Hummingbird's router answers both with 404; this middleware sees that 404 and tells the two apart
/// by the router's own route list, so nothing is listed twice.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The router's routes, known once every route is registered (after this middleware is added).
    final class Routes: Sendable {
        private let paths = Mutex<[(segments: [String], methods: Set<HTTPRequest.Method>)]>([])

        func set(_ routes: [Router<Context>.RouteDescription]) {
            var byPath: [String: (segments: [String], methods: Set<HTTPRequest.Method>)] = [:]
            for route in routes {
                let segments = route.path.map(\.description)
                byPath[segments.joined(separator: "/"), default: (segments, [])].methods.insert(route.method)
            }
            paths.withLock { $0 = Array(byPath.values) }
        }

        /// The methods the routes matching `path` serve; empty for an unknown path.
        func methods(for path: String) -> Set<HTTPRequest.Method> {
            let requested = path.split(separator: "/", omittingEmptySubsequences: true)
            return paths.withLock { paths in
                paths.filter { Self.matches($0.segments, requested) }.reduce(into: []) { $0.formUnion($1.methods) }
            }
        }

        /// A pattern segment `{name}` (or `:name`) matches any one segment; others match themselves.
        static func matches(_ pattern: [String], _ path: [Substring]) -> Bool {
            guard pattern.count == path.count else { return false }
            return zip(pattern, path).allSatisfy { pattern, segment in
                pattern.hasPrefix("{") || pattern.hasPrefix(":") || pattern == segment
            }
        }
    }

    let routes: Routes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPResponseError where error.status == .notFound {
            // Only the router's own 404 (no route for the method) gets here: handlers throw PizzaShopError.
            let methods = routes.methods(for: request.uri.path)
            guard !methods.isEmpty else { throw error }
            let allow = (methods.map(\.rawValue).sorted() + ["OPTIONS"]).joined(separator: ", ")
            if request.method == .options {
                return Response(status: .noContent, headers: [.allow: allow])
            }
            var response = JSONErrorMiddleware<Context>.response(
                status: .methodNotAllowed,
                code: PizzaShopError.Code.methodNotAllowed.rawValue,
                message: "\(request.method.rawValue) is not served here; allowed: \(allow)",
                field: nil
            )
            response.headers[.allow] = allow
            return response
        }
    }
}

extension Router {
    /// Adds `MethodNotAllowedMiddleware` (after `JSONErrorMiddleware`, before the routes); call
    /// `complete()` on the result once every route is registered.
    func addMethodNotAllowed() -> MethodNotAllowedMiddleware<Context>.Routes {
        let routes = MethodNotAllowedMiddleware<Context>.Routes()
        add(middleware: MethodNotAllowedMiddleware(routes: routes))
        return routes
    }
}
