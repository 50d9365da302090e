import Outbox

extension PostgresOutboxStore {
    /// The outbox table's numbered migrations (component `outbox:<table>`).
    public var migrations: [SchemaMigration] {
        let t = table.name
        return [
            SchemaMigration(
                component: "outbox:\(t)",
                version: 1,
                name: "create_outbox",
                statements: [
                    """
                    CREATE TABLE IF NOT EXISTS \(t) (
                        id uuid PRIMARY KEY,
                        seq bigserial NOT NULL,
                        aggregate_type text NOT NULL,
                        aggregate_id text NOT NULL,
                        event_type text NOT NULL,
                        payload jsonb NOT NULL,
                        headers jsonb NOT NULL DEFAULT '{}',
                        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed', 'failed')),
                        attempts integer NOT NULL DEFAULT 0,
                        last_error text,
                        available_at timestamptz NOT NULL DEFAULT now(),
                        locked_by text,
                        locked_until timestamptz,
                        created_at timestamptz NOT NULL DEFAULT now(),
                        published_at timestamptz
                    )
                    """,
                    // The claim scans pending events in seq order.
                    "CREATE INDEX IF NOT EXISTS \(t)_pending_idx ON \(t) (seq) WHERE status = 'pending'",
                    // The predecessor check and per-aggregate lookups.
                    "CREATE INDEX IF NOT EXISTS \(t)_aggregate_idx ON \(t) (aggregate_id, seq)",
                ]
            ),
            SchemaMigration(
                component: "outbox:\(t)",
                version: 2,
                name: "index_seq_and_failed_events",
                statements: [
                    // Pages in commit order (newest first on a dashboard) without sorting the table.
                    "CREATE UNIQUE INDEX IF NOT EXISTS \(t)_seq_idx ON \(t) (seq)",
                    // Failed events are few and looked at often: counted and listed from their own index.
                    "CREATE INDEX IF NOT EXISTS \(t)_failed_idx ON \(t) (seq) WHERE status = 'failed'",
                ]
            ),
        ]
    }
}
