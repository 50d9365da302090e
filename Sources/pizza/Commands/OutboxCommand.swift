import ArgumentParser
import Foundation
import Logging
import Outbox
import PizzaShop

/// `pizza outbox list|retry|retry-failed|stats`: the admin routes' equivalents, straight on the database.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Inspect the outbox and requeue failed events.",
        subcommands: [List.self, Retry.self, RetryFailed.self, Stats.self, OutboxSQLCommand.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List events, oldest first.")

        @Option(help: "Only events with this status: pending, completed or failed.") var status: String?
        @Option(help: "Most events to list.") var limit = 50
        @Option(help: "Start after this sequence number (the last one of the previous page).") var after: Int64 = 0
        @Flag(help: "One JSON document instead of a table.") var json = false
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            if let status, OutboxStatus(rawValue: status) == nil {
                throw ValidationError("--status must be one of \(OutboxStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard (1...AdminAPI.maxLimit).contains(limit) else { throw ValidationError("--limit must be within 1...\(AdminAPI.maxLimit)") }
            guard after >= 0 else { throw ValidationError("--after must not be negative") }
        }

        func run() async throws {
            let events = try await withOutbox(database, logging) { store in
                try await store.list(status: status.flatMap(OutboxStatus.init(rawValue:)), limit: limit, afterSeq: after)
            }
            if json {
                print(String(decoding: try PizzaJSON.encoder().encode(events.map(EventResponse.init)), as: UTF8.self))
                return
            }
            print(
                "seq       status     attempts  event id                              type                 aggregate                             last error"
            )
            for event in events {
                let cells = [
                    "\(event.seq)".padding(toLength: 9, withPad: " ", startingAt: 0),
                    event.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0),
                    "\(event.attempts)".padding(toLength: 9, withPad: " ", startingAt: 0),
                    event.id.uuidString.lowercased().padding(toLength: 37, withPad: " ", startingAt: 0),
                    event.eventType.padding(toLength: 20, withPad: " ", startingAt: 0),
                    event.aggregateID.padding(toLength: 37, withPad: " ", startingAt: 0),
                    event.lastError ?? "-",
                ]
                print(cells.joined(separator: " "))
            }
            if events.count == limit, let last = events.last { print("more: --after \(last.seq)") }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Requeue one failed event: pending, due now, attempts reset.")

        @Argument(help: "The event id.") var id: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            guard UUID(uuidString: id) != nil else { throw ValidationError("<id> must be a UUID") }
        }

        func run() async throws {
            let eventID = UUID(uuidString: id)!
            switch try await withOutbox(database, logging, { store in try await store.retry(id: eventID) }) {
            case .requeued(let event):
                print("requeued \(event.id.uuidString.lowercased()) (\(event.eventType), aggregate \(event.aggregateID))")
            case .notFound:
                throw CommandFailure("no outbox event with id \(eventID.uuidString.lowercased())")
            case .notFailed(let status):
                throw CommandFailure("event \(eventID.uuidString.lowercased()) is \(status.rawValue); only failed events can be retried")
            }
        }
    }

    struct RetryFailed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry-failed", abstract: "Requeue failed events, oldest first.")

        @Option(help: "Most events to requeue.") var limit = 10_000
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let count = try await withOutbox(database, logging) { store in try await store.retryFailed(limit: limit) }
            print("requeued \(count) failed event\(count == 1 ? "" : "s")")
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Counts per status and the oldest pending event's age.")

        @Flag(help: "JSON instead of text.") var json = false
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let stats = try await withOutbox(database, logging) { store in try await store.stats() }
            if json {
                print(String(decoding: try PizzaJSON.encoder().encode(StatsResponse(stats)), as: UTF8.self))
                return
            }
            print("pending    \(stats.pending)")
            print("completed  \(stats.completed)")
            print("failed     \(stats.failed)")
            print("oldest pending age  \(stats.oldestPendingAgeSeconds.map { String(format: "%.1f s", $0) } ?? "-")")
        }
    }
}

/// Opens the database of `--database-url`, runs `body` on its outbox, closes it.
private func withOutbox<T: Sendable>(
    _ database: DatabaseOptions,
    _ logging: LoggingOptions,
    _ body: @Sendable (any OutboxStore) async throws -> T
) async throws -> T {
    let logger = logging.bootstrap(label: "pizza.outbox", defaultLevel: .warning)
    let opened = try await database.open(logger: logger)
    let store = try ProducerStore(opened)
    return try await opened.with { try await body(store.outbox) }
}

/// A command's refusal, printed as `Error: …` with exit code 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
