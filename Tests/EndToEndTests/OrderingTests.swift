import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Outbox
import OutboxPostgres
import OutboxTesting
import PizzaShop
import PizzaShopPostgres
import TestSupport
import Testing

/// Per-order ordering with three jobs racing over one outbox, and a poison event that parks only
/// its own order.
@Suite(.enabled(if: TestServers.postgresEnabled && TestServers.redisEnabled), .serialized)
struct OrderingTests {
    let logger = Logger(label: "e2e")

    @Test(.timeLimit(.minutes(5)))
    func threeJobsKeepEachOrdersEventsInCommitOrderAndParkOnlyThePoisonedOrder() async throws {
        try await TestSchema.with("ordering") { schema, client in
            let logs = FileManager.default.temporaryDirectory.appendingPathComponent(schema.name)
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            let topic = TestServers.uniqueName("pizza_orders")
            let environment = ["DATABASE_URL": schema.url, "REDIS_URL": try TestServers.requireRedisURL()]
            let producerPort = try freePort()
            let consumerPort = try freePort()

            let migrate = try await PizzaProcess.run(["migrate"], environment: environment)
            #expect(migrate.status == 0, "\(migrate.output)")
            let processes = PizzaProcesses(logDirectory: logs, environment: environment)
            try processes.start("producer-api", ["producer-api", "--port", "\(producerPort)", "--no-migrate"])
            // Small batches, some latency and random failures: the three jobs interleave and retry a lot.
            for index in 0..<3 {
                try processes.start(
                    "job-\(index)",
                    [
                        "job", "--topic", topic, "--no-migrate", "--batch-size", "4", "--simulate-latency-ms", "4",
                        "--failure-rate", "0.1", "--max-attempts", "20", "--retry-initial", "0.02", "--retry-max", "0.2",
                        "--simulate-decline-user", "Mallory", "--poll-interval", "0.2",
                    ]
                )
            }
            try processes.start(
                "consumer",
                [
                    "consumer-api", "--topic", topic, "--group", "ordering", "--port", "\(consumerPort)", "--database-url", schema.url,
                ]
            )

            try await processes.run { http in
                try await waitUntil("producer-api ready") { await httpGet(http, "http://127.0.0.1:\(producerPort)/readyz")?.status == 200 }
                try await waitUntil("consumer subscribed") { await httpGet(http, "http://127.0.0.1:\(consumerPort)/readyz")?.status == 200 }

                // The poison order: its created event always fails payment; its status changes wait behind it.
                let base = "http://127.0.0.1:\(producerPort)/pizza"
                let poisonTrace = "0af7651916cd43dd8448eb211c80319c"
                let poison = try await send(
                    http,
                    .POST,
                    base,
                    #"{"flavor":"Hawaiian","size":"Large","quantity":1,"price":12.5,"address":"1 Poison Way","user_name":"Mallory"}"#,
                    traceparent: "00-\(poisonTrace)-b7ad6b7169203331-01"
                )
                // A traced order that flows: its trace reaches the consumer's log lines.
                let flowingTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
                #expect(
                    try await send(http, .POST, base, ValidationTestsBody.valid, traceparent: "00-\(flowingTrace)-00f067aa0ba902b7-01").status == 201
                )
                #expect(poison.status == 201)
                let poisonID = try #require(try JSONDecoder().decode([String: JSONValue].self, from: Data(poison.body.utf8))["id"]?.stringValue)
                for status in ["baking", "cancelled"] {
                    #expect(try await send(http, .PATCH, "\(base)/\(poisonID)", #"{"status":"\#(status)"}"#).status == 200)
                }

                let run = try await PizzaProcess.run([
                    "client", "--url", "http://127.0.0.1:\(producerPort)", "--orders", "150", "--concurrency", "8", "--status-changes", "1",
                ])
                print("pizza client --orders 150 --status-changes 1:\n\(run.output)")
                #expect(run.status == 0)

                let verify = try await PizzaProcess.run(["verify", "--wait", "90", "--group", "ordering"], environment: environment)
                print("pizza verify:\n\(verify.output)")
                #expect(verify.status == 0)
                #expect(verify.output.contains("parked orders          1"))
                #expect(verify.output.contains("pending (blocked)    2"))
                #expect(verify.output.contains(poisonID))

                // Everything but the poisoned order was published; its three events are parked or waiting.
                let outbox = try PostgresOutboxStore(client: client, logger: logger)
                let poisoned = try await outbox.events(aggregateID: poisonID)
                #expect(poisoned.map(\.status) == [.failed, .pending, .pending])
                #expect(poisoned.first?.lastError?.contains("declined for Mallory") == true)
                let stats = try await outbox.stats()
                #expect(stats.failed == 1 && stats.pending == 2)
                #expect(stats.completed > 150, "status changes were published too")
                // Published and applied in order: the consumer's application order per order.
                let deliveries = try await PostgresDeliveryRecorder(client: client, logger: logger).deliveries()
                let seq = Dictionary(uniqueKeysWithValues: try await outbox.allEvents().map { ($0.id.uuidString.lowercased(), $0.seq) })
                var last: [String: Int64] = [:]
                var reordered = 0
                for delivery in deliveries {
                    let current = seq[delivery.eventID] ?? 0
                    if let previous = last[delivery.orderID], previous > current { reordered += 1 }
                    last[delivery.orderID] = current
                }
                #expect(reordered == 0)
                #expect(deliveries.count == stats.completed)

                // Requeued by hand, the poisoned order still fails: it stays parked, nothing else moves.
                let retry = try await PizzaProcess.run(["outbox", "retry", poisoned[0].id.uuidString.lowercased()], environment: environment)
                #expect(retry.status == 0 && retry.output.contains("requeued"), "\(retry.output)")
                try await waitUntil("the poison event parked again") {
                    try await outbox.events(aggregateID: poisonID).first?.status == .failed
                }
                // Trace context end to end: the job's retries of the poison order and the consumer's
                // handling of the traced order log the trace ids the client sent.
                #expect(processes.all.filter { $0.name.hasPrefix("job") }.contains { $0.output.contains("trace.id=\(poisonTrace)") })
                #expect(processes.all.first { $0.name == "consumer" }?.output.contains("trace.id=\(flowingTrace)") == true)
                let list = try await PizzaProcess.run(["outbox", "list", "--status", "failed"], environment: environment)
                #expect(list.output.contains(poisoned[0].id.uuidString.lowercased()), "\(list.output)")
            }
            for failed in processes.stopAll() {
                Issue.record("\(failed.name) did not exit cleanly (\(failed.status)):\n\(failed.log)")
            }
        }
    }

    func send(
        _ http: HTTPClient,
        _ method: HTTPMethod,
        _ url: String,
        _ body: String,
        traceparent: String? = nil
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        if let traceparent { request.headers.add(name: "traceparent", value: traceparent) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await http.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }
}

enum ValidationTestsBody {
    static let valid = #"{"flavor":"Pepperoni","size":"Large","quantity":2,"price":19.99,"address":"123 Main St","user_name":"Alice"}"#
}
