import HTTPTypes
import Hummingbird
import Instrumentation
import Tracing

/// A server span per request, continuing an incoming `traceparent` or starting a trace, with the
/// OpenTelemetry HTTP attributes; its name is the method and the matched route (`POST /pizza`), or
/// the method alone when no route matched.
///
/// Unlike Hummingbird's `TracingMiddleware`, the span ends when the response is made, not after its
/// body has been written: wrapping the body to end the span later turns a one-buffer response into a
/// streamed one, which Hummingbird then sends in two writes (head, then body) instead of one — two
/// system calls and two wake-ups of the client per request. What the span misses is the socket write.
public struct ServerSpanMiddleware<Context: RequestContext>: RouterMiddleware {
    private let tracer: (any Tracer)?

    /// `tracer` is the bootstrapped one (`InstrumentationSystem.tracer`, read per request) unless given.
    public init(tracer: (any Tracer)? = nil) {
        self.tracer = tracer
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let tracer = self.tracer ?? InstrumentationSystem.tracer
        var parent = ServiceContext.current ?? .topLevel
        tracer.extract(request.headers, into: &parent, using: HeaderExtractor())
        // The method alone until the router has matched a route (OpenTelemetry's name for no route).
        let span = tracer.startSpan(request.method.rawValue, context: parent, ofKind: .server)
        defer { span.end() }
        if span.isRecording {
            var attributes = SpanAttributes()
            attributes["http.request.method"] = request.method.rawValue
            attributes["url.path"] = request.uri.path
            attributes["url.query"] = request.uri.query
            attributes["user_agent.original"] = request.headers[.userAgent]
            attributes["http.request.body.size"] = request.headers[.contentLength].flatMap { Int($0) }
            span.attributes = attributes
        }
        do {
            let response = try await ServiceContext.withValue(span.context) { try await next(request, context) }
            describe(span, request: request, context: context, status: response.status, bodySize: response.body.contentLength)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            describe(span, request: request, context: context, status: status, bodySize: nil)
            span.recordError(error)
            throw error
        }
    }

    /// The route, the status and the body size; a 5xx marks the span failed (a 4xx is the client's).
    private func describe(_ span: any Span, request: Request, context: Context, status: HTTPResponse.Status, bodySize: Int?) {
        guard span.isRecording else { return }
        // Hummingbird calls a request no route matched "NotFound".
        if let route = context.endpointPath, route != "NotFound" {
            span.operationName = "\(request.method.rawValue) \(route)"
            span.attributes["http.route"] = route
        }
        span.attributes["http.response.status_code"] = Int(status.code)
        span.attributes["http.response.body.size"] = bodySize
        if status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
    }
}

/// Reads trace context headers (`traceparent`, `tracestate`) from a request.
private struct HeaderExtractor: Extractor {
    func extract(key name: String, from headers: HTTPFields) -> String? {
        HTTPField.Name(name).flatMap { headers[$0] }
    }
}
