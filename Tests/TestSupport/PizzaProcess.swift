import AsyncHTTPClient
import Foundation
import NIOCore

/// A `pizza` subcommand running as a real process, its output in a log file.
public final class PizzaProcess: @unchecked Sendable {
    public let name: String
    public let process = Process()
    public let logURL: URL

    /// The built `pizza` binary: `PIZZA_BIN`, else `.build/debug/pizza` next to this package.
    public static var binary: URL {
        get throws {
            if let path = ProcessInfo.processInfo.environment["PIZZA_BIN"] { return URL(fileURLWithPath: path) }
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let url = root.appendingPathComponent(".build/debug/pizza")
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                throw Failure("no pizza binary at \(url.path); run `swift build` first or set PIZZA_BIN")
            }
            return url
        }
    }

    /// Starts `pizza <arguments>` with `environment` added to this process's environment.
    public init(_ name: String, _ arguments: [String], environment: [String: String] = [:], logDirectory: URL) throws {
        self.name = name
        self.logURL = logDirectory.appendingPathComponent("\(name).log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.executableURL = try Self.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// The log so far.
    public var output: String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs `pizza <arguments>` to completion; returns its status and output.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // The blocking read and wait happen on a Dispatch thread: a child that runs for a minute must
        // not hold one of the (two, on this machine) threads every test task shares.
        let data = await withCheckedContinuation { (continuation: CheckedContinuation<Data, Never>) in
            DispatchQueue.global().async {
                // Read to the end first so a full pipe never blocks the child.
                let data = (try? pipe.fileHandleForReading.readToEnd()) ?? Data()
                process.waitUntilExit()
                continuation.resume(returning: data)
            }
        }
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

public struct Failure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A free TCP port on the loopback interface, chosen by the kernel.
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Failure("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw Failure("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// GETs `url` and returns status and body, or nil when nothing answers.
public func httpGet(_ client: HTTPClient, _ url: String) async -> (status: Int, body: String)? {
    do {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), String(buffer: body))
    } catch {
        return nil
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; throws naming `what`.
public func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw Failure("timed out after \(timeout) waiting for \(what)")
}

/// The processes of one end-to-end run, stopped together.
public final class PizzaProcesses: @unchecked Sendable {
    public private(set) var all: [PizzaProcess] = []
    let logDirectory: URL
    let environment: [String: String]

    public init(logDirectory: URL, environment: [String: String]) {
        self.logDirectory = logDirectory
        self.environment = environment
    }

    /// Starts `pizza <arguments>` as `name`.
    public func start(_ name: String, _ arguments: [String]) throws {
        all.append(try PizzaProcess(name, arguments, environment: environment, logDirectory: logDirectory))
    }

    /// Runs `body` with an HTTP client; when it throws, prints the tail of every process's log first.
    public func run(_ body: (HTTPClient) async throws -> Void) async throws {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await body(http)
        } catch {
            for process in all { print("--- \(process.name) ---\n\(process.output.suffix(3000))") }
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    /// Sends SIGTERM to each, newest first, and returns those that did not exit with status 0.
    public func stopAll() -> [(name: String, status: Int32, log: String)] {
        defer { all.removeAll() }
        return all.reversed().compactMap { process in
            let status = process.stop()
            return status == 0 ? nil : (process.name, status, String(process.output.suffix(2000)))
        }
    }

    deinit {
        for process in all { process.stop() }
    }
}
