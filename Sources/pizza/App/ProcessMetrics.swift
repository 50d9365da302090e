import Metrics
import PizzaShop
import Prometheus

/// The process's metrics: swift-metrics bootstrapped onto one Prometheus registry, which `/metrics`
/// serves. Once per process, like logging.
struct ProcessMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let shop: ShopMetrics

    let factory: PrometheusMetricsFactory

    /// A registry and the shop's instruments on it, without touching the global metrics system
    /// (tests build several programs in one process).
    static func make() -> ProcessMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Batch sizes are counts of events, not the factory's default (latency-shaped) buckets.
        factory.valueHistogramBuckets["outbox_batch_size"] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]
        return ProcessMetrics(registry: registry, shop: ShopMetrics(factory: factory), factory: factory)
    }

    /// `make()`, with swift-metrics bootstrapped onto the registry: once per process.
    static func bootstrap() -> ProcessMetrics {
        let metrics = make()
        MetricsSystem.bootstrap(metrics.factory)
        return metrics
    }
}
