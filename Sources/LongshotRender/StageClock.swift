import Foundation

/// Wall time per stage (a value with a start time).
public struct StageClock: Sendable {
    public private(set) var seconds: [RenderStage: Double] = [:]
    private let start = Date()

    public init() {}

    public mutating func measure<T>(_ stage: RenderStage, _ body: () throws -> T) rethrows -> T {
        let begin = Date()
        defer { seconds[stage, default: 0] += Date().timeIntervalSince(begin) }
        return try body()
    }

    public mutating func add(_ stage: RenderStage, _ value: Double) { seconds[stage, default: 0] += value }

    public var total: Double { Date().timeIntervalSince(start) }
}
