import Foundation
import Nabla
import NablaNN

/// A torchinfo-like table of a model: each layer with its output shape, parameter count, multiply-adds
/// and output memory, then totals. Sequential models are opened layer by layer; any other module is one
/// row (its parameters all counted; multiply-adds only for linear and convolution layers themselves).
public struct ModelSummary: CustomStringConvertible {
    public struct Row: Sendable {
        public let name: String
        public let kind: String
        public let depth: Int
        public let outputShape: [Int]
        public let parameters: Int
        public let multiplyAdds: Int
        /// Bytes of the layer's float32 output for the whole input batch.
        public var outputBytes: Int { outputShape.reduce(1, *) * 4 }
    }

    public let inputShape: [Int]
    public let rows: [Row]
    public let totalParameters: Int
    public let trainableParameters: Int

    public var totalMultiplyAdds: Int { rows.reduce(0) { $0 + $1.multiplyAdds } }
    /// Bytes of every layer's output (what a forward pass for training keeps), of the input, and of the parameters.
    public var activationBytes: Int { rows.filter { $0.kind != "Sequential" }.reduce(0) { $0 + $1.outputBytes } }
    public var inputBytes: Int { inputShape.reduce(1, *) * 4 }
    public var parameterBytes: Int { totalParameters * 4 }

    /// Summarises `model` by running it (in evaluation mode, without gradients) on zeros of `inputShape`,
    /// which includes the batch axis, e.g. [1, 1, 28, 28]. The model's training mode is restored after.
    public init(_ model: any Layer, inputShape: [Int]) {
        precondition(!inputShape.isEmpty && inputShape.allSatisfy { $0 > 0 },
                     "ModelSummary: inputShape must be non-empty with positive sizes, got \(inputShape)")
        let wasTraining = model.isTraining
        model.eval()
        defer { if wasTraining { model.train() } }
        var rows: [Row] = []
        withoutGradients {
            _ = Self.visit(model, name: "", depth: 0, input: Tensor.zeros(inputShape), rows: &rows)
        }
        self.inputShape = inputShape
        self.rows = rows
        totalParameters = model.parameterCount()
        trainableParameters = model.parameterCount(trainableOnly: true)
    }

    private static func visit(_ layer: any Layer, name: String, depth: Int, input: Tensor, rows: inout [Row]) -> Tensor {
        guard let sequential = layer as? Sequential else {
            let output = layer(input)
            rows.append(Row(name: name, kind: String(describing: type(of: layer)), depth: depth, outputShape: output.shape,
                            parameters: layer.parameterCount(), multiplyAdds: multiplyAdds(of: layer, output: output.shape)))
            return output
        }
        // The top-level Sequential is the table itself; a nested one gets a row, its children follow indented.
        let index = rows.count
        if depth > 0 { rows.append(Row(name: name, kind: "Sequential", depth: depth, outputShape: [], parameters: 0, multiplyAdds: 0)) }
        var value = input
        for (position, child) in sequential.layers.enumerated() {
            value = visit(child, name: name.isEmpty ? "\(position)" : name + ".\(position)", depth: depth + 1, input: value, rows: &rows)
        }
        if depth > 0 {
            rows[index] = Row(name: name, kind: "Sequential", depth: depth, outputShape: value.shape, parameters: 0, multiplyAdds: 0)
        }
        return value
    }

    /// Multiply-adds of a linear or convolution layer producing `output` (0 for other layers: their
    /// arithmetic is small beside these, and torchinfo counts the same).
    static func multiplyAdds(of module: Module, output: [Int]) -> Int {
        if let linear = module as? Linear { return output.reduce(1, *) * linear.inputSize }
        if let convolution = module as? Conv2d {
            return output.reduce(1, *) * (convolution.inputChannels / convolution.groups) * convolution.kernelSize.height * convolution.kernelSize.width
        }
        if let convolution = module as? Conv1d {
            return output.reduce(1, *) * convolution.weight.shape[1] * convolution.weight.shape[2]
        }
        return 0
    }

    public var description: String { SummaryTable.render(self) }
}

extension Layer {
    /// A torchinfo-like summary of this model for an input of `inputShape` (batch axis included).
    public func summary(inputShape: [Int]) -> ModelSummary { ModelSummary(self, inputShape: inputShape) }
}
