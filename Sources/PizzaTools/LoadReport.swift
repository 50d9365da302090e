import Foundation
import Outbox
import PizzaShop

/// The outcome of a client run: counts, throughput and latency percentiles.
public struct LoadReport: Sendable, Equatable {
    public var sent: Int
    /// 2xx answers.
    public var accepted: Int
    /// 4xx answers (the server refused the order).
    public var rejected: Int
    /// 5xx answers and transport errors.
    public var failed: Int
    public var elapsed: Duration
    /// Latencies of answered requests, sorted ascending.
    public var latencies: [Duration]
    /// The `PATCH` requests sent after accepted orders.
    public var statusChanges: StatusChanges

    /// Counts of status-change requests by answer.
    public struct StatusChanges: Sendable, Equatable {
        public var accepted = 0
        /// 4xx answers, e.g. 409 for a change the order no longer allows.
        public var rejected = 0
        /// 5xx answers and transport errors.
        public var failed = 0

        public init(accepted: Int = 0, rejected: Int = 0, failed: Int = 0) {
            self.accepted = accepted
            self.rejected = rejected
            self.failed = failed
        }

        public var sent: Int { accepted + rejected + failed }
    }

    public init(
        sent: Int,
        accepted: Int,
        rejected: Int,
        failed: Int,
        elapsed: Duration,
        latencies: [Duration],
        statusChanges: StatusChanges = StatusChanges()
    ) {
        self.sent = sent
        self.accepted = accepted
        self.rejected = rejected
        self.failed = failed
        self.elapsed = elapsed
        self.latencies = latencies.sorted()
        self.statusChanges = statusChanges
    }

    /// Requests answered per second.
    public var throughput: Double {
        elapsed > .zero ? Double(sent) / elapsed.seconds : 0
    }

    /// The `q`-quantile (0…1) by nearest rank, or zero with no samples.
    public func percentile(_ q: Double) -> Duration {
        guard !latencies.isEmpty else { return .zero }
        let rank = Int((q * Double(latencies.count)).rounded(.up))
        return latencies[min(max(rank, 1), latencies.count) - 1]
    }

    /// The closing summary, one line per aspect.
    public var summary: String {
        func ms(_ duration: Duration) -> String { String(format: "%.2f ms", duration.seconds * 1000) }
        let changes =
            statusChanges.sent == 0
            ? ""
            : """

            status changes: \(statusChanges.sent) sent, \(statusChanges.accepted) accepted, \(statusChanges.rejected) rejected, \(statusChanges.failed) failed
            """
        return """
            sent:       \(sent)
            accepted:   \(accepted)
            rejected:   \(rejected)
            failed:     \(failed)
            elapsed:    \(String(format: "%.2f s", elapsed.seconds))
            throughput: \(String(format: "%.1f orders/s", throughput))
            latency:    p50 \(ms(percentile(0.5)))  p90 \(ms(percentile(0.9)))  p99 \(ms(percentile(0.99)))  max \(ms(latencies.last ?? .zero))
            """ + changes
    }
}
