import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Outbox
import PizzaShop
import PizzaTools
import Testing

@Suite(.timeLimit(.minutes(2))) struct ConsumerTests {
    @Test func keepsTheNewestAndCountsAll() {
        let received = ReceivedEvents(capacity: 3)
        for n in 0..<5 { received.record("{\"n\":\(n)}") }
        #expect(received.newest(10).map(\.body) == ["{\"n\":4}", "{\"n\":3}", "{\"n\":2}"])
        #expect(received.newest(1).map(\.body) == ["{\"n\":4}"])
        #expect(received.stats.received == 5)
    }

    @Test func eventsAndStatsRoutes() async throws {
        let received = ReceivedEvents()
        let app = Application(router: ConsumerAPI(received: received).router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/stats", method: .get) { response in
                let body = try ProducerAPITests.json(response.body)
                #expect(body["received"] as? Int == 0)
                #expect(body["first_at"] is NSNull)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
            received.record(#"{"id":"a"}"#)
            received.record(#"{"id":"b"}"#)
            received.isSubscribed = true
            try await client.execute(uri: "/events?limit=1", method: .get) { response in
                #expect(String(buffer: response.body) == #"[{"id":"b"}]"#)
            }
            try await client.execute(uri: "/events", method: .get) { response in
                let list = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]]
                #expect(list?.count == 2)
            }
            try await client.execute(uri: "/events?limit=0", method: .get) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func consumerRecordsWhatTheBrokerDelivers() async throws {
        let broker = MemoryBroker()
        let received = ReceivedEvents()
        let consumer = EventConsumer(
            subscriber: broker.subscriber(group: "g"),
            topic: "pizza-orders",
            received: received,
            logger: Logger(label: "test")
        )
        let event = OutboxEvent(
            id: UUID(),
            seq: 1,
            aggregateType: "PizzaOrder",
            aggregateID: "o1",
            eventType: "PizzaOrderCreated",
            payload: #"{"flavor":"Veggie","size":"Small","quantity":1}"#,
            headers: [:],
            status: .pending,
            attempts: 0,
            lastError: nil,
            availableAt: Date(),
            createdAt: Date(),
            publishedAt: nil
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await consumer.run() }
            while broker.subscriberCount(topic: "pizza-orders") == 0 { await Task.yield() }
            try await broker.publish([OutgoingMessage(id: "1", key: "o1", body: Envelope.encode(event, source: "t"))], topic: "pizza-orders")
            while received.stats.received == 0 { await Task.yield() }
            group.cancelAll()
        }
        let envelope = try Envelope.decode(try #require(received.newest(1).first).body)
        #expect(envelope.id == event.id.uuidString.lowercased())
    }
}

@Suite struct LoadReportTests {
    @Test func percentilesByNearestRank() {
        let report = LoadReport(
            sent: 100,
            accepted: 98,
            rejected: 1,
            failed: 1,
            elapsed: .seconds(2),
            latencies: (1...100).reversed().map { .milliseconds($0) }
        )
        #expect(report.percentile(0.5) == .milliseconds(50))
        #expect(report.percentile(0.9) == .milliseconds(90))
        #expect(report.percentile(0.99) == .milliseconds(99))
        #expect(report.throughput == 50)
        #expect(report.summary.contains("failed:     1"))
    }

    @Test func emptyReportIsZero() {
        let report = LoadReport(sent: 0, accepted: 0, rejected: 0, failed: 0, elapsed: .zero, latencies: [])
        #expect(report.percentile(0.99) == .zero && report.throughput == 0)
    }

    @Test func generatedOrdersAreValid() throws {
        let generator = OrderGenerator()
        for _ in 0..<200 {
            let order = generator.next()
            let text = String(decoding: try PizzaJSON.encoder().encode(order), as: UTF8.self)
            #expect(try NewPizzaOrder.parse(json: Array(text.utf8)) == order)
        }
    }
}
