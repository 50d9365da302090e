import ArgumentParser
import Foundation
import Outbox
import OutboxPostgres
import PostgresNIO

/// `pizza outbox sql claim|mark` (hidden): the relay's own PostgreSQL statements with each bind
/// replaced by a pgbench variable, so that scripts/bench measures the statements the job runs, not
/// a copy that drifts from them. Printed without a terminating semicolon: pgbench ends a query with
/// `;` or with `\gset`.
struct OutboxSQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Print the relay's claim or mark statement with pgbench variables for its binds.",
        shouldDisplay: false
    )

    enum Statement: String, ExpressibleByArgument, CaseIterable {
        case claim, mark
    }

    @Argument(help: "claim (binds :limit, :owner, :lease_ms) or mark (binds :ids, :kinds, :errors, :retry_at, :owner).")
    var statement: Statement
    @Option(help: "The outbox table.") var table = "pizza_order_outbox"
    @Option(help: "What the claim's SELECT returns of the claimed rows (the relay reads *).") var projection = "*"

    func run() throws {
        let identifier: SQLIdentifier
        do {
            identifier = try SQLIdentifier(table)
        } catch {
            throw ValidationError("--table: \(error.message)")
        }
        switch statement {
        case .claim:
            let query = PostgresOutboxStore.claimStatement(
                table: identifier,
                limit: 0,
                owner: "",
                leaseDuration: .zero,
                projection: projection
            )
            print(Self.render(query.sql, names: ["limit", "owner", "lease_ms"]))
        case .mark:
            let query = PostgresOutboxStore.completeStatement(table: identifier, outcomes: [.published(id: UUID())], owner: "")
            print(Self.render(query.sql, names: ["ids", "kinds", "errors", "retry_at", "owner"]))
        }
    }

    /// `$1`, `$2`, … become `:names[0]`, `:names[1]`, … (highest first, so that `$1` never eats `$10`).
    static func render(_ sql: String, names: [String]) -> String {
        var text = sql
        for (index, name) in names.enumerated().reversed() {
            text = text.replacingOccurrences(of: "$\(index + 1)", with: ":\(name)")
        }
        return text
    }
}
