import Foundation
import Metrics
import MetricsTestKit
import Outbox
import OutboxPostgres
import Testing

@testable import PizzaShop
@testable import pizza

@Suite struct TelemetryPlanTests {
    @Test func nothingSetExportsNothing() {
        #expect(TelemetryPlan.resolve(environment: [:]).exportsNothing)
        #expect(TelemetryPlan.resolve(environment: ["OTEL_SERVICE_NAME": "x", "OTEL_EXPORTER_OTLP_ENDPOINT": ""]).exportsNothing)
    }

    @Test func anEndpointExportsEverySignal() {
        let plan = TelemetryPlan.resolve(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"])
        #expect(plan == TelemetryPlan(traces: true, metrics: true, logs: true))
    }

    @Test func aSignalCanBeSwitchedOffOrOnAlone() {
        let withoutMetrics = TelemetryPlan.resolve(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_METRICS_EXPORTER": "none",
        ])
        #expect(withoutMetrics == TelemetryPlan(traces: true, metrics: false, logs: true))
        let tracesOnly = TelemetryPlan.resolve(environment: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"])
        #expect(tracesOnly == TelemetryPlan(traces: true, metrics: false, logs: false))
        // An exporter named otlp uses OpenTelemetry's default endpoint.
        #expect(TelemetryPlan.resolve(environment: ["OTEL_LOGS_EXPORTER": "otlp"]) == TelemetryPlan(logs: true))
    }

    @Test func gRPCIsRefusedNamingTheVariable() throws {
        try TelemetryPlan.validate(environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"])
        #expect(throws: (any Error).self) { try TelemetryPlan.validate(environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"]) }
        do {
            try TelemetryPlan.validate(environment: ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"])
            Issue.record("grpc was accepted")
        } catch {
            #expect("\(error)".contains("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
        }
    }

    @Test func aDisabledSDKExportsNothingAndTracesNothing() {
        let plan = TelemetryPlan.resolve(environment: ["OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"])
        #expect(plan.exportsNothing && plan.disabled)
    }
}

@Suite struct MetricHelpTests {
    /// Every metric the shop writes, each once, on a fresh process registry.
    static func recordEverything(_ metrics: ProcessMetrics) {
        let shop = metrics.shop
        shop.orderAccepted()
        shop.orderReplayed()
        shop.orderRejected(reason: "missing_field")
        shop.statusChanged(to: .delivered)
        shop.consumerReceived(group: "g")
        shop.consumerDuplicate(group: "g")
        shop.consumerOutOfOrder(group: "g")
        shop.consumerOrderRedelivery(group: "g")
        shop.consumerAcknowledged(group: "g")
        shop.endToEndLatency(group: "g", since: Date())
        shop.outbox(OutboxStats(pending: 1, completed: 2, failed: 0, oldestPendingAgeSeconds: 0.5))
    }

    @Test func everyMetricOnThePageHasItsHelpLine() {
        let metrics = ProcessMetrics.make()
        Self.recordEverything(metrics)
        for name in RelayMetricHelp.texts.keys.sorted() + PostgresPool.metricHelp.keys.sorted() {
            Counter(label: name, factory: metrics.factory).increment()
        }
        let page = metrics.registry.emitToString()
        let typed = page.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) }
        #expect(Set(typed) == Set(ProcessMetrics.help.keys))
        for name in typed {
            #expect(page.contains("# HELP \(name) \(ProcessMetrics.help[name] ?? "-")"), "\(name) has no help line")
        }
        #expect(!page.contains("(no description)"))
    }

    @Test func withOTLPTheSameInstrumentsReachBoth() throws {
        let otlp = TestMetrics()
        let metrics = ProcessMetrics.make(alsoTo: otlp)
        metrics.shop.orderAccepted()
        metrics.shop.orderAccepted()
        #expect(metrics.registry.emitToString().contains("pizza_orders_accepted_total 2"))
        #expect(try otlp.expectCounter("pizza_orders_accepted_total").totalValue == 2)
    }
}
