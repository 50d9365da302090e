import Foundation
import Hummingbird
import Logging
import Outbox
import OutboxPostgres
import OutboxRedis
import PostgresNIO
import RESP
import ServiceLifecycle

struct TodoConfiguration: Sendable {
    var databaseURL: String
    var redisURL: String
    var port = 8080
    var stream = "todo-events"
}

/// A to-do item, as stored and as announced.
struct Todo: Codable, ResponseEncodable, Sendable {
    var id: UUID
    var title: String
}

/// The application's own table, migrated together with the outbox's.
let todoMigrations = [
    SchemaMigration(
        component: "todo",
        version: 1,
        name: "create_todos",
        statements: [
            "CREATE TABLE IF NOT EXISTS todos (id uuid PRIMARY KEY, title text NOT NULL CHECK (title <> ''))"
        ]
    )
]

/// The API, the PostgreSQL pool, the wake-up listener and the relay, as one Hummingbird application.
func buildApplication(_ configuration: TodoConfiguration, logger: Logger) throws -> some ApplicationProtocol {
    let url = try PostgresURL(configuration.databaseURL)
    let client = PostgresClient(configuration: try url.clientConfiguration(maximumConnections: 10), backgroundLogger: logger)
    let outbox = try PostgresOutboxStore(client: client, table: "todo_outbox", logger: logger)
    let wakeUp = WakeUpSignal()
    let redis = RedisClient(configuration: try RedisConfiguration(url: configuration.redisURL), logger: logger)
    let relay = Relay(
        store: outbox,
        publisher: RedisStreamsPublisher(client: redis),
        wakeUp: wakeUp,
        configuration: RelayConfiguration(topic: configuration.stream, source: "todo-outbox"),
        logger: logger
    )

    let router = Router()
    router.post("todos") { request, context -> EditedResponse<Todo> in
        struct NewTodo: Decodable { var title: String }
        let new = try await request.decode(as: NewTodo.self, context: context)
        guard !new.title.isEmpty else { throw HTTPError(.unprocessableContent, message: "title must not be empty") }
        let todo = Todo(id: UUID(), title: new.title)
        let event = NewOutboxEvent(
            aggregateType: "Todo",
            aggregateID: todo.id.uuidString.lowercased(),
            eventType: "TodoCreated",
            payload: String(decoding: try JSONEncoder().encode(todo), as: UTF8.self)
        )
        // The row and its event commit together, or neither does.
        try await client.withTransaction(logger: context.logger) { connection in
            try await connection.query("INSERT INTO todos (id, title) VALUES (\(todo.id), \(todo.title))", logger: context.logger)
            try await outbox.enqueue(event, on: connection, logger: context.logger)
        }
        return EditedResponse(status: .created, response: todo)
    }
    router.get("todos/{id}") { _, context -> Todo in
        let id = try context.parameters.require("id", as: UUID.self)
        let rows = try await client.query("SELECT id, title FROM todos WHERE id = \(id)", logger: context.logger)
        for try await (id, title) in rows.decode((UUID, String).self) { return Todo(id: id, title: title) }
        throw HTTPError(.notFound)
    }

    var app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: configuration.port), serverName: "todo-outbox"),
        logger: logger
    )
    // Both the server and the relay need the tables; the migrator applies each migration once, under
    // an advisory lock, so whichever comes second finds nothing to do.
    let migrate: @Sendable () async throws -> Void = {
        _ = try await PostgresMigrator(outbox.migrations + todoMigrations).migrate(client: client, logger: logger)
    }
    // Services start in this order and stop in reverse: the relay finishes its batch before the pool closes.
    app.addServices(
        client,
        try PostgresWakeUpListener(url: url, channel: outbox.channel, signal: wakeUp, logger: logger),
        AfterMigration(migrate: migrate, service: relay)
    )
    app.beforeServerStarts(perform: migrate)
    return app
}

/// Runs `service` once `migrate` has succeeded.
struct AfterMigration: Service {
    let migrate: @Sendable () async throws -> Void
    let service: any Service

    func run() async throws {
        try await migrate()
        try await service.run()
    }
}
