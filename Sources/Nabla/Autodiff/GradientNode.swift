/// One recorded operation: the tensors it read and how to turn the gradient of its output into
/// gradients of those inputs.
///
/// Backward rules are written with tensor operations, so running them with recording on builds a graph
/// of the gradient itself: that is what makes gradients of gradients work.
final class GradientNode {
    let name: String
    let inputs: [Tensor]
    /// (gradient of the output, the output) → one gradient per input, nil where none flows. A gradient
    /// may have the output's broadcast shape; the engine sums it down to the input's shape.
    let backward: (Tensor, Tensor) -> [Tensor?]

    init(name: String, inputs: [Tensor], backward: @escaping (Tensor, Tensor) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether operations are recorded for differentiation on this thread.
enum GradientMode {
    // Training drives the graph from one thread; the flag is per process on purpose, as kernels that
    // fan out over cores never record.
    nonisolated(unsafe) static var isEnabled = true
}

/// Runs `body` without recording operations: nothing inside builds a graph or requires gradients.
/// Use it for evaluation and for updating parameters.
@discardableResult
public func withoutGradients<Result>(_ body: () throws -> Result) rethrows -> Result {
    let previous = GradientMode.isEnabled
    GradientMode.isEnabled = false
    defer { GradientMode.isEnabled = previous }
    return try body()
}

/// Whether operations run now are recorded for differentiation.
public var isRecordingGradients: Bool { GradientMode.isEnabled }

/// Attaches the operation `name` to `result` when recording is on and some input requires gradients.
@inline(__always)
func record(_ result: Tensor, _ name: String, _ inputs: [Tensor],
            _ backward: @escaping (Tensor, Tensor) -> [Tensor?]) -> Tensor {
    guard GradientMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return result }
    return Tensor(storage: result.storage, layout: result.layout,
                  node: GradientNode(name: name, inputs: inputs, backward: backward))
}
