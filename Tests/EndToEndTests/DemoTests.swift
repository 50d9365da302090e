import Foundation
import TestSupport
import Testing

/// Runs the built `pizza demo` (embedded SQLite + in-process broker) and reads its ledger.
@Suite struct DemoTests {
    /// The lines of the ledger block (the client's summary above it has look-alike rows).
    static func ledger(_ output: String) -> [Substring] {
        Array(output.split(separator: "\n").drop { $0 != "delivery ledger" })
    }

    /// The number in the ledger row that starts with `label`.
    static func value(_ output: String, _ label: String) -> Int? {
        ledger(output).first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }
            .flatMap { Int($0.split(separator: " ").last ?? "") }
    }

    @Test(.timeLimit(.minutes(3)))
    func threeHundredOrdersWithFailuresLoseNothing() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pizza-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = "sqlite:" + directory.appendingPathComponent("demo.sqlite").path
        let run = try await PizzaProcess.run([
            "demo", "--orders", "300", "--failure-rate", "0.2", "--port", "0", "--database-url", database,
            // Few attempts, so that some events do exhaust them and the ledger must name them.
            "--max-attempts", "3",
        ])
        print(run.output)
        #expect(run.status == 0)
        #expect(Self.value(run.output, "orders") == 300)
        #expect(Self.value(run.output, "pending (in flight)") == 0)
        let completed = try #require(Self.value(run.output, "completed"))
        let failed = try #require(Self.value(run.output, "failed"))
        let events = try #require(Self.value(run.output, "events"))
        let blocked = try #require(Self.value(run.output, "pending (blocked)"))
        // 300 created events plus the client's status changes; the only pending ones wait behind parked ones.
        #expect(events > 300)
        #expect(completed + failed + blocked == events)
        #expect(Self.value(run.output, "parked orders") == failed)
        for group in ["kitchen", "billing"] {
            let line = try #require(Self.ledger(run.output).first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(group) })
            let numbers = line.split(separator: " ").dropFirst().compactMap { Int($0) }
            // delivered, lost, dup-deliveries, dup-effects, out-of-order
            #expect(numbers.count == 5)
            #expect(numbers.first == completed, "\(group) did not get every completed event")
            #expect(numbers[1] == 0 && numbers[3] == 0 && numbers[4] == 0)
        }
        // Every parked event is named with its error.
        #expect(run.output.components(separatedBy: "error: processing_failed: simulated").count - 1 == failed)
        #expect(run.output.contains("result: OK"))

        // `pizza verify` reads the same ledger from the file afterwards.
        let verify = try await PizzaProcess.run(["verify", "--database-url", database, "--group", "kitchen", "--group", "billing"])
        #expect(verify.status == 0)
        #expect(Self.value(verify.output, "completed") == completed)
    }

    @Test(.timeLimit(.minutes(2)))
    func ctrlCStopsAKeptRunningDemoCleanly() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pizza-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let demo = try PizzaProcess(
            "demo",
            [
                "demo", "--orders", "20", "--port", "0", "--keep-running",
                "--database-url", "sqlite:" + directory.appendingPathComponent("demo.sqlite").path,
            ],
            logDirectory: directory
        )
        defer { demo.stop() }
        try await waitUntil("the demo to finish its run and keep running") { demo.output.contains("press Ctrl-C to stop") }
        demo.process.interrupt()
        demo.process.waitUntilExit()
        #expect(demo.process.terminationStatus == 0, "\(demo.output.suffix(2000))")
        #expect(demo.output.contains("result: OK"))
    }

    @Test func verifyOnAnEmptyDatabaseSaysWhatIsMissing() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let run = try await PizzaProcess.run(["verify", "--database-url", "sqlite:" + path])
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("no such table"))
        #expect(run.output.contains("pizza migrate"))
    }

    @Test func badFlagsNameTheFlag() async throws {
        let run = try await PizzaProcess.run(["demo", "--failure-rate", "2"])
        #expect(run.status != 0)
        #expect(run.output.contains("--failure-rate"))
    }
}
