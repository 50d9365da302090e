import Foundation
import Logging
import Outbox
import PostgresNIO

extension PostgresInbox {
    /// The types of the batch columns the inbox adds after the application's parameters: each
    /// message's group, event id, aggregate id and previous event id (lowercase; empty when
    /// unchecked — postgres-nio's arrays have no NULL elements).
    static let batchParameterTypes = ["text[]", "uuid[]", "text[]", "text[]"]

    /// A migration that creates (or replaces) `procedure` as an inbox procedure: it records a batch
    /// as ``receive(batch:effect:)`` does, runs the application's statement for the messages that
    /// take effect now, and commits inside the call.
    ///
    /// The statement sees, beside its own parameters, `outbox_applied integer[]`: the positions
    /// (1 = the first message) of the batch's messages that take effect now, in batch order. Pass your
    /// values as arrays parallel to the batch and keep the rows at those positions
    /// (`… FROM unnest($2::uuid[]) WITH ORDINALITY AS e(id, n) WHERE n = ANY(outbox_applied) ORDER BY n`).
    public static func migration(creating procedure: PostgresCommitProcedure, component: String, version: Int, name: String) -> SchemaMigration {
        let engine = ["outbox_groups", "outbox_event_ids", "outbox_aggregates", "outbox_previous"]
        let parameters =
            procedure.parameterTypes
            + zip(engine, batchParameterTypes).map { "\($0) \($1)" }
            + ["INOUT outbox_outcomes bigint[] DEFAULT NULL"]
        return procedure.migration(
            parameters: parameters,
            body: """
                -- The rules of PostgresInbox.receive(batch:effect:), one call. Outcomes per message:
                -- 0 takes effect now, n > 0 a repeat (its delivery count), -1 refused (its previous
                -- event has not taken effect).
                DECLARE
                    batch_size integer := coalesce(cardinality(outbox_event_ids), 0);
                    message_keys text[] := '{}';
                    recorded_keys text[] := '{}';
                    fresh_keys text[] := '{}';
                    unique_keys text[] := '{}';
                    unique_groups text[] := '{}';
                    unique_ids uuid[] := '{}';
                    unique_aggregates text[] := '{}';
                    occurrences bigint[] := '{}';
                    refused boolean[] := '{}';
                    totals bigint[];
                    seen bigint[];
                    outbox_applied integer[] := '{}';
                    found_at integer;
                    earlier bigint;
                BEGIN
                    FOR i IN 1..batch_size LOOP
                        message_keys[i] := outbox_groups[i] || ' ' || outbox_event_ids[i]::text;
                    END LOOP;
                    -- 1. which of the batch's events, and of their previous events, the groups recorded
                    -- already; needed only for an order check (repeats show up in the insert either way)
                    IF '' <> ANY(outbox_previous) THEN
                        SELECT coalesce(array_agg(r.consumer_group || ' ' || r.event_id::text), '{}') INTO recorded_keys
                        FROM consumer_inbox r
                        JOIN (
                            SELECT * FROM unnest(outbox_groups, outbox_event_ids)
                            UNION ALL
                            SELECT g, p::uuid FROM unnest(outbox_groups, outbox_previous) AS q(g, p) WHERE p <> ''
                        ) AS b(consumer_group, event_id)
                          ON r.consumer_group = b.consumer_group AND r.event_id = b.event_id;
                    END IF;
                    -- 2. decide in batch order: a repeat is a duplicate, an event whose previous event is
                    -- neither recorded nor earlier in this batch is refused, everything else takes effect
                    FOR i IN 1..batch_size LOOP
                        refused[i] := false;
                        IF message_keys[i] = ANY(recorded_keys) OR message_keys[i] = ANY(fresh_keys) THEN
                            found_at := array_position(unique_keys, message_keys[i]);
                        ELSIF outbox_previous[i] <> ''
                            AND NOT (outbox_groups[i] || ' ' || outbox_previous[i]) = ANY(recorded_keys || fresh_keys) THEN
                            refused[i] := true;
                            CONTINUE;
                        ELSE
                            fresh_keys := fresh_keys || message_keys[i];
                            found_at := NULL;
                        END IF;
                        IF found_at IS NULL THEN
                            unique_keys := unique_keys || message_keys[i];
                            unique_groups := unique_groups || outbox_groups[i];
                            unique_ids := unique_ids || outbox_event_ids[i];
                            unique_aggregates := unique_aggregates || outbox_aggregates[i];
                            occurrences := occurrences || 1::bigint;
                        ELSE
                            occurrences[found_at] := occurrences[found_at] + 1;
                        END IF;
                    END LOOP;
                    -- 3. record every accepted delivery at once; a repeat only adds to its count (the row
                    -- lock orders racing consumers, so each event is fresh for exactly one of them)
                    IF cardinality(unique_keys) > 0 THEN
                        WITH recorded_now AS (
                            INSERT INTO consumer_inbox AS r (consumer_group, event_id, order_id, delivery_count)
                            SELECT g, e, a, c FROM unnest(unique_groups, unique_ids, unique_aggregates, occurrences) AS u(g, e, a, c)
                            ON CONFLICT (consumer_group, event_id)
                            DO UPDATE SET delivery_count = r.delivery_count + excluded.delivery_count, last_received_at = now()
                            RETURNING r.consumer_group, r.event_id, r.delivery_count
                        )
                        SELECT array_agg(n.delivery_count::bigint ORDER BY u.position) INTO totals
                        FROM unnest(unique_groups, unique_ids) WITH ORDINALITY AS u(g, e, position)
                        JOIN recorded_now n ON n.consumer_group = u.g AND n.event_id = u.e;
                    END IF;
                    -- 4. the first delivery of an event recorded just now takes effect; the rest are repeats
                    seen := array_fill(0::bigint, ARRAY[cardinality(unique_keys)]);
                    outbox_outcomes := '{}';
                    FOR i IN 1..batch_size LOOP
                        IF refused[i] THEN
                            outbox_outcomes := outbox_outcomes || (-1)::bigint;
                            CONTINUE;
                        END IF;
                        found_at := array_position(unique_keys, message_keys[i]);
                        earlier := totals[found_at] - occurrences[found_at];
                        seen[found_at] := seen[found_at] + 1;
                        IF earlier = 0 AND seen[found_at] = 1 THEN
                            outbox_outcomes := outbox_outcomes || 0::bigint;
                            outbox_applied := outbox_applied || i;
                        ELSE
                            outbox_outcomes := outbox_outcomes || (earlier + seen[found_at]);
                        END IF;
                    END LOOP;
                    -- 5. the application's effect, for the messages at outbox_applied
                    IF cardinality(outbox_applied) > 0 THEN
                \(procedure.statement);
                    END IF;
                    -- 6. commit inside the call, so that its result comes after the commit
                    COMMIT;
                END
                """,
            component: component,
            version: version,
            name: name
        )
    }

    /// Records `messages` and applies `procedure`'s statement to the ones that take effect now, in
    /// one call of the procedure (created by ``migration(creating:component:version:name:)``) and one
    /// transaction; the outcomes are those of ``receive(batch:effect:)``. `binds` holds the
    /// statement's values, `$1` first. Nothing is recorded if the statement or the commit fails.
    public func receive(
        batch messages: [InboxMessage],
        through procedure: PostgresCommitProcedure,
        binds: PostgresBindings
    ) async throws -> [InboxOutcome] {
        guard !messages.isEmpty else { return [] }
        try procedure.check(binds)
        var all = binds
        var eventIDs: [UUID] = []
        var previous: [String] = []
        for message in messages {
            guard let eventID = UUID(uuidString: message.eventID) else {
                throw OutboxError(code: .invalidEvent, message: "event id is not a UUID: \(message.eventID)")
            }
            eventIDs.append(eventID)
            // Not a UUID: no event of ours, so nothing to wait for (as in receive(batch:effect:)).
            previous.append(message.previousEventID.flatMap(UUID.init(uuidString:))?.uuidString.lowercased() ?? "")
        }
        all.append(messages.map(\.group))
        all.append(eventIDs)
        all.append(messages.map(\.aggregateID))
        all.append(previous)
        let call = PostgresQuery(
            unsafeSQL: procedure.callStatement(engineTypes: Self.batchParameterTypes, trailing: "NULL"),
            binds: all
        )
        let rows = try await client.withConnection(logger: logger) { connection in
            try await connection.preparedRows(call, logger: self.logger)
        }
        guard let row = rows.first, let codes = try row.decode([Int]?.self), codes.count == messages.count else {
            throw OutboxError(code: .corruptRow, message: "\(procedure.name) returned no outcome per message")
        }
        return zip(messages, codes).map { message, code in
            switch code {
            case 0: return .processed
            case -1: return .outOfOrder(waitingFor: message.previousEventID ?? "")
            default: return .duplicate(deliveryCount: code)
            }
        }
    }
}
