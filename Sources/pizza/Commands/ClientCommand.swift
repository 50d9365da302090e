import ArgumentParser
import Foundation
import PizzaShop
import PizzaTools
import Synchronization

struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Send random orders to the producer API and summarise the run."
    )

    @Option(help: "Producer API base URL.") var url = "http://localhost:8080"
    @Option(help: "Orders to send.") var orders = 100
    @Option(help: "Requests in flight at once.") var concurrency = 8
    @Option(help: "Orders per second (default: as fast as answers come).") var rate: Double?
    @Option(help: "Share (0...1) of accepted orders then moved through status changes with PATCH.") var statusChanges = 0.0
    @Flag(help: "Exit 0 even when requests failed (fault drills expect some).") var allowFailures = false
    @Option(
        help: "Write one line per order request to this file: sent and answered (Unix ms), HTTP status (0: no answer), order id or '-'."
    )
    var answers: String?
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard orders >= 1 else { throw ValidationError("--orders must be at least 1") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        guard (0...1).contains(statusChanges) else { throw ValidationError("--status-changes must be within 0...1") }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw ValidationError("--url must be an http(s) URL such as http://localhost:8080")
        }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "pizza.client")
        let interactive = isatty(STDOUT_FILENO) == 1
        var configuration = LoadGenerator.Configuration(
            baseURL: url,
            orders: orders,
            concurrency: concurrency,
            rate: rate,
            statusChanges: statusChanges
        )
        let log = try answers.map { path in
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw ValidationError("--answers: cannot write \(path)")
            }
            return AnswerLog(handle: handle)
        }
        if let log { configuration.onAnswer = log.write }
        defer { log?.close() }
        let generator = LoadGenerator(configuration: configuration, logger: logger)
        print("sending \(orders) orders to \(url) (concurrency \(concurrency)\(rate.map { ", \($0) orders/s" } ?? ""))")
        let report = try await generator.run(progressInterval: interactive ? .milliseconds(200) : .seconds(2)) { done, total, report in
            let line = String(
                format: "%d/%d sent, %d accepted, %d rejected, %d failed, %.0f orders/s",
                done,
                total,
                report.accepted,
                report.rejected,
                report.failed,
                report.throughput
            )
            if interactive {
                // Rewrite one line in place on a terminal.
                FileHandle.standardOutput.write(Data("\r\u{1B}[K\(line)".utf8))
            } else {
                print(line)
            }
        }
        if interactive { print("") }
        print(report.summary)
        if (report.failed > 0 || report.statusChanges.failed > 0) && !allowFailures { throw ExitCode(1) }
    }
}

/// The `--answers` file: lines written whole, one per answer, in answer order.
final class AnswerLog: Sendable {
    private let handle: Mutex<FileHandle>

    init(handle: FileHandle) { self.handle = Mutex(handle) }

    func write(_ answer: LoadGenerator.Answer) {
        let sent = Int64((answer.sent.timeIntervalSince1970 * 1000).rounded())
        let answered = Int64((answer.answered.timeIntervalSince1970 * 1000).rounded())
        let line = "\(sent) \(answered) \(answer.status) \(answer.orderID ?? "-")\n"
        handle.withLock { $0.write(Data(line.utf8)) }
    }

    func close() { handle.withLock { try? $0.close() } }
}
