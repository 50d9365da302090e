import CoreMetrics
import Prometheus

/// swift-metrics onto a Prometheus registry, like swift-prometheus's own factory, but every metric
/// is registered with its help text, so `/metrics` has a `# HELP` line per metric (Prometheus's
/// `promtool check metrics` requires one). A metric missing from `help` gets a generic text rather
/// than none; the catalog test keeps that from happening to the project's own metrics.
public struct DescribedMetricsFactory: MetricsFactory {
    /// The registry `/metrics` serves.
    public let registry: PrometheusCollectorRegistry
    /// Help text by metric name.
    public let help: [String: String]
    /// Buckets of timers (durations): swift-prometheus's defaults.
    public var durationBuckets: [Duration] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000].map { .milliseconds($0) }
    /// Buckets of aggregated recorders by metric name; others get `defaultValueBuckets`.
    public var valueBuckets: [String: [Double]] = [:]
    /// Buckets of aggregated recorders not named in `valueBuckets`.
    public var defaultValueBuckets: [Double] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]

    /// A factory registering into `registry`, describing metrics from `help`.
    public init(registry: PrometheusCollectorRegistry, help: [String: String]) {
        self.registry = registry
        self.help = help
    }

    func descriptor(_ name: String) -> MetricNameDescriptor {
        // An empty unit adds nothing to the name: the label is the whole metric name.
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? "\(name) (no description)")
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(
            descriptor: descriptor(label),
            labels: dimensions,
            buckets: valueBuckets[label] ?? defaultValueBuckets
        )
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: durationBuckets)
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? Histogram<Double> { registry.unregisterValueHistogram(histogram) }
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? Histogram<Duration> { registry.unregisterDurationHistogram(histogram) }
    }
}
