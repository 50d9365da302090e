import Tracing

extension Span {
    /// Records `error` as OpenTelemetry expects a failed operation to look: an `exception` event and
    /// the error status (recording the error alone leaves the status unset).
    public func markFailed(_ error: any Error) {
        recordError(error)
        setStatus(SpanStatus(code: .error, message: "\(error)"))
    }
}
