import AsyncHTTPClient
import Foundation
import Logging
import Outbox
import OutboxPostgres
import OutboxTesting
import PizzaShop
import PizzaShopPostgres
import TestSupport
import Testing

/// The original system as processes: producer-api, two jobs, two consumer-apis and the client,
/// over Redis Streams and over Redis Pub/Sub.
@Suite(.enabled(if: TestServers.postgresEnabled && TestServers.redisEnabled), .serialized)
struct SystemEndToEndTests {
    let logger = Logger(label: "e2e")

    @Test(.timeLimit(.minutes(5)), arguments: ["redis-streams", "redis-pubsub"])
    func twoHundredOrdersFromTwoJobsReachBothConsumersExactlyOnce(broker: String) async throws {
        try await TestSchema.with("e2e") { schema, client in
            let logs = FileManager.default.temporaryDirectory.appendingPathComponent(schema.name)
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            let topic = TestServers.uniqueName("pizza_orders")
            let environment = ["DATABASE_URL": schema.url, "REDIS_URL": try TestServers.requireRedisURL()]
            let producerPort = try freePort()
            let consumerPorts = [try freePort(), try freePort()]

            let migrate = try await PizzaProcess.run(["migrate"], environment: environment)
            #expect(migrate.status == 0, "\(migrate.output)")
            let processes = PizzaProcesses(logDirectory: logs, environment: environment)
            try processes.start("producer-api", ["producer-api", "--port", "\(producerPort)", "--no-migrate"])
            // Two jobs at once: neither may publish an event the other published.
            for index in 0..<2 {
                try processes.start("job-\(index)", ["job", "--broker", broker, "--topic", topic, "--no-migrate", "--batch-size", "20"])
            }
            for (index, port) in consumerPorts.enumerated() {
                // With Streams, two groups: each receives every event.
                try processes.start(
                    "consumer-\(index)",
                    ["consumer-api", "--broker", broker, "--group", "group-\(index)", "--port", "\(port)", "--topic", topic]
                )
            }

            try await processes.run { http in
                try await waitUntil("producer-api ready") { await httpGet(http, "http://127.0.0.1:\(producerPort)/readyz")?.status == 200 }
                for port in consumerPorts {
                    // Pub/Sub keeps nothing for late subscribers, and a Streams group starts at the end of
                    // the stream: wait until they are subscribed.
                    try await waitUntil("consumer-api on \(port) subscribed") {
                        await httpGet(http, "http://127.0.0.1:\(port)/readyz")?.status == 200
                    }
                }

                let run = try await PizzaProcess.run(["client", "--url", "http://127.0.0.1:\(producerPort)", "--orders", "200", "--concurrency", "8"])
                print("pizza client --orders 200 (\(broker)):\n\(run.output)")
                #expect(run.status == 0)
                #expect(run.output.contains("accepted:   200"))

                for port in consumerPorts {
                    try await waitUntil("200 events at consumer \(port)") {
                        guard let stats = await httpGet(http, "http://127.0.0.1:\(port)/stats") else { return false }
                        let received = (try? JSONSerialization.jsonObject(with: Data(stats.body.utf8)) as? [String: Any])?["received"] as? Int
                        return (received ?? 0) >= 200
                    }
                }

                let outbox = try PostgresOutboxStore(client: client, logger: logger)
                let orders = try await PostgresPizzaOrderRepository(client: client, outbox: outbox, logger: logger).all()
                #expect(orders.count == 200)
                // A job marks its last batch with its next claim or after --mark-delay, so the
                // consumers may hold an event before the outbox shows it completed.
                try await waitUntil("200 events marked completed") {
                    let stats = try? await outbox.stats()
                    return stats?.completed == 200 && stats?.pending == 0
                }
                #expect(try await outbox.stats().failed == 0)

                for port in consumerPorts {
                    let events = try #require(await httpGet(http, "http://127.0.0.1:\(port)/events?limit=1000"))
                    let envelopes = try JSONDecoder().decode([JSONValue].self, from: Data(events.body.utf8))
                    let delivered = try envelopes.map { value -> PizzaOrder in
                        let text = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
                        let envelope = try Envelope.decode(text)
                        #expect(envelope.type == "PizzaOrderCreated")
                        let data = String(decoding: try JSONEncoder().encode(envelope.data), as: UTF8.self)
                        let order = try PizzaJSON.decoder().decode(PizzaOrder.self, from: Data(data.utf8))
                        #expect(envelope.subject == order.id.uuidString.lowercased())
                        return order
                    }
                    #expect(delivered.count == 200, "consumer \(port) received \(delivered.count)")
                    #expect(Set(envelopes.compactMap { $0["id"]?.stringValue }).count == 200, "duplicate event ids")
                    // Compared as canonical JSON: timestamps at the millisecond the API and events carry.
                    let encoder = PizzaJSON.encoder()
                    let sent = Set(try orders.map { String(decoding: try encoder.encode($0), as: UTF8.self) })
                    let got = Set(try delivered.map { String(decoding: try encoder.encode($0), as: UTF8.self) })
                    #expect(
                        got == sent,
                        "\(got.subtracting(sent).count) delivered orders differ from pizza_orders, e.g. \(got.subtracting(sent).first ?? "-")"
                    )
                }
            }

            // SIGTERM finishes in-flight work and exits cleanly.
            for failed in processes.stopAll() {
                Issue.record("\(failed.name) did not exit cleanly (\(failed.status)):\n\(failed.log)")
            }
        }
    }
}
