#if canImport(Glibc)
import Glibc
#endif

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
    /// Which values the backward rule reads, and their storages' versions when the node was recorded.
    let saved: SavedValues
    let inputVersions: [Int]
    let outputVersion: Int

    init(name: String, inputs: [Tensor], output: Storage, saved: SavedValues,
         backward: @escaping (Tensor, Tensor) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
        self.saved = saved
        inputVersions = saved.inputs ? inputs.map { $0.storage.version } : []
        outputVersion = output.version
    }

    /// Stops, naming this operation, when a value its backward rule reads was modified in place since
    /// it was recorded: the rule would silently compute the gradient from the new values.
    func checkSavedValues(output: Tensor) {
        for (input, version) in zip(inputs, inputVersions) where input.storage.version != version {
            modifiedInPlace(input, now: input.storage.version, recorded: version)
        }
        if saved.output && output.storage.version != outputVersion {
            modifiedInPlace(output, now: output.storage.version, recorded: outputVersion)
        }
    }

    private func modifiedInPlace(_ tensor: Tensor, now: Int, recorded: Int) -> Never {
        preconditionFailure("backward of \(name): a tensor it saved (shape \(describe(tensor.shape))) was modified in place "
                            + "after it was recorded (version \(now), expected \(recorded)); "
                            + "compute it again, or modify a copy instead")
    }
}

/// What an operation's backward rule reads, besides the incoming gradient: the in-place modification
/// check watches only these (adding, reshaping or summing reads nothing, so their inputs may change).
struct SavedValues {
    var inputs: Bool
    var output: Bool
    static let inputs = SavedValues(inputs: true, output: false)
    static let output = SavedValues(inputs: false, output: true)
    static let inputsAndOutput = SavedValues(inputs: true, output: true)
    static let nothing = SavedValues(inputs: false, output: false)
}

/// Whether operations are recorded for differentiation, per thread as in PyTorch: a background data
/// loader or a test running beside another never sees the other thread's `withoutGradients`.
enum GradientMode {
    /// The thread-local slot holds nothing while recording is on (the default on every new thread).
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static var isEnabled: Bool {
        get { pthread_getspecific(key) == nil }
        set { pthread_setspecific(key, newValue ? nil : UnsafeRawPointer(bitPattern: 1)) }
    }
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
/// `saves` names the values `backward` reads (by default the inputs), for the in-place modification check.
@inline(__always)
func record(_ result: Tensor, _ name: String, _ inputs: [Tensor], saves: SavedValues = .inputs,
            _ backward: @escaping (Tensor, Tensor) -> [Tensor?]) -> Tensor {
    guard GradientMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return result }
    return Tensor(storage: result.storage, layout: result.layout,
                  node: GradientNode(name: name, inputs: inputs, output: result.storage, saved: saves, backward: backward))
}
