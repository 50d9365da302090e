import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryTracing
import PizzaShop
import Testing
import Tracing

@Suite struct ServerSpanMiddlewareTests {
    /// A router with the middleware in front of three routes: one that answers, one that fails with
    /// a client error, one that fails with a server error.
    func withApp(_ tracer: InMemoryTracer, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = Router()
        router.add(middleware: ServerSpanMiddleware(tracer: tracer))
        router.post("pizza/{id}") { _, _ in
            // The handler runs inside the server span: it is the current context.
            #expect(tracer.activeSpans.count == 1)
            return Response(status: .created, body: .init(byteBuffer: ByteBuffer(string: #"{"ok":true}"#)))
        }
        router.get("missing") { _, _ -> Response in throw HTTPError(.notFound) }
        router.get("broken") { _, _ -> Response in throw HTTPError(.serviceUnavailable) }
        try await Application(router: router).test(.router, body)
    }

    @Test func aRequestGetsAServerSpanNamedByItsRouteAndEndedWhenAnswered() async throws {
        let tracer = InMemoryTracer()
        try await withApp(tracer) { client in
            try await client.execute(
                uri: "/pizza/7?dry=1",
                method: .post,
                headers: [.userAgent: "tests", .contentLength: "2"],
                body: ByteBuffer(string: "{}")
            ) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body) == #"{"ok":true}"#)
            }
        }
        let spans = tracer.finishedSpans
        try #require(spans.count == 1)
        let span = spans[0]
        #expect(span.operationName == "POST /pizza/{id}")
        #expect(span.kind == .server)
        #expect(span.attributes["http.request.method"]?.toSpanAttribute() == .string("POST"))
        #expect(span.attributes["url.path"]?.toSpanAttribute() == .string("/pizza/7"))
        #expect(span.attributes["url.query"]?.toSpanAttribute() == .string("dry=1"))
        #expect(span.attributes["user_agent.original"]?.toSpanAttribute() == .string("tests"))
        #expect(span.attributes["http.request.body.size"]?.toSpanAttribute() == .int64(2))
        #expect(span.attributes["http.route"]?.toSpanAttribute() == .string("/pizza/{id}"))
        #expect(span.attributes["http.response.status_code"]?.toSpanAttribute() == .int64(201))
        #expect(span.attributes["http.response.body.size"]?.toSpanAttribute() == .int64(11))
        #expect(span.status == nil)
        #expect(tracer.activeSpans.isEmpty)
    }

    @Test func anIncomingTraceContextIsTheSpansParent() async throws {
        let tracer = InMemoryTracer()
        try await withApp(tracer) { client in
            try await client.execute(
                uri: "/pizza/7",
                method: .post,
                headers: [HTTPField.Name(InMemoryTracer.traceIDKey)!: "trace-1", HTTPField.Name(InMemoryTracer.spanIDKey)!: "span-1"]
            ) { response in
                #expect(response.status == .created)
            }
        }
        let span = try #require(tracer.finishedSpans.first)
        #expect(span.traceID == "trace-1")
        #expect(span.parentSpanID == "span-1")
    }

    @Test func aServerErrorFailsTheSpanAndAClientErrorDoesNot() async throws {
        let tracer = InMemoryTracer()
        try await withApp(tracer) { client in
            try await client.execute(uri: "/missing", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/broken", method: .get) { #expect($0.status == .serviceUnavailable) }
            try await client.execute(uri: "/nowhere", method: .get) { #expect($0.status == .notFound) }
        }
        let spans = tracer.finishedSpans
        try #require(spans.count == 3)
        #expect(spans[0].operationName == "GET /missing")
        #expect(spans[0].attributes["http.response.status_code"]?.toSpanAttribute() == .int64(404))
        #expect(spans[0].status == nil)
        #expect(spans[0].errors.count == 1)
        #expect(spans[1].operationName == "GET /broken")
        #expect(spans[1].attributes["http.response.status_code"]?.toSpanAttribute() == .int64(503))
        #expect(spans[1].status?.code == .error)
        // No route matched: the method alone names the span.
        #expect(spans[2].operationName == "GET")
        #expect(spans[2].attributes["http.route"] == nil)
    }
}
