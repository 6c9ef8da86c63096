import Nabla

/// Training and evaluation batches for a language model from one long stream of token ids, as nanoGPT
/// draws them: an input is `contextLength` consecutive tokens, its target the same window moved on by one.
///
/// ```swift
/// let windows = TokenWindows(tokens: ids, contextLength: 64)
/// let (inputs, targets) = windows.randomBatch(size: 12, generator: generator)   // (12, 64) each
/// ```
public struct TokenWindows: Sendable {
    public let tokens: [Int]
    public let contextLength: Int

    public init(tokens: [Int], contextLength: Int) {
        precondition(contextLength > 0 && tokens.count > contextLength,
                     "TokenWindows: \(tokens.count) tokens are too few for windows of \(contextLength) tokens and their targets; need at least \(contextLength + 1)")
        self.tokens = tokens
        self.contextLength = contextLength
    }

    /// How many different windows the stream holds.
    public var windowCount: Int { tokens.count - contextLength }

    /// The windows starting at `offsets`: inputs and targets (offsets.count, contextLength).
    public func batch(offsets: [Int]) -> (inputs: IntTensor, targets: IntTensor) {
        var inputs: [Int] = [], targets: [Int] = []
        inputs.reserveCapacity(offsets.count * contextLength)
        targets.reserveCapacity(offsets.count * contextLength)
        for offset in offsets {
            precondition((0..<windowCount).contains(offset), "TokenWindows.batch: offset \(offset) is outside 0..<\(windowCount)")
            inputs += tokens[offset..<(offset + contextLength)]
            targets += tokens[(offset + 1)...(offset + contextLength)]
        }
        return (IntTensor(inputs, shape: [offsets.count, contextLength]), IntTensor(targets, shape: [offsets.count, contextLength]))
    }

    /// `size` windows at uniformly drawn offsets.
    public func randomBatch(size: Int, generator: RandomGenerator) -> (inputs: IntTensor, targets: IntTensor) {
        batch(offsets: (0..<size).map { _ in generator.integer(in: 0..<windowCount) })
    }

    /// `count` offsets spread evenly over the stream (the same on every run and in every program), for
    /// a validation loss that does not depend on a random draw: offset i is ⌊i·windowCount/count⌋.
    public func evenOffsets(count: Int) -> [Int] {
        (0..<count).map { $0 * windowCount / count }
    }
}

extension GPT {
    /// The mean cross-entropy over the windows of `windows` at `offsets`, in batches of `batchSize`, in
    /// evaluation mode and without gradients (nanoGPT's `estimate_loss` over fixed windows).
    public func meanLoss(_ windows: TokenWindows, offsets: [Int], batchSize: Int) -> Double {
        precondition(!offsets.isEmpty && batchSize > 0, "GPT.meanLoss: need offsets and a positive batch size")
        let wasTraining = isTraining
        eval()
        defer { if wasTraining { train() } }
        return withoutGradients {
            var total = 0.0
            for first in stride(from: 0, to: offsets.count, by: batchSize) {
                let part = Array(offsets[first..<Swift.min(first + batchSize, offsets.count)])
                let (inputs, targets) = windows.batch(offsets: part)
                total += Double(loss(inputs, targets).scalars[0]) * Double(part.count)
            }
            return total / Double(offsets.count)
        }
    }
}
