import ServiceLifecycle

/// Runs `body` now and then every `interval` until graceful shutdown or cancellation; the wait
/// between rounds ends early on shutdown. The loop of every periodic service.
package func everyInterval(_ interval: Duration, _ body: () async -> Void) async {
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
        await body()
        _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
    }
}
