import Metrics
import PizzaShop
import Prometheus

/// The process's metrics: swift-metrics bootstrapped onto one Prometheus registry, which `/metrics`
/// serves. Once per process, like logging.
struct ProcessMetrics {
    let registry: PrometheusCollectorRegistry
    let shop: ShopMetrics

    static func bootstrap() -> ProcessMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Batch sizes are counts of events, not the factory's default (latency-shaped) buckets.
        factory.valueHistogramBuckets["outbox_batch_size"] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]
        MetricsSystem.bootstrap(factory)
        return ProcessMetrics(registry: registry, shop: ShopMetrics(factory: factory))
    }
}
