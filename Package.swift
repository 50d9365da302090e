// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "pizza-outbox",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Outbox", targets: ["Outbox"]),
        .library(name: "OutboxPostgres", targets: ["OutboxPostgres"]),
        .library(name: "OutboxSQLite", targets: ["OutboxSQLite"]),
        .library(name: "RESP", targets: ["RESP"]),
        .library(name: "OutboxRedis", targets: ["OutboxRedis"]),
        .library(name: "OutboxTesting", targets: ["OutboxTesting"]),
        .library(name: "PizzaShop", targets: ["PizzaShop"]),
        .library(name: "PizzaShopPostgres", targets: ["PizzaShopPostgres"]),
        .library(name: "PizzaShopSQLite", targets: ["PizzaShopSQLite"]),
        .library(name: "PizzaDashboard", targets: ["PizzaDashboard"]),
        .executable(name: "pizza", targets: ["pizza"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.4.0"),
        // OTLP over HTTP only: the gRPC exporter would bring grpc-swift into every build.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context.git", from: "1.0.0"),
        // Messaging attribute names are still "development" in OpenTelemetry: the Experimental trait, pinned to a minor.
        .package(
            url: "https://github.com/swift-otel/swift-otel-semantic-conventions.git",
            .upToNextMinor(from: "1.44.0"),
            traits: ["Experimental"]
        ),
    ],
    targets: [
        .target(
            name: "Outbox",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTelSemanticConventions", package: "swift-otel-semantic-conventions"),
            ]
        ),
        .target(
            name: "OutboxPostgres",
            dependencies: [
                "Outbox",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "OutboxSQLite",
            dependencies: [
                "Outbox",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ]
        ),
        .target(
            name: "RESP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "OutboxRedis",
            dependencies: ["Outbox", "RESP"]
        ),
        .target(
            name: "OutboxTesting",
            dependencies: ["Outbox"]
        ),
        // The pizza shop's domain, repository protocols, HTTP routers and consumer: no SQL driver.
        .target(
            name: "PizzaShop",
            dependencies: [
                "Outbox",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
            ]
        ),
        .target(
            name: "PizzaShopPostgres",
            dependencies: ["PizzaShop", "OutboxPostgres", .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .target(
            name: "PizzaShopSQLite",
            dependencies: ["PizzaShop", "OutboxSQLite", .product(name: "SQLiteNIO", package: "sqlite-nio")]
        ),
        // The outbox dashboard: a Hummingbird web application over any store, broker monitor and effect reader.
        .target(
            name: "PizzaDashboard",
            dependencies: [
                "Outbox", "PizzaShop",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The load generator, its report and the delivery ledger: used by the executable and the tests.
        .target(
            name: "PizzaTools",
            dependencies: [
                "PizzaShop",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "pizza",
            dependencies: [
                "Outbox", "OutboxPostgres", "OutboxSQLite", "OutboxRedis", "RESP",
                "PizzaShop", "PizzaShopPostgres", "PizzaShopSQLite", "PizzaTools", "PizzaDashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ]
        ),
        // Helpers shared by the test targets: the servers from the environment, per-test schemas, processes.
        .target(
            name: "TestSupport",
            dependencies: [
                "OutboxPostgres", "OutboxTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "OutboxTests", dependencies: ["Outbox", "OutboxTesting"]),
        .testTarget(name: "RESPTests", dependencies: ["RESP", "TestSupport"]),
        .testTarget(
            name: "OutboxPostgresTests",
            dependencies: [
                "OutboxPostgres", "OutboxTesting", "TestSupport",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(name: "OutboxRedisTests", dependencies: ["OutboxRedis", "OutboxTesting", "TestSupport"]),
        .testTarget(name: "OutboxSQLiteTests", dependencies: ["OutboxSQLite", "OutboxTesting"]),
        .testTarget(
            name: "PizzaShopTests",
            dependencies: [
                "PizzaShop", "PizzaShopPostgres", "PizzaShopSQLite", "PizzaTools", "PizzaDashboard", "TestSupport", "pizza",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ]
        ),
        .testTarget(name: "EndToEndTests", dependencies: ["PizzaShop", "PizzaShopPostgres", "PizzaShopSQLite", "PizzaTools", "TestSupport"]),
    ]
)
