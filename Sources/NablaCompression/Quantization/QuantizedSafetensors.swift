import Foundation
import Nabla
import NablaData
import NablaNN

/// Saving and loading a `QuantizedSequential` as safetensors. For the int8 layer that is stage i of the
/// model (stages are the float model's layers, less each ReLU folded into the layer before it):
///
///     i.weight             I8   (out, in) or (out, in, kh, kw)   symmetric codes in [−127, 127]
///     i.weight_scale       F32  (out)                            per output channel: W ≈ code · scale
///     i.bias               F32  (out)
///     i.input_quantization F32  (2)                              [scale, zero point] of the uint8 input
///
/// and in `__metadata__`: "format": "nabla-int8-v1", "i.kind": "linear" or "conv2d", "i.relu": "true"
/// when a following ReLU is folded in, and for convolutions "i.geometry": "stride_h,stride_w,pad_top,
/// pad_left,pad_bottom,pad_right,dilation_h,dilation_w". Float layers (pooling, flatten) hold no weights
/// and come from the float model given when loading.
public enum QuantizedSafetensors {
    public static let format = "nabla-int8-v1"

    /// Writes `model` to `path` atomically.
    public static func write(_ model: QuantizedSequential, to path: String) throws {
        var tensors: [(String, String, [Int], Data)] = []
        var metadata = ["format": format]
        func floats(_ values: [Float]) -> Data { values.withUnsafeBytes { Data($0) } }
        var position = 0
        for stage in model.stages {
            defer { position += 1 }
            let weights: PerChannelWeights, bias: [Float], input: AffineQuantization
            switch stage {
            case .float:
                continue
            case .linear(let layer):
                (weights, bias, input) = (layer.weights, layer.bias, layer.input)
                metadata["\(position).kind"] = "linear"
                metadata["\(position).relu"] = String(layer.fusedReLU)
            case .convolution(let layer):
                (weights, bias, input) = (layer.weights, layer.bias, layer.input)
                metadata["\(position).kind"] = "conv2d"
                metadata["\(position).relu"] = String(layer.fusedReLU)
                metadata["\(position).geometry"] = [layer.stride.height, layer.stride.width, layer.paddingBefore.height, layer.paddingBefore.width,
                                                    layer.paddingAfter.height, layer.paddingAfter.width, layer.dilation.height, layer.dilation.width]
                    .map(String.init).joined(separator: ",")
            }
            tensors.append(("\(position).weight", "I8", weights.shape, weights.codes.withUnsafeBytes { Data($0) }))
            tensors.append(("\(position).weight_scale", "F32", [weights.outputs], floats(weights.scales)))
            tensors.append(("\(position).bias", "F32", [bias.count], floats(bias)))
            tensors.append(("\(position).input_quantization", "F32", [2], floats([input.scale, Float(input.zeroPoint)])))
        }
        metadata["stages"] = String(model.stages.count)
        var header: [String: Any] = ["__metadata__": metadata]
        var payload = Data(), offset = 0
        for (name, type, shape, data) in tensors {
            header[name] = ["dtype": type, "shape": shape, "data_offsets": [offset, offset + data.count]]
            payload.append(data)
            offset += data.count
        }
        var headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        headerData.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - headerData.count % 8) % 8))
        var file = Data()
        withUnsafeBytes(of: UInt64(headerData.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(headerData)
        file.append(payload)
        try file.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads a model `write` wrote. `floatModel` is the float model it was quantised from (its shape is
    /// what matters): its non-quantised layers (pooling, flatten) fill the float stages.
    public static func read(_ path: String, floatModel: Sequential) throws -> QuantizedSequential {
        let file = try Safetensors.read(path)
        guard file.metadata["format"] == format else {
            throw DataError(.unsupported, file: path, "not a Nabla int8 model (metadata format is \(file.metadata["format"] ?? "missing"), expected \(format))")
        }
        var stages: [QuantizedSequential.Stage] = []
        var index = 0, position = 0
        let layers = floatModel.layers
        while index < layers.count {
            defer { position += 1 }
            guard let kind = file.metadata["\(position).kind"] else {
                stages.append(.float(layers[index]))
                index += 1
                continue
            }
            let codes = try file.intTensor("\(position).weight")
            let weights = PerChannelWeights(codes: codes.scalars.map { Int8($0) }, scales: try file.tensor("\(position).weight_scale").scalars,
                                            shape: codes.shape)
            let bias = try file.tensor("\(position).bias").scalars
            let input = try file.tensor("\(position).input_quantization").scalars
            let quantization = AffineQuantization(scale: input[0], zeroPoint: Int32(input[1]))
            let relu = file.metadata["\(position).relu"] == "true"
            if kind == "linear" {
                let layer = QuantizedLinear(weights: weights, bias: bias, input: quantization)
                layer.fusedReLU = relu
                stages.append(.linear(layer))
            } else {
                let numbers = (file.metadata["\(position).geometry"] ?? "").split(separator: ",").compactMap { Int($0) }
                guard numbers.count == 8 else { throw DataError(.unsupported, file: path, "layer \(position): geometry is missing or damaged") }
                let layer = QuantizedConv2d(weights: weights, bias: bias, input: quantization, stride: Size2(numbers[0], numbers[1]),
                                            paddingBefore: Size2(numbers[2], numbers[3]), paddingAfter: Size2(numbers[4], numbers[5]),
                                            dilation: Size2(numbers[6], numbers[7]))
                layer.fusedReLU = relu
                stages.append(.convolution(layer))
            }
            index += relu ? 2 : 1
        }
        return QuantizedSequential(stages: stages)
    }
}
