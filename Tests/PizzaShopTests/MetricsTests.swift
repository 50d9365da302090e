import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Outbox
import Prometheus
import Testing

@testable import PizzaShop

@Suite struct MetricsTests {
    @Test func producerCountsOrdersAndShowsTheOutbox() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = ShopMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let outbox = MemoryOutboxStore()
        let repository = MemoryPizzaOrderRepository(outbox: outbox)
        let api = ProducerAPI(
            repository: repository,
            metrics: metrics,
            metricsEndpoint: MetricsEndpoint(registry: registry, refresh: MetricsEndpoint.refreshingOutbox(outbox, metrics: metrics))
        )
        try await Application(router: api.router()).test(.router) { client in
            try await client.execute(
                uri: "/pizza",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: ValidationTests.valid)
            ) { _ in }
            try await client.execute(
                uri: "/pizza",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"flavor":"x"}"#)
            ) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                let text = String(buffer: response.body)
                #expect(text.contains("pizza_orders_accepted_total 1"))
                #expect(text.contains(#"pizza_orders_rejected_total{reason="missing_field"} 1"#))
                #expect(text.contains(#"outbox_events{status="pending"} 1"#))
                #expect(text.contains("outbox_oldest_pending_age_seconds"))
            }
        }
    }

    @Test func consumerCountsDeliveriesAndLatency() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = ShopMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let consumer = EventConsumer(
            subscriber: MemoryBroker().subscriber(group: "kitchen"),
            topic: "t",
            group: "kitchen",
            received: ReceivedEvents(),
            metrics: metrics,
            logger: Logger(label: "test")
        )
        let event = OutboxEvent(
            id: UUID(),
            seq: 1,
            aggregateType: "PizzaOrder",
            aggregateID: "o1",
            eventType: "PizzaOrderCreated",
            payload: "{}",
            headers: [:],
            status: .pending,
            attempts: 0,
            lastError: nil,
            availableAt: Date(),
            createdAt: Date().addingTimeInterval(-0.25),
            publishedAt: nil
        )
        try await consumer.handle(IncomingMessage(brokerID: "1-0", body: Envelope.encode(event, source: "t")))
        let text = registry.emitToString()
        #expect(text.contains(#"consumer_events_received_total{group="kitchen"} 1"#))
        #expect(text.contains(#"consumer_events_acked_total{group="kitchen"} 1"#))
        #expect(text.contains(#"consumer_end_to_end_latency_seconds_count{group="kitchen"} 1"#))
    }
}

@Suite struct OpenAPITests {
    @Test func bothAPIsServeAnOpenAPI31Document() async throws {
        // With an admin token, so that the admin routes are served and documented.
        let outbox = MemoryOutboxStore()
        let producer = Application(
            router: ProducerAPI(repository: MemoryPizzaOrderRepository(outbox: outbox), admin: AdminAPI(store: outbox, token: "t")).router()
        )
        let consumer = Application(router: ConsumerAPI(received: ReceivedEvents()).router())
        for (app, paths) in [(producer, ["/pizza", "/pizza/{id}", "/admin/outbox"]), (consumer, ["/events", "/stats"])] {
            try await app.test(.router) { client in
                try await client.execute(uri: "/openapi.json", method: .get) { response in
                    #expect(response.status == .ok)
                    let document = try ProducerAPITests.json(response.body)
                    #expect(document["openapi"] as? String == "3.1.0")
                    let documented = (document["paths"] as? [String: Any]).map { Set($0.keys) } ?? []
                    #expect(documented.isSuperset(of: paths))
                }
            }
        }
    }
}
