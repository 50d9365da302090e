// swift-tools-version:6.0
// A small app on the Pizza Outbox engine, through its public API only: a to-do list whose every new
// item is announced on a Redis stream, written in the same PostgreSQL transaction as the item.
import PackageDescription

let package = Package(
    name: "todo-outbox",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "pizza-outbox", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "TodoOutbox",
            dependencies: [
                .product(name: "Outbox", package: "pizza-outbox"),
                .product(name: "OutboxPostgres", package: "pizza-outbox"),
                .product(name: "OutboxRedis", package: "pizza-outbox"),
                .product(name: "RESP", package: "pizza-outbox"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "TodoOutboxTests",
            dependencies: [
                "TodoOutbox",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
    ]
)
