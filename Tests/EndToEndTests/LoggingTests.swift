import Foundation
import TestSupport
import Testing

/// `--log-format` and `--log-level` on a real subcommand.
@Suite struct LoggingTests {
    @Test func jsonLogsAreOneObjectPerLine() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pizza-logs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = "sqlite:" + directory.appendingPathComponent("db.sqlite").path
        let run = try await PizzaProcess.run(["migrate", "--database-url", url, "--log-format", "json", "--log-level", "debug"])
        #expect(run.status == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n").filter { !$0.isEmpty }
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["timestamp"] is String && object?["level"] is String && object?["message"] is String, "\(line)")
            #expect(object?["metadata"] is [String: Any])
        }
    }

    @Test func aBadFormatNamesTheVariable() async throws {
        let run = try await PizzaProcess.run(["migrate", "--database-url", "sqlite::memory:"], environment: ["LOG_FORMAT": "xml"])
        #expect(run.status != 0)
        #expect(run.output.contains("LOG_FORMAT"))
    }
}
