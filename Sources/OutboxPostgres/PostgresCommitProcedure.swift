import Foundation
import Logging
import Outbox
import PostgresNIO

/// A write that commits in one call of a stored procedure: one round trip to the server instead of
/// `BEGIN`, the statements and `COMMIT`.
///
/// The outbox store and the inbox each generate the procedure's body around the application's
/// statement (``PostgresOutboxStore/migration(creating:component:version:name:)``,
/// ``PostgresInbox/migration(creating:component:version:name:)``); the body commits *inside* the
/// call, so the call's result reaches the client only after the commit (and its synchronous
/// replication, where configured), and acknowledging the write then is safe. An autocommitted
/// statement is not an alternative: in the extended query protocol its implicit transaction commits
/// at `Sync`, after the `CommandComplete` at which postgres-nio returns.
///
/// `statement` is the application's SQL, reading its values from the parameters `$1`…`$n`, each cast
/// to a type (`$1::uuid[]`); `parameterTypes` names those types in order, as the procedure declares
/// them. Changing either means a new migration that creates the procedure again. Call it on a pooled
/// connection outside any transaction: a procedure cannot commit a transaction it did not start.
public struct PostgresCommitProcedure: Sendable {
    /// The procedure's name.
    public let name: SQLIdentifier
    /// The SQL types of the application's parameters, `$1` first.
    public let parameterTypes: [String]
    /// The application's statement.
    public let statement: String

    /// Throws `.invalidIdentifier` for a name or a type that is not a plain SQL name (`uuid[]`,
    /// `numeric(10,2)`, `timestamp with time zone` are), and `.invalidArgument` for a statement that
    /// contains the procedure body's quote.
    public init(name: String, parameterTypes: [String], statement: String) throws(OutboxError) {
        self.name = try SQLIdentifier(name)
        for type in parameterTypes where !Self.isPlainType(type) {
            throw OutboxError(code: .invalidIdentifier, message: "'\(type)' is not a plain SQL type name")
        }
        guard !statement.contains(Self.quote) else {
            throw OutboxError(code: .invalidArgument, message: "the statement must not contain \(Self.quote)")
        }
        self.parameterTypes = parameterTypes
        self.statement = statement
    }

    /// The dollar quote around the procedure's body.
    static let quote = "$outbox_commit$"

    /// A migration that creates (or replaces) this procedure with `parameters` (the SQL of its
    /// parameter list) and a PL/pgSQL `body`.
    func migration(parameters: [String], body: String, component: String, version: Int, name: String) -> SchemaMigration {
        SchemaMigration(
            component: component,
            version: version,
            name: name,
            statements: [
                """
                CREATE OR REPLACE PROCEDURE \(self.name.name)(\(parameters.joined(separator: ", ")))
                LANGUAGE plpgsql AS \(Self.quote)
                \(body)
                \(Self.quote)
                """
            ]
        )
    }

    /// Letters, digits, `_`, spaces, a `(precision, scale)` and `[]`: enough for a type, nothing for an injection.
    static func isPlainType(_ type: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ (),[]")
        guard let first = type.first, first.isLetter, type.count <= 100 else { return false }
        return type.allSatisfy { allowed.contains($0) }
    }

    /// `CALL name(…)` with the application's parameters and then `engineTypes`, each cast to its
    /// declared type (postgres-nio names its own types — an Int is a bigint — and a call only
    /// resolves with exact or implicitly convertible ones), followed by `trailing` arguments.
    func callStatement(engineTypes: [String], trailing: String = "") -> String {
        let types = parameterTypes + engineTypes
        var arguments = types.enumerated().map { "$\($0.offset + 1)::\($0.element)" }
        if !trailing.isEmpty { arguments.append(trailing) }
        return "CALL \(name.name)(\(arguments.joined(separator: ", ")))"
    }

    /// Throws unless `binds` holds one value per application parameter.
    func check(_ binds: PostgresBindings) throws(OutboxError) {
        guard binds.count == parameterTypes.count else {
            throw OutboxError(code: .invalidArgument, message: "\(name) takes \(parameterTypes.count) values, got \(binds.count)")
        }
    }

    /// The types of the event columns the engine adds after the application's parameters.
    static let eventParameterTypes = ["uuid[]", "text[]", "text[]", "text[]", "text[]", "text[]", "timestamptz[]", "text"]
}

extension PostgresOutboxStore {
    /// A migration that creates (or replaces) `procedure` for this store's table.
    public func migration(creating procedure: PostgresCommitProcedure, component: String, version: Int, name: String) -> SchemaMigration {
        let first = procedure.parameterTypes.count
        func parameter(_ n: Int) -> String { "$\(first + n)" }
        return procedure.migration(
            parameters: procedure.parameterTypes + PostgresCommitProcedure.eventParameterTypes,
            body: """
                BEGIN
                    -- 1. the application's write and the events in one statement (seq follows list order)
                    WITH application AS (
                \(procedure.statement)
                    )
                    INSERT INTO \(table.name) (id, aggregate_type, aggregate_id, event_type, payload, headers, created_at)
                    SELECT id, aggregate_type, aggregate_id, event_type, payload::jsonb, headers::jsonb, created_at
                    FROM unnest(\(parameter(1)), \(parameter(2)), \(parameter(3)), \(parameter(4)), \(parameter(5)), \(parameter(6)), \(parameter(7)))
                        WITH ORDINALITY AS e(id, aggregate_type, aggregate_id, event_type, payload, headers, created_at, n)
                    ORDER BY n;
                    -- 2. wake relays when (and only if) the commit below succeeds
                    PERFORM pg_notify(\(parameter(8)), '');
                    -- 3. commit inside the call, so that its result comes after the commit
                    COMMIT;
                END
                """,
            component: component,
            version: version,
            name: name
        )
    }

    /// Commits `events` together with `procedure`'s application statement, whose values `binds`
    /// holds (`$1` first), in one call of the procedure — which must have been created by
    /// ``migration(creating:component:version:name:)``. Returns once both are committed; throws if the
    /// commit failed, and then neither is stored.
    ///
    /// The connection must not be inside a transaction (a procedure cannot commit one it did not
    /// start): lend it from a pool, as the store's own ``client`` does.
    public func commit(
        _ events: [NewOutboxEvent],
        through procedure: PostgresCommitProcedure,
        binds: PostgresBindings,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        try procedure.check(binds)
        var all = binds
        all.append(events.map(\.id))
        all.append(events.map(\.aggregateType))
        all.append(events.map(\.aggregateID))
        all.append(events.map(\.eventType))
        all.append(events.map(\.payload))
        all.append(events.map { OutboxHeaders.encode($0.headers) })
        all.append(events.map(\.occurredAt))
        all.append(channel.name)
        _ = try await connection.preparedRows(
            PostgresQuery(unsafeSQL: procedure.callStatement(engineTypes: PostgresCommitProcedure.eventParameterTypes), binds: all),
            logger: logger
        )
    }
}
