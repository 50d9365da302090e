import Foundation
import Hummingbird

/// The consumer API: `GET /events?limit=N`, `GET /stats`, `/healthz`, `/readyz` (subscribed), `/metrics`.
public struct ConsumerAPI: Sendable {
    public static let defaultLimit = 50
    public static let maxLimit = 10_000

    let received: ReceivedEvents
    let metrics: MetricsEndpoint?

    /// `metrics` adds `GET /metrics`.
    public init(received: ReceivedEvents, metrics: MetricsEndpoint? = nil) {
        self.received = received
        self.metrics = metrics
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: JSONErrorMiddleware())
        let served = router.addMethodNotAllowed()
        router.get("events") { request, _ in
            let limit = try Self.limit(from: request.uri.queryParameters.get("limit"))
            // Envelopes exactly as received, spliced into one JSON array, newest first.
            let bodies = received.newest(limit).map(\.body)
            let text = "[" + bodies.joined(separator: ",") + "]"
            return Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text))
            )
        }
        router.get("stats") { _, _ in try jsonResponse(received.stats) }
        metrics?.register(on: router)
        router.get("openapi.json") { _, _ in openAPIResponse(ConsumerOpenAPI.document) }
        router.get("healthz") { _, _ in try jsonResponse(["status": "ok"]) }
        router.get("readyz") { _, _ in
            guard received.isSubscribed else {
                throw PizzaShopError(.unavailable, "not subscribed to the broker")
            }
            return try jsonResponse(["status": "ready"])
        }
        served.set(router.routes)
        return router
    }

    static func limit(from text: String?) throws(PizzaShopError) -> Int {
        guard let text else { return defaultLimit }
        guard let value = Int(text), (1...maxLimit).contains(value) else {
            throw PizzaShopError.invalidParameter("limit", "limit must be an integer from 1 to \(maxLimit)")
        }
        return value
    }
}
