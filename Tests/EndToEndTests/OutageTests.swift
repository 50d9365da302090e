import Foundation
import Logging
import Outbox
import OutboxPostgres
import OutboxTesting
import PizzaShop
import PizzaShopPostgres
import PizzaTools
import TestSupport
import Testing

/// The job facing a broker that is down: it backs off, one log line per step, and does not crash.
@Suite(.enabled(if: TestServers.postgresEnabled), .timeLimit(.minutes(2)))
struct OutageTests {
    @Test func jobBacksOffWhileRedisIsDown() async throws {
        try await TestSchema.with("outage") { schema, client in
            let logger = Logger(label: "test")
            let outbox = try PostgresOutboxStore(client: client, logger: logger)
            let repository = PostgresPizzaOrderRepository(client: client, outbox: outbox, logger: logger)
            try await PostgresMigrator(repository.migrations).migrate(client: client, logger: logger)
            _ = try await repository.create(OrderGenerator().next(), headers: [:])

            let logs = FileManager.default.temporaryDirectory.appendingPathComponent(schema.name)
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            // Nothing listens on this port: every publish fails.
            let job = try PizzaProcess(
                "job",
                ["job", "--redis-url", "redis://127.0.0.1:\(try freePort())", "--no-migrate", "--max-attempts", "100"],
                environment: ["DATABASE_URL": schema.url],
                logDirectory: logs
            )
            defer { job.stop() }
            let marker = "relay batch failed, backing off"
            try await waitUntil("four backoff steps in the job's log", timeout: .seconds(60)) {
                job.output.components(separatedBy: marker).count - 1 >= 4
            }
            #expect(job.process.isRunning)
            let steps = job.output.split(separator: "\n").filter { $0.contains(marker) }
            // One line per step, numbered in order, with delays that grow.
            let attempts = steps.compactMap { line in Self.metadata(line, "outbox.outage.attempts").flatMap { Int($0) } }
            #expect(Array(attempts.prefix(4)) == [1, 2, 3, 4])
            let delays = steps.compactMap { line in Self.metadata(line, "outbox.backoff.seconds").flatMap { Double($0) } }
            #expect(delays.count >= 4 && delays[3] > delays[0])
            // The event waits, with the error kept and no attempt charged for the outage.
            let event = try #require(try await outbox.allEvents().first)
            #expect(event.status == .pending && event.attempts == 0)
            #expect(event.lastError?.contains("redis") == true)
        }
    }

    /// The value of `key=value` in a log line.
    static func metadata(_ line: Substring, _ key: String) -> String? {
        line.split(separator: " ").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
    }
}
