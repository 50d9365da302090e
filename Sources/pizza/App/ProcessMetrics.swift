import Metrics
import Outbox
import OutboxPostgres
import PizzaShop
import Prometheus

/// The process's metrics: swift-metrics onto one Prometheus registry, which `/metrics` serves, every
/// metric with its help text; and, when OTLP export is on, the same instruments to OpenTelemetry too.
/// Bootstrapped once per process, like logging.
struct ProcessMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let shop: ShopMetrics
    let factory: any MetricsFactory

    /// Help text of every metric the programs record.
    static let help: [String: String] = ShopMetrics.help
        .merging(RelayMetricHelp.texts) { $1 }
        .merging(PostgresPool.metricHelp) { $1 }

    /// A registry and the shop's instruments on it, without touching the global metrics system
    /// (tests build several programs in one process); with `otlp`, every instrument reports to both.
    static func make(alsoTo otlp: (any MetricsFactory)? = nil) -> ProcessMetrics {
        let registry = PrometheusCollectorRegistry()
        var prometheus = DescribedMetricsFactory(registry: registry, help: help)
        // Batch sizes are counts of events, not latency-shaped buckets.
        prometheus.valueBuckets["outbox_batch_size"] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]
        let factory: any MetricsFactory = otlp.map { MultiplexMetricsHandler(factories: [prometheus, $0]) } ?? prometheus
        return ProcessMetrics(registry: registry, shop: ShopMetrics(factory: factory), factory: factory)
    }

    /// `make(alsoTo:)`, with swift-metrics bootstrapped onto it: once per process.
    static func bootstrap(alsoTo otlp: (any MetricsFactory)? = nil) -> ProcessMetrics {
        let metrics = make(alsoTo: otlp)
        MetricsSystem.bootstrap(metrics.factory)
        return metrics
    }
}
