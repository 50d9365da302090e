import Metrics

struct RelayMetrics: Sendable {
    let published = Counter(label: "outbox_events_published_total")
    let retried = Counter(label: "outbox_events_retried_total")
    let failed = Counter(label: "outbox_events_failed_total")
    /// Handed back unpublished or unconfirmed (a broker outage, too few replicas), to go out again.
    let released = Counter(label: "outbox_events_released_total")
    let batchSize = Recorder(label: "outbox_batch_size", aggregate: true)
    let batchDuration = Timer(label: "outbox_batch_duration_seconds")
}

/// What each metric of the relay measures, by metric name: the `# HELP` line of a Prometheus page.
public enum RelayMetricHelp {
    /// Help text by metric name.
    public static let texts: [String: String] = [
        "outbox_events_published_total": "Events the relay published and marked completed.",
        "outbox_events_retried_total": "Events whose processing step failed and that were scheduled for another attempt.",
        "outbox_events_failed_total": "Events parked as failed after their last attempt.",
        "outbox_events_released_total":
            "Events handed back unmarked, to be published again: the broker failed or did not confirm replication.",
        "outbox_batch_size": "Events claimed per relay batch.",
        "outbox_batch_duration_seconds": "Time from claiming a relay batch to marking its outcomes.",
    ]
}
