import Foundation
import Nabla
import NablaCompression
import NablaData
import NablaNN
import Testing

@Suite struct QuantizationTests {
    @Test func affineRoundTripErrorIsAtMostHalfAStep() {
        let generator = RandomGenerator(seed: 1)
        let values = generator.uniform([1000], low: -3, high: 5).scalars
        let quantization = AffineQuantization(minimum: values.min()!, maximum: values.max()!)
        for value in values {
            let error = abs(quantization.dequantize(quantization.quantize(value)) - value)
            #expect(error <= quantization.scale / 2 * 1.0001)
        }
        #expect(quantization.dequantize(quantization.quantize(0)) == 0)
    }

    @Test func perChannelRoundTripErrorIsAtMostHalfAStepOfItsChannel() {
        let weight = RandomGenerator(seed: 2).normal([6, 20])
        let quantized = PerChannelWeights(quantizing: weight)
        let restored = quantized.dequantized().scalars, original = weight.scalars
        for index in original.indices {
            #expect(abs(restored[index] - original[index]) <= quantized.scales[index / 20] / 2 * 1.0001)
        }
        #expect(quantized.codes.allSatisfy { $0 >= -127 })
    }

    @Test func quantizedLinearMatchesTheFloatLayerOnQuantizedValues() throws {
        let generator = RandomGenerator(seed: 3)
        let layer = Linear(inputSize: 70, outputSize: 9, generator: generator)
        let input = generator.uniform([5, 70], low: -1, high: 2)
        var observer = MinMaxObserver()
        observer.observe(input)
        let quantization = try observer.quantization()
        let quantized = QuantizedLinear(layer, input: quantization)
        // The float layer applied to the dequantised input and weights is what int8 computes, to rounding.
        let dequantizedInput = Tensor(input.scalars.map { quantization.dequantize(quantization.quantize($0)) }, shape: input.shape)
        let expected = linear(dequantizedInput, weight: quantized.weights.dequantized(), bias: layer.bias).scalars
        let actual = quantized(input).scalars
        for index in expected.indices { #expect(abs(actual[index] - expected[index]) <= 1e-4 * max(1, abs(expected[index]))) }
        let float = layer(input).scalars
        for index in float.indices { #expect(abs(actual[index] - float[index]) < 0.05) }
    }

    @Test func quantizedConvolutionMatchesTheFloatConvolutionOnQuantizedValues() throws {
        let generator = RandomGenerator(seed: 4)
        let layer = Conv2d(inputChannels: 3, outputChannels: 5, kernelSize: Size2(3, 3), stride: Size2(2, 1), padding: 1, generator: generator)
        let input = generator.uniform([2, 3, 7, 6], low: 0, high: 1)
        var observer = MinMaxObserver()
        observer.observe(input)
        let quantization = try observer.quantization()
        let quantized = QuantizedConv2d(layer, input: quantization)
        let dequantizedInput = Tensor(input.scalars.map { quantization.dequantize(quantization.quantize($0)) }, shape: input.shape)
        let expected = conv2d(dequantizedInput, weight: quantized.weights.dequantized(), bias: layer.bias, stride: Size2(2, 1), padding: 1)
        let actual = quantized(input)
        #expect(actual.shape == expected.shape)
        let expectedValues = expected.scalars, actualValues = actual.scalars
        for index in expectedValues.indices { #expect(abs(actualValues[index] - expectedValues[index]) <= 1e-4) }
    }

    @Test func observersRefuseAnEmptyCalibrationSetAndBadPercentiles() throws {
        #expect(throws: CompressionError.emptyCalibrationSet) { try MinMaxObserver().quantization() }
        #expect(throws: CompressionError.emptyCalibrationSet) { try PercentileObserver().quantization() }
        #expect(throws: CompressionError.percentileOutOfRange(0)) { try PercentileObserver(percentile: 0) }
        #expect(throws: CompressionError.percentileOutOfRange(101)) { try PercentileObserver(percentile: 101) }
    }

    @Test func percentileObserverClipsAnOutlierThatMinMaxKeeps() throws {
        var values = [Float](repeating: 0, count: 10_000)
        for index in values.indices { values[index] = Float(index % 100) / 100 }
        values[0] = 1000
        var minMax = MinMaxObserver(), percentile = try PercentileObserver(percentile: 99.9)
        minMax.observe(Tensor(values))
        percentile.observe(Tensor(values))
        #expect(try minMax.quantization().scale > 3)
        #expect(try percentile.quantization().scale < 0.01)
    }
}

@Suite struct QuantizedModelTests {
    func smallNetwork(_ generator: RandomGenerator) -> Sequential {
        Sequential(Conv2d(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                   MaxPool2d(kernelSize: 2), Flatten(), Linear(inputSize: 4 * 4 * 4, outputSize: 3, generator: generator))
    }

    @Test func calibratedModelFollowsTheFloatModel() throws {
        let generator = RandomGenerator(seed: 5)
        let model = smallNetwork(generator)
        let images = generator.uniform([16, 1, 8, 8])
        let quantized = try QuantizedSequential(model, calibration: [images]) { try PercentileObserver(percentile: 100) }
        let float = model(images).scalars, int8 = quantized(images).scalars
        let largest = float.map { abs($0) }.max()!
        for index in float.indices { #expect(abs(float[index] - int8[index]) < 0.05 * largest) }
    }

    @Test func anEmptyCalibrationSetIsRefused() {
        let model = smallNetwork(RandomGenerator(seed: 6))
        #expect(throws: CompressionError.emptyCalibrationSet) { try QuantizedSequential(model, calibration: []) { MinMaxObserver() } }
        #expect(throws: CompressionError.emptyCalibrationSet) {
            try QuantizedSequential(model, calibration: [Tensor.zeros([0, 1, 8, 8])]) { MinMaxObserver() }
        }
    }
}

@Suite struct QuantizedSafetensorsTests {
    @Test func savedInt8ModelLoadsAndComputesTheSameOutputs() throws {
        let generator = RandomGenerator(seed: 9)
        let model = Sequential(Conv2d(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                               MaxPool2d(kernelSize: 2), Flatten(), Linear(inputSize: 64, outputSize: 5, generator: generator), ReLU(),
                               Linear(inputSize: 5, outputSize: 3, generator: generator))
        let images = generator.uniform([6, 1, 8, 8])
        let quantized = try QuantizedSequential(model, calibration: [images]) { MinMaxObserver() }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nabla-int8-\(UInt32.random(in: 0...UInt32.max)).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try QuantizedSafetensors.write(quantized, to: path)
        let loaded = try QuantizedSafetensors.read(path, floatModel: model)
        #expect(loaded(images).scalars == quantized(images).scalars)
        #expect(try Safetensors.read(path).entry("0.weight")?.dataType == .int8)
    }
}
