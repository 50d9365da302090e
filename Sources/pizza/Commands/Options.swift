import ArgumentParser
import Foundation
import Logging
import OTel
import Outbox
import PizzaShop
import RESP
import Tracing

/// Reads a flag, falling back to an environment variable (12-factor style).
func flagOrEnvironment(_ value: String?, _ variable: String) -> String? {
    if let value, !value.isEmpty { return value }
    if let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty { return value }
    return nil
}

struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "postgres://user:password@host:port/db or sqlite:PATH (env DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Largest number of pooled database connections.")
    var databaseConnections: Int = 20

    @Option(
        help:
            "Longest one database call may take, waiting for a connection included; past it the call fails (an API answers 503) and its connection is closed."
    )
    var databaseTimeout = TimeSpan(argument: "10s")!

    /// The URL from the flag or `DATABASE_URL`, or `fallback`; the error names the flag.
    func url(default fallback: String? = nil) throws -> String {
        guard let text = flagOrEnvironment(databaseURL, "DATABASE_URL") ?? fallback else {
            throw ValidationError("--database-url (or DATABASE_URL) is required")
        }
        return text
    }

    /// Opens the database the URL names.
    func open(logger: Logger, default fallback: String? = nil) async throws -> Database {
        try await Database.open(
            url: try url(default: fallback),
            connections: databaseConnections,
            statementTimeout: databaseTimeout.duration,
            logger: logger
        )
    }

    func validate() throws {
        guard databaseConnections >= 1 else { throw ValidationError("--database-connections must be at least 1") }
        guard databaseTimeout.duration > .zero else { throw ValidationError("--database-timeout must be positive") }
    }
}

struct RedisOptions: ParsableArguments {
    @Option(
        name: .customLong("redis-url"),
        help:
            "redis://[:password@]host[:port][/db], rediss:// for TLS, redis-cluster://host:port,host:port (rediss-cluster:// for TLS) for a Redis Cluster (env REDIS_URL, default redis://localhost:6379)."
    )
    var redisURL: String?
    @Option(
        name: .customLong("redis-ca-file"),
        help: "With rediss://: PEM file of the certificate authorities to trust (env REDIS_CA_FILE; default the system's)."
    )
    var redisCAFile: String?
    @Flag(name: .customLong("redis-tls-insecure"), help: "With rediss://: do not verify the server's certificate (self-signed test setups only).")
    var redisTLSInsecure = false

    func configuration() throws -> RedisConfiguration {
        let text = flagOrEnvironment(redisURL, "REDIS_URL") ?? "redis://localhost:6379"
        var configuration: RedisConfiguration
        do {
            configuration = try RedisConfiguration(url: text)
        } catch {
            throw ValidationError("--redis-url: \(error)")
        }
        let caFile = flagOrEnvironment(redisCAFile, "REDIS_CA_FILE")
        if caFile != nil || redisTLSInsecure {
            guard configuration.tls != nil else {
                throw ValidationError(
                    "\(caFile != nil ? "--redis-ca-file" : "--redis-tls-insecure") needs a rediss:// (or rediss-cluster://) --redis-url"
                )
            }
            if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
                throw ValidationError("--redis-ca-file: cannot read \(caFile)")
            }
            configuration.tls = RedisTLS(caFile: caFile, insecure: redisTLSInsecure)
        }
        return configuration
    }
}

/// How a topic is split over Redis streams, shared by the job and the consumer.
struct PartitionOptions: ParsableArguments {
    @Option(
        help:
            "Streams the topic is split into (redis-streams): an event goes to stream <topic>:{p.k}, p = FNV-1a-32(order id) mod N; each partition has one reader per consumer group. Job and consumers must agree. 1 is the single stream <topic>."
    )
    var partitions = 1

    func validate() throws {
        guard (1...1024).contains(partitions) else { throw ValidationError("--partitions must be within 1...1024") }
    }
}

extension BrokerKind: ExpressibleByArgument {}

/// How log lines look: `text` for people, `json` (one object per line) for log shippers.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct LoggingOptions: ParsableArguments {
    @Option(help: "trace, debug, info, notice, warning, error or critical (env LOG_LEVEL).")
    var logLevel: String?

    @Option(help: "text or json: one JSON object per line with timestamp, level, message and metadata (env LOG_FORMAT).")
    var logFormat: String?

    func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if let format = flagOrEnvironment(logFormat, "LOG_FORMAT"), LogFormat(rawValue: format) == nil {
            throw ValidationError("--log-format (or LOG_FORMAT) must be text or json")
        }
    }

    /// The level from the flag or `LOG_LEVEL`, else `defaultLevel`.
    func level(default defaultLevel: Logger.Level = .info) -> Logger.Level {
        flagOrEnvironment(logLevel, "LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? defaultLevel
    }

    /// Bootstraps swift-log once and returns the process's root logger; with `exported`, every line
    /// also goes there (OTLP log records). Also makes stdout line-buffered, so progress shows up at
    /// once when piped to a file or `tee`.
    func bootstrap(
        label: String,
        defaultLevel: Logger.Level = .info,
        alsoTo exported: ((String) -> any LogHandler)? = nil
    ) -> Logger {
        makeStandardOutputLineBuffered()
        let level = level(default: defaultLevel)
        let format = flagOrEnvironment(logFormat, "LOG_FORMAT").flatMap(LogFormat.init(rawValue:)) ?? .text
        // Lines written inside a span carry its trace.id and span.id (from the bootstrapped tracer's context).
        var keys = OTel.Configuration.LoggingMetadataProviderConfiguration.default
        keys.traceIDKey = "trace.id"
        keys.spanIDKey = "span.id"
        keys.traceFlagsKey = "trace.flags"
        let traceMetadata = OTel.makeLoggingMetadataProvider(configuration: keys)
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .text: handler = StreamLogHandler.standardError(label: label, metadataProvider: traceMetadata)
            case .json: handler = JSONLogHandler.standardError(label: label, metadataProvider: traceMetadata)
            }
            handler.logLevel = level
            guard let exported else { return handler }
            var other = exported(label)
            other.logLevel = level
            return MultiplexLogHandler([handler, other])
        }
        return Logger(label: label)
    }
}

/// Parses seconds given as a decimal number into a Duration.
func seconds(_ value: Double) -> Duration {
    .milliseconds(Int64((value * 1000).rounded()))
}

/// A span of time on the command line: `500ms`, `90s`, `30m`, `24h`, `7d`, or plain seconds.
struct TimeSpan: ExpressibleByArgument, CustomStringConvertible {
    var duration: Duration
    var description: String

    init?(argument: String) {
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let unit = units.first { text.hasSuffix($0.suffix) && Double(text.dropLast($0.suffix.count)) != nil }
        let number = Double(unit.map { String(text.dropLast($0.suffix.count)) } ?? text)
        guard let number, number.isFinite, number >= 0 else { return nil }
        duration = seconds(number * (unit?.seconds ?? 1))
        description = argument
    }
}
