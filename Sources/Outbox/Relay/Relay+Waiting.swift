import ServiceLifecycle

extension Relay {
    /// Waits for `signal` (or, without one, sleeps) for at most `interval`, or until shutdown begins;
    /// returns whether the signal came.
    func idle(for interval: Duration, on signal: WakeUpSignal?) async -> Bool {
        if let signal {
            // A handler, not `cancelWhenGracefulShutdown`: that runs two more tasks per wait.
            return await withGracefulShutdownHandler {
                await signal.wait(timeout: interval)
            } onGracefulShutdown: {
                signal.signal()
            }
        }
        await sleepUnlessShuttingDown(interval)
        return false
    }

    /// Sleeps for `delay`, or less when graceful shutdown begins.
    func sleepUnlessShuttingDown(_ delay: Duration) async {
        _ = try? await cancelWhenGracefulShutdown {
            try await Task.sleep(for: delay)
        }
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        let parts = components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }
}
