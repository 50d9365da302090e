import ArgumentParser
import Dispatch
import Foundation
import Logging
import Metrics
import OTel
import PizzaShop
import ServiceLifecycle
import Tracing

/// What goes to an OpenTelemetry collector, read from OpenTelemetry's standard environment
/// variables (and `--otlp-endpoint`). A signal is exported when an OTLP endpoint is set for it
/// (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT`) or its exporter is
/// named `otlp` (`OTEL_<SIGNAL>_EXPORTER`), and not when that exporter is `none` or the SDK is
/// disabled (`OTEL_SDK_DISABLED=true`). With nothing set, nothing is exported.
struct TelemetryPlan: Equatable {
    var traces = false
    var metrics = false
    var logs = false
    /// `OTEL_SDK_DISABLED=true`: not even a tracer (no trace context in logs or events either).
    var disabled = false

    static func resolve(environment: [String: String]) -> TelemetryPlan {
        if environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return TelemetryPlan(disabled: true) }
        func exported(_ signal: String) -> Bool {
            let exporter = environment["OTEL_\(signal)_EXPORTER"]?.lowercased()
            if exporter == "none" { return false }
            if exporter == "otlp" || (signal == "LOGS" && exporter == "console") { return true }
            let endpoint = environment["OTEL_EXPORTER_OTLP_\(signal)_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_ENDPOINT"]
            return !(endpoint ?? "").isEmpty
        }
        return TelemetryPlan(traces: exported("TRACES"), metrics: exported("METRICS"), logs: exported("LOGS"))
    }

    /// Refuses what this build cannot do, naming the variable: swift-otel would stop the process
    /// with a fatal error instead (gRPC is left out of the build).
    static func validate(environment: [String: String]) throws {
        for variable in ["OTEL_EXPORTER_OTLP_PROTOCOL"] + ["TRACES", "METRICS", "LOGS"].map({ "OTEL_EXPORTER_OTLP_\($0)_PROTOCOL" }) {
            if let value = environment[variable], !["http/protobuf", "http/json"].contains(value.lowercased()) {
                throw ValidationError("\(variable)=\(value): this build exports OTLP over HTTP only (http/protobuf or http/json, port 4318)")
            }
        }
    }

    /// Nothing leaves the process.
    var exportsNothing: Bool { !traces && !metrics && !logs }
}

struct TelemetryOptions: ParsableArguments {
    @Option(
        help:
            "OTLP/HTTP endpoint of an OpenTelemetry collector, e.g. http://127.0.0.1:4318 (env OTEL_EXPORTER_OTLP_ENDPOINT). Traces, metrics and logs go there; the other OTEL_* variables apply."
    )
    var otlpEndpoint: String?

    func validate() throws {
        if let otlpEndpoint {
            guard let url = URL(string: otlpEndpoint), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ValidationError("--otlp-endpoint must be an http:// or https:// URL")
            }
        }
    }
}

/// The process's logging, tracing and metrics, bootstrapped once: lines on stderr, trace context
/// carried through swift-otel's tracer, Prometheus `/metrics`, and — where `TelemetryPlan` says so —
/// the same spans, instruments and log records exported over OTLP. List `services` first in the
/// service group: they start before the program's services and stop after them, flushing what is left.
struct Telemetry {
    let logger: Logger
    let metrics: ProcessMetrics
    let services: [any Service]

    /// Bootstraps everything for `program` (`producer-api`, `job`, …): its logger is labelled
    /// `pizza.<program>`, its OpenTelemetry service is named `pizza-<program>` unless OTEL_SERVICE_NAME says otherwise.
    static func bootstrap(
        program: String,
        logging: LoggingOptions,
        options: TelemetryOptions,
        defaultLevel: Logger.Level = .info
    ) throws -> Telemetry {
        if let endpoint = options.otlpEndpoint {
            // The flag is the variable by another name: swift-otel reads the environment itself.
            setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, 1)
        }
        let environment = ProcessInfo.processInfo.environment
        try TelemetryPlan.validate(environment: environment)
        let plan = TelemetryPlan.resolve(environment: environment)
        let level = logging.level(default: defaultLevel)
        var configuration = OTel.Configuration.default
        configuration.serviceName = "pizza-\(program)"  // OTEL_SERVICE_NAME still wins
        configuration.diagnosticLogLevel = .warning
        configuration.diagnosticLogger = .custom(Logger(label: "otel") { StreamLogHandler.standardError(label: $0) })
        configuration.logs.level = .init(level)
        // A collector that is away must not hold a stopping program for long (swift-otel's defaults
        // allow 10 s per request and 30 s per flush); OTEL_EXPORTER_OTLP_TIMEOUT and friends still win.
        configuration.traces.otlpExporter.timeout = .seconds(3)
        configuration.metrics.otlpExporter.timeout = .seconds(3)
        configuration.logs.otlpExporter.timeout = .seconds(3)
        configuration.traces.batchSpanProcessor.exportTimeout = .seconds(5)
        configuration.logs.batchLogRecordProcessor.exportTimeout = .seconds(5)
        configuration.metrics.exportTimeout = .seconds(5)
        configuration.traces.exporter = plan.traces ? .otlp : .none
        if !plan.traces {
            // Nothing is exported: spans only carry context (ids for logs and traceparent headers)
            // and record nothing, unless the caller's traceparent asked for sampling.
            configuration.traces.sampler = .parentBasedAlwaysOff
        }
        var services: [any Service] = []

        if !plan.disabled {
            let tracing = try OTel.makeTracingBackend(configuration: configuration)
            InstrumentationSystem.bootstrap(tracing.factory)
            services.append(tracing.service)
        }

        var exported: ((String) -> any LogHandler)?
        if plan.logs {
            let logs = try OTel.makeLoggingBackend(configuration: configuration)
            exported = logs.factory
            services.append(logs.service)
        }
        let logger = logging.bootstrap(label: "pizza.\(program)", defaultLevel: defaultLevel, alsoTo: exported)

        var otlpMetrics: (any MetricsFactory)?
        if plan.metrics {
            let metrics = try OTel.makeMetricsBackend(configuration: configuration)
            otlpMetrics = metrics.factory
            services.append(metrics.service)
        }
        let metrics = ProcessMetrics.bootstrap(alsoTo: otlpMetrics)
        if !plan.exportsNothing {
            logger.info(
                "exporting telemetry over OTLP",
                metadata: ["otel.traces": "\(plan.traces)", "otel.metrics": "\(plan.metrics)", "otel.logs": "\(plan.logs)"]
            )
        }
        return Telemetry(logger: logger, metrics: metrics, services: services.map(OffEventLoop.init))
    }
}

/// Runs a service on a dispatch queue instead of wherever its caller runs. swift-otel 1.6.0's OTLP/HTTP
/// exporter shuts its HTTP client down synchronously in `deinit`, which AsyncHTTPClient refuses (a
/// trap) on an event loop thread; with Swift concurrency on SwiftNIO's event loops
/// (`PIZZA_NIO_EXECUTOR`), the exporters' service group would release them on one as it finishes.
struct OffEventLoop: Service {
    let service: any Service
    private static let executor = DispatchTaskExecutor()

    func run() async throws {
        try await withTaskExecutorPreference(Self.executor) { try await service.run() }
    }
}

/// A task executor on one serial dispatch queue (none of SwiftNIO's threads).
final class DispatchTaskExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "pizza.telemetry")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

extension OTel.Configuration.LogLevel {
    init(_ level: Logger.Level) {
        switch level {
        case .trace: self = .trace
        case .debug: self = .debug
        case .info, .notice: self = .info
        case .warning: self = .warning
        case .error, .critical: self = .error
        }
    }
}
