import NIOCore

/// One write: encoded commands and the promises of their replies, in order.
struct RESPRequest: Sendable {
    var buffer: ByteBuffer
    var promises: [EventLoopPromise<RESPValue>]
}

/// Matches replies to pipelined requests in order; in Pub/Sub mode, routes `message` pushes to
/// `onPush` instead. Runs on its channel's event loop only.
final class RESPChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RESPRequest
    typealias OutboundOut = ByteBuffer

    private var parser = RESPParser()
    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private let onPush: (@Sendable (RESPValue) -> Void)?

    init(onPush: (@Sendable (RESPValue) -> Void)?) {
        self.onPush = onPush
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        for reply in request.promises { waiting.append(reply) }
        context.write(wrapOutboundOut(request.buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let values: [RESPValue]
        do {
            values = try parser.feed(&buffer)
        } catch {
            failAll(error)
            context.close(promise: nil)
            return
        }
        for value in values {
            if let onPush, Self.isPush(value) {
                onPush(value)
            } else if let promise = waiting.popFirst() {
                promise.succeed(value)
            } else {
                failAll(RedisError.protocolViolation("unexpected reply"))
                context.close(promise: nil)
                return
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }

    /// `message` and `pmessage` arrays are pushes; `subscribe`/`pong` confirmations are replies.
    private static func isPush(_ value: RESPValue) -> Bool {
        guard let kind = value.array?.first?.string else { return false }
        return kind == "message" || kind == "pmessage"
    }
}
