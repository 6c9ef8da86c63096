import Nabla
import NablaCompression
import NablaNN
import Testing

@Suite struct PruningTests {
    final class TwoLayer: Module, Layer {
        let hidden: Linear
        let output: Linear
        init(generator: RandomGenerator) {
            hidden = Linear(inputSize: 10, outputSize: 20, generator: generator)
            output = Linear(inputSize: 20, outputSize: 4, generator: generator)
            super.init()
        }
        func callAsFunction(_ x: Tensor) -> Tensor { output(hidden(x).relu()) }
    }

    @Test func sparsityOutsideZeroToOneIsRefused() {
        let model = TwoLayer(generator: RandomGenerator(seed: 0))
        for bad in [-0.1, 1.0, 1.5, Double.nan] {
            #expect(throws: CompressionError.self) { try MagnitudePruning.masks(for: model, sparsity: bad, scope: .global) }
        }
        #expect(throws: CompressionError.self) { try iterativePruningSchedule(finalSparsity: 1, steps: 3) }
    }

    @Test func layerWisePruningRemovesTheSmallestFractionOfEachLayer() throws {
        let model = TwoLayer(generator: RandomGenerator(seed: 1))
        let masks = try MagnitudePruning.masks(for: model, sparsity: 0.75, scope: .layerWise)
        masks.apply(to: model)
        let report = SparsityReport(model)
        #expect(report.rows.map(\.name) == ["hidden.weight", "output.weight"])
        #expect(report.rows.map(\.zeros) == [150, 60])
        // Every kept weight is at least as large as every pruned one's original magnitude.
        #expect(model.output.bias!.scalars.allSatisfy { $0 != 0 })
    }

    @Test func globalPruningSharesOneThreshold() throws {
        let model = TwoLayer(generator: RandomGenerator(seed: 2))
        let original = model.hidden.weight.scalars + model.output.weight.scalars
        let masks = try MagnitudePruning.masks(for: model, sparsity: 0.5, scope: .global)
        masks.apply(to: model)
        #expect(SparsityReport(model).zeros == 140)
        let kept = (model.hidden.weight.scalars + model.output.weight.scalars).filter { $0 != 0 }.map { abs($0) }
        let pruned = zip(original, model.hidden.weight.scalars + model.output.weight.scalars).filter { $1 == 0 }.map { abs($0.0) }
        #expect(kept.min()! >= pruned.max()!)
    }

    @Test func iterativePruningKeepsEarlierZerosAndFollowsTheSchedule() throws {
        let schedule = try iterativePruningSchedule(finalSparsity: 0.8, steps: 4)
        #expect(schedule.count == 4 && abs(schedule.last! - 0.8) < 1e-12 && zip(schedule, schedule.dropFirst()).allSatisfy { $0 < $1 })
        let model = TwoLayer(generator: RandomGenerator(seed: 3))
        var masks: PruningMasks? = nil
        for sparsity in schedule {
            let previous = masks
            masks = try MagnitudePruning.masks(for: model, sparsity: sparsity, scope: .global, existing: previous)
            if let previous {
                for (name, mask) in previous.masks {
                    #expect(zip(mask.scalars, masks!.masks[name]!.scalars).allSatisfy { $0 == 1 || $1 == 0 })
                }
            }
            masks!.apply(to: model)
            // A "training step" that moves every weight: the masks must put pruned ones back to zero.
            for parameter in model.parameters() { parameter.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] += 0.001 } } }
            masks!.apply(to: model)
        }
        #expect(abs(SparsityReport(model).sparsity - 0.8) < 0.01)
    }
}
