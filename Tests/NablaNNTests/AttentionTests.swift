import Foundation
import Nabla
@testable import NablaNN
import NablaTestSupport
import Testing

// MultiheadAttention, the Transformer layers and stacks, and the positional encodings beyond the
// PyTorch reference values: gradients by finite differences, masks that really block, weights, layouts,
// parameter names, and the encodings' values against their formula.

extension NablaNNSuite {
    @Suite struct AttentionTests {
        static func random(_ shape: [Int], seed: UInt64) -> Tensor { RandomGenerator(seed: seed).normal(shape) }

        /// A copy of `tensor` with the entries at `index` along `axis` (batch `batch` on axis 0) replaced by noise.
        static func changed(_ tensor: Tensor, batch: Int, axis: Int, index: Int) -> Tensor {
            var values = tensor.scalars
            let shape = tensor.shape
            let strides = (0..<shape.count).map { shape[($0 + 1)...].reduce(1, *) }
            let noise = RandomGenerator(seed: 99)
            for flat in values.indices where (flat / strides[0]) % shape[0] == batch && (flat / strides[axis]) % shape[axis] == index {
                values[flat] += 1 + noise.nextUnitFloat()
            }
            return Tensor(values, shape: shape)
        }

        // MARK: Multi-head attention

        @Test func attentionParameterNamesAndInitialisation() {
            let attention = MultiheadAttention(embedDimension: 8, headCount: 2, generator: RandomGenerator(seed: 0))
            #expect(attention.stateKeys() == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"])
            #expect(attention.inputProjectionWeight.shape == [24, 8])
            // Xavier-uniform bound √(6 / (8 + 24)); biases start at zero.
            let bound = Float(6.0 / 32).squareRoot()
            #expect(attention.inputProjectionWeight.scalars.allSatisfy { Swift.abs($0) <= bound })
            #expect(attention.inputProjectionBias!.scalars.allSatisfy { $0 == 0 })
            #expect(attention.outputProjection.bias!.scalars.allSatisfy { $0 == 0 })
            #expect(attention.parameters().allSatisfy { $0.requiresGrad })
            #expect(MultiheadAttention(embedDimension: 4, headCount: 1, bias: false, generator: RandomGenerator(seed: 0)).stateKeys()
                    == ["in_proj_weight", "out_proj.weight"])
        }

        @Test func attentionGradientsMatchFiniteDifferences() {
            let attention = MultiheadAttention(embedDimension: 4, headCount: 2, batchFirst: true, generator: RandomGenerator(seed: 1))
            let x = Self.random([2, 3, 4], seed: 2), memory = Self.random([2, 5, 4], seed: 3)
            // Self-attention (packed projection) with a causal mask.
            SequenceGradientCheck.check("self-attention", module: attention, inputs: [x]) { inputs in
                attention(query: inputs[0], key: inputs[0], value: inputs[0], mask: .causal).output
            }
            // Cross-attention (separate projections) with key padding, plus the head-averaged weights.
            let padding = Tensor(rows: [[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]])
            SequenceGradientCheck.check("cross-attention", module: attention, inputs: [x, memory, memory * 0.5]) { inputs in
                let (output, weights) = attention(query: inputs[0], key: inputs[1], value: inputs[2], keyPaddingMask: padding)
                return Tensor.concat([output.flattened(), weights!.flattened()])
            }
        }

        @Test func causalMaskBlocksLaterPositions() {
            let attention = MultiheadAttention(embedDimension: 8, headCount: 2, batchFirst: true, generator: RandomGenerator(seed: 4))
            let x = Self.random([2, 5, 8], seed: 5)
            let (output, weights) = attention(query: x, key: x, value: x, mask: .causal)
            // Changing position 3 of sample 0 leaves its outputs at positions 0…2 alone, but not position 3.
            let y = Self.changed(x, batch: 0, axis: 1, index: 3)
            let changedOutput = attention(query: y, key: y, value: y, mask: .causal).output
            expectClose(changedOutput.sliced(axis: 1, start: 0, end: 3), output.sliced(axis: 1, start: 0, end: 3),
                        "outputs before the changed position", tolerance: .exact)
            #expect(changedOutput.sliced(axis: 1, start: 3).scalars != output.sliced(axis: 1, start: 3).scalars)

            // The weights are zero above the diagonal and each row sums to one.
            let w = weights!
            #expect(w.shape == [2, 5, 5])
            for batch in 0..<2 { for row in 0..<5 { for column in (row + 1)..<5 { #expect(w[batch, row, column] == 0) } } }
            expectClose(w.sum(axis: -1), Tensor.ones([2, 5]), "rows of weights sum to 1", tolerance: .exact)

            // The same mask spelled PyTorch's other ways gives the same result.
            let blocked = Tensor(rows: (0..<5).map { row in (0..<5).map { $0 > row ? 1 : 0 } })
            let spellings: [(String, AttentionMask)] = [("additive", .additive(Transformer.causalMask(size: 5))),
                                                        ("blocked", .blocked(blocked)), ("allowed", .allowed(1 - blocked))]
            for (label, mask) in spellings {
                expectClose(attention(query: x, key: x, value: x, mask: mask).output, output, "\(label) causal mask", tolerance: .exact)
            }
            // Per batch and head: (batch·heads, L, S).
            let stacked = Transformer.causalMask(size: 5).unsqueezed(axis: 0).expanded(to: [4, 5, 5])
            expectClose(attention(query: x, key: x, value: x, mask: .additive(stacked)).output, output, "(batch·heads, L, S) mask",
                        tolerance: .exact)
        }

        @Test func keyPaddingMaskIgnoresPaddedKeys() {
            let attention = MultiheadAttention(embedDimension: 8, headCount: 4, generator: RandomGenerator(seed: 6))
            let query = Self.random([3, 2, 8], seed: 7), memory = Self.random([4, 2, 8], seed: 8)   // sequence-first
            let padding = Tensor(rows: [[0, 0, 1, 1], [0, 0, 0, 0]])   // sample 0 ignores keys 2 and 3
            let (output, weights) = attention(query: query, key: memory, value: memory, keyPaddingMask: padding, averageWeights: false)
            #expect(output.shape == [3, 2, 8] && weights!.shape == [2, 4, 3, 4])

            // A padded key of sample 0 may change freely; an unpadded one of sample 1 matters.
            func memoryChanged(batch: Int, key: Int) -> Tensor {
                Self.changed(memory.transposed(0, 1).contiguous(), batch: batch, axis: 1, index: key).transposed(0, 1)
            }
            let padded = memoryChanged(batch: 0, key: 3)
            let afterPadded = attention(query: query, key: padded, value: padded, keyPaddingMask: padding).output
            expectClose(afterPadded, output, "changing a padded key", tolerance: .exact)
            let live = memoryChanged(batch: 1, key: 3)
            let afterLive = attention(query: query, key: live, value: live, keyPaddingMask: padding).output
            #expect(afterLive.sliced(axis: 1, start: 1, end: 2).scalars != output.sliced(axis: 1, start: 1, end: 2).scalars)
            let w = weights!
            for head in 0..<4 { for row in 0..<3 { #expect(w[0, head, row, 2] == 0 && w[0, head, row, 3] == 0) } }

            // A query whose keys are all masked gets zeros, not NaN.
            let everything = Tensor.ones([2, 4])
            let (empty, emptyWeights) = attention(query: query, key: memory, value: memory, keyPaddingMask: everything)
            let bias = attention.outputProjection.bias!   // zero output heads leave out_proj's bias
            expectClose(empty, bias.expanded(to: [3, 2, 8]), "fully masked queries", tolerance: .exact)
            #expect(emptyWeights!.scalars.allSatisfy { $0 == 0 })
        }

        @Test func attentionLayoutsAgree() throws {
            let sequenceFirst = MultiheadAttention(embedDimension: 6, headCount: 3, generator: RandomGenerator(seed: 9))
            let batchFirst = MultiheadAttention(embedDimension: 6, headCount: 3, batchFirst: true, generator: RandomGenerator(seed: 0))
            try batchFirst.loadStateDictionary(sequenceFirst.stateDictionary())
            let x = Self.random([4, 2, 6], seed: 10)
            let (output, weights) = sequenceFirst(query: x, key: x, value: x)
            let (batchOutput, batchWeights) = batchFirst(query: x.transposed(0, 1), key: x.transposed(0, 1), value: x.transposed(0, 1))
            expectClose(batchOutput.transposed(0, 1), output, "batch-first output", tolerance: .exact)
            expectClose(batchWeights, weights!, "batch-first weights", tolerance: .exact)
            let single = x.sliced(axis: 1, start: 1, end: 2).squeezed(axis: 1)
            let (singleOutput, singleWeights) = sequenceFirst(query: single, key: single, value: single)
            expectClose(singleOutput, output.sliced(axis: 1, start: 1, end: 2).squeezed(axis: 1), "unbatched output", tolerance: .exact)
            #expect(singleWeights?.shape == [4, 4])
            // Packed (self) and separate (cross) projections agree when the three inputs hold the same values.
            let copy = Tensor(x.scalars, shape: x.shape)
            expectClose(sequenceFirst(query: x, key: copy, value: copy).output, output, "separate projections", tolerance: .exact)
        }

        @Test func attentionDropoutActsInTrainingOnly() throws {
            let attention = MultiheadAttention(embedDimension: 8, headCount: 2, dropout: 0.5, batchFirst: true, generator: RandomGenerator(seed: 12))
            let plain = MultiheadAttention(embedDimension: 8, headCount: 2, batchFirst: true, generator: RandomGenerator(seed: 0))
            try plain.loadStateDictionary(attention.stateDictionary())
            let x = Self.random([2, 5, 8], seed: 13)
            let reference = plain(query: x, key: x, value: x).output
            #expect(attention(query: x, key: x, value: x).output.scalars != reference.scalars)
            attention.eval()
            expectClose(attention(query: x, key: x, value: x).output, reference, "evaluation mode", tolerance: .exact)
        }

        // MARK: Transformer layers

        @Test func encoderLayerGradientsMatchFiniteDifferences() {
            for normFirst in [false, true] {
                let layer = TransformerEncoderLayer(modelDimension: 4, headCount: 2, feedforwardDimension: 6, dropout: 0,
                                                    activation: .gelu, batchFirst: true, normFirst: normFirst,
                                                    generator: RandomGenerator(seed: 14))
                let x = Self.random([2, 3, 4], seed: 15)
                SequenceGradientCheck.check("encoder layer (normFirst \(normFirst))", module: layer, inputs: [x]) { inputs in
                    layer(inputs[0], mask: .causal)
                }
            }
        }

        @Test func decoderLayerGradientsMatchFiniteDifferences() {
            let layer = TransformerDecoderLayer(modelDimension: 4, headCount: 2, feedforwardDimension: 6, dropout: 0,
                                                activation: .gelu, generator: RandomGenerator(seed: 16))
            let target = Self.random([3, 2, 4], seed: 17), memory = Self.random([4, 2, 4], seed: 18)   // sequence-first
            let padding = Tensor(rows: [[0, 0, 0, 1], [0, 0, 0, 0]])
            SequenceGradientCheck.check("decoder layer", module: layer, inputs: [target, memory]) { inputs in
                layer(inputs[0], memory: inputs[1], targetMask: .causal, memoryKeyPaddingMask: padding)
            }
        }

        @Test func transformerParameterNamesFollowPyTorch() {
            let generator = RandomGenerator(seed: 0)
            let attention = ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
            let feedforward = ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]
            func norms(_ count: Int) -> [String] { (1...count).flatMap { ["norm\($0).weight", "norm\($0).bias"] } }

            let encoderLayer = TransformerEncoderLayer(modelDimension: 8, headCount: 2, feedforwardDimension: 16, generator: generator)
            #expect(encoderLayer.stateKeys() == attention.map { "self_attn." + $0 } + feedforward + norms(2))
            let decoderLayer = TransformerDecoderLayer(modelDimension: 8, headCount: 2, feedforwardDimension: 16, generator: generator)
            #expect(decoderLayer.stateKeys() == attention.map { "self_attn." + $0 } + attention.map { "multihead_attn." + $0 }
                    + feedforward + norms(3))

            let encoder = TransformerEncoder(layerCount: 2, norm: LayerNorm(normalizedShape: [8])) { _ in
                TransformerEncoderLayer(modelDimension: 8, headCount: 2, feedforwardDimension: 16, generator: generator)
            }
            let keys = encoder.stateKeys()
            #expect(keys.first == "layers.0.self_attn.in_proj_weight")
            #expect(keys.contains("layers.1.linear2.bias"))
            #expect(Array(keys.suffix(2)) == ["norm.weight", "norm.bias"])
            #expect(keys.count == 2 * 12 + 2)
            #expect(TransformerDecoder(layerCount: 1) { _ in decoderLayer }.stateKeys().last == "layers.0.norm3.bias")
        }

        @Test func encoderStackMatchesItsLayersAndBlocksTheFuture() {
            let generator = RandomGenerator(seed: 19)
            let layers = (0..<2).map { _ in
                TransformerEncoderLayer(modelDimension: 8, headCount: 2, feedforwardDimension: 16, dropout: 0, activation: .gelu,
                                        batchFirst: true, normFirst: true, generator: generator)
            }
            let norm = LayerNorm(normalizedShape: [8])
            let encoder = TransformerEncoder(layers: layers, norm: norm)
            let x = Self.random([2, 5, 8], seed: 20)
            let output = encoder(x, mask: .causal)
            expectClose(output, norm(layers[1](layers[0](x, mask: .causal), mask: .causal)), "stack = layers then norm", tolerance: .exact)
            // Through both layers, position 4 still cannot reach positions 0…3.
            let changed = encoder(Self.changed(x, batch: 1, axis: 1, index: 4), mask: .causal)
            expectClose(changed.sliced(axis: 1, start: 0, end: 4), output.sliced(axis: 1, start: 0, end: 4), "causal stack", tolerance: .exact)
            // As a Layer it runs without masks, inside a Sequential.
            let model = Sequential(SinusoidalPositionalEncoding(embedDimension: 8, batchFirst: true), encoder)
            #expect(model(x).shape == [2, 5, 8])
        }

        @Test func decoderStackRunsWithMemory() {
            let generator = RandomGenerator(seed: 21)
            let decoder = TransformerDecoder(layerCount: 2, norm: LayerNorm(normalizedShape: [8])) { _ in
                TransformerDecoderLayer(modelDimension: 8, headCount: 2, feedforwardDimension: 16, dropout: 0, batchFirst: true,
                                        generator: generator)
            }
            let target = Self.random([2, 4, 8], seed: 22), memory = Self.random([2, 6, 8], seed: 23)
            let output = decoder(target, memory: memory, targetMask: .causal)
            #expect(output.shape == [2, 4, 8])
            #expect(output.scalars.allSatisfy { $0.isFinite })
            // Post-norm with a final norm: every position is normalised (mean 0).
            #expect(output.mean(axis: -1).scalars.allSatisfy { Swift.abs($0) < 1e-5 })
            // The memory matters, future target positions do not.
            let otherMemory = decoder(target, memory: Self.changed(memory, batch: 0, axis: 1, index: 5), targetMask: .causal)
            #expect(otherMemory.sliced(axis: 0, start: 0, end: 1).scalars != output.sliced(axis: 0, start: 0, end: 1).scalars)
            expectClose(otherMemory.sliced(axis: 0, start: 1), output.sliced(axis: 0, start: 1), "other sample untouched", tolerance: .exact)
            let laterTarget = decoder(Self.changed(target, batch: 0, axis: 1, index: 3), memory: memory, targetMask: .causal)
            expectClose(laterTarget.sliced(axis: 1, start: 0, end: 3), output.sliced(axis: 1, start: 0, end: 3), "causal target", tolerance: .exact)
            // Memory padding: a padded memory position can change freely.
            let padding = Tensor(rows: [[0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0]])
            let padded = decoder(target, memory: memory, targetMask: .causal, memoryKeyPaddingMask: padding)
            let paddedChanged = decoder(target, memory: Self.changed(memory, batch: 0, axis: 1, index: 5), targetMask: .causal,
                                        memoryKeyPaddingMask: padding)
            expectClose(paddedChanged, padded, "padded memory position", tolerance: .exact)

            // Gradients reach the memory and every parameter.
            let leaf = Tensor(memory.scalars, shape: memory.shape, requiresGrad: true)
            decoder(target, memory: leaf, targetMask: .causal).sum().backward()
            #expect(leaf.grad != nil && decoder.parameters().allSatisfy { $0.grad != nil })
        }

        @Test func transformerDropoutActsInTrainingOnly() throws {
            let layer = TransformerEncoderLayer(modelDimension: 8, headCount: 2, feedforwardDimension: 16, dropout: 0.3,
                                                generator: RandomGenerator(seed: 24))
            let plain = TransformerEncoderLayer(modelDimension: 8, headCount: 2, feedforwardDimension: 16, dropout: 0,
                                                generator: RandomGenerator(seed: 0))
            try plain.loadStateDictionary(layer.stateDictionary())
            let x = Self.random([5, 2, 8], seed: 25)
            #expect(layer(x).scalars != plain(x).scalars)
            layer.eval()
            #expect(layer.namedModules().allSatisfy { !$0.module.isTraining })
            expectClose(layer(x), plain(x), "evaluation mode", tolerance: .exact)
        }

        @Test func wrongShapesNameTheLayer() async throws {
            let encoder = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let layer = TransformerEncoderLayer(modelDimension: 8, headCount: 2, batchFirst: true, generator: RandomGenerator(seed: 0))
                _ = layer(Tensor.ones([2, 5, 6]))
            }
            let message = String(decoding: encoder.standardErrorContent, as: UTF8.self)
            #expect(message.contains("TransformerEncoderLayer") && message.contains("(batch, sequence, 8)") && message.contains("[2, 5, 6]"), "\(message)")

            let attention = try await #require(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let attention = MultiheadAttention(embedDimension: 8, headCount: 2, generator: RandomGenerator(seed: 0))
                let x = Tensor.ones([5, 2, 8])
                _ = attention(query: x, key: x, value: x, mask: .additive(Tensor.zeros([5, 4])))
            }
            let maskMessage = String(decoding: attention.standardErrorContent, as: UTF8.self)
            #expect(maskMessage.contains("MultiheadAttention") && maskMessage.contains("[5, 5]") && maskMessage.contains("[5, 4]"), "\(maskMessage)")
        }

        // MARK: Positional encodings

        @Test func sinusoidalEncodingFollowsTheFormula() {
            let encoding = SinusoidalPositionalEncoding(embedDimension: 6, maximumLength: 50)
            for position in [0, 1, 7, 49] {
                for index in 0..<6 {
                    let angle = Double(position) / pow(10000, Double(index - index % 2) / 6)
                    let expected = index % 2 == 0 ? sin(angle) : cos(angle)
                    #expect(Swift.abs(Double(encoding.table[position, index]) - expected) < 1e-6, "PE(\(position), \(index))")
                }
            }
            #expect(encoding.stateKeys().isEmpty && encoding.parameters().isEmpty)

            // Added along the sequence axis in every layout; startPosition continues a sequence.
            let x = Self.random([4, 3, 6], seed: 26)   // sequence-first
            let y = encoding(x)
            let rows = encoding.table.sliced(axis: 0, start: 0, end: 4)
            expectClose(y - x, rows.unsqueezed(axis: 1).expanded(to: [4, 3, 6]), "sequence-first", tolerance: .exact)
            let batchFirst = SinusoidalPositionalEncoding(embedDimension: 6, maximumLength: 50, batchFirst: true)
            expectClose(batchFirst(x.transposed(0, 1)), y.transposed(0, 1), "batch-first", tolerance: .exact)
            let continued = encoding(x.sliced(axis: 0, start: 2), startPosition: 2)
            expectClose(continued, y.sliced(axis: 0, start: 2), "start position", tolerance: .exact)
            // An odd width keeps the sine of its last pair.
            #expect(Swift.abs(SinusoidalPositionalEncoding(embedDimension: 5, maximumLength: 3).table[2, 4] - Float(sin(2 / pow(10000, 0.8)))) < 1e-6)
        }

        @Test func learnedEmbeddingAddsTrainableRows() {
            let embedding = LearnedPositionalEmbedding(maximumLength: 10, embedDimension: 4, batchFirst: true,
                                                       generator: RandomGenerator(seed: 27))
            #expect(embedding.stateKeys() == ["weight"] && embedding.weight.shape == [10, 4] && embedding.weight.requiresGrad)
            let x = Self.random([2, 3, 4], seed: 28)
            expectClose(embedding(x) - x, embedding.weight.sliced(axis: 0, start: 0, end: 3).expanded(to: [2, 3, 4]),
                        "rows 0..<3", tolerance: .exact)
            SequenceGradientCheck.check("learned positions", module: embedding, inputs: [x]) { inputs in
                embedding(inputs[0], startPosition: 5)
            }
            // Rows outside the positions used get no gradient (zero).
            embedding.zeroGradients()
            embedding(x).sum().backward()
            let gradient = embedding.weight.grad!
            #expect(gradient.sliced(axis: 0, start: 0, end: 3).scalars.allSatisfy { $0 == 2 })
            #expect(gradient.sliced(axis: 0, start: 3).scalars.allSatisfy { $0 == 0 })
        }

        @Test func causalMaskHelperIsPyTorchs() {
            let mask = Transformer.causalMask(size: 3)
            #expect(mask.scalars == [0, -.infinity, -.infinity, 0, 0, -.infinity, 0, 0, 0])
        }
    }
}
