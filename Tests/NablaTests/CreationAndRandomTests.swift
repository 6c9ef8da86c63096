import NablaTestSupport
import Testing
@testable import Nabla

// Tensor creation (zeros, ones, full, arange, linspace, eye, oneHot), the seeded random generator (exact
// repeats, statistics of its distributions on 100,000 draws) and how tensors print.

/// Mean and (population) variance in double precision.
private func moments(_ values: [Float]) -> (mean: Double, variance: Double) {
    let mean = values.reduce(0) { $0 + Double($1) } / Double(values.count)
    let variance = values.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
    return (mean, variance)
}

@Suite struct CreationAndRandomTests {
    static let draws = 100_000

    // MARK: Creation

    @Test func zerosOnesAndFull() {
        expectValues(Tensor.zeros([2, 3]), [Float](repeating: 0, count: 6), shape: [2, 3])
        expectValues(Tensor.ones([4]), [1, 1, 1, 1], shape: [4])
        expectValues(Tensor.full([2, 2], value: -7.5), [-7.5, -7.5, -7.5, -7.5], shape: [2, 2])
        expectValues(Tensor.full([], value: 3), [3], shape: [])
        expectValues(Tensor.zeros([0, 3]), [], shape: [0, 3])
        expectValues(Tensor.zeros(like: Tensor.ones([3, 1])), [0, 0, 0], shape: [3, 1])
        #expect(Tensor.zeros([2], requiresGrad: true).requiresGrad)
        #expect(!Tensor.ones([2]).requiresGrad)
    }

    @Test func literalsAndElementAccess() {
        let matrix = Tensor(rows: [[1, 2, 3], [4, 5, 6]])
        #expect(matrix.shape == [2, 3])
        #expect(matrix[1, 0] == 4)
        #expect(Tensor(scalar: 2.5).item == 2.5)
        #expect(Tensor(scalar: 2.5).rank == 0)
        #expect(Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])[2, 1] == 6)
        #expect(Tensor([1.7, -1.7, 2]).asIntTensor == IntTensor([1, -1, 2]), "rounds toward zero")
        expectValues(IntTensor([3, 1], shape: [2, 1]).asTensor, [3, 1], shape: [2, 1])
        #expect(IntTensor([1, 2, 3]).countEqual(IntTensor([1, 0, 3])) == 2)
        #expect(IntTensor([1, 2, 3, 4], shape: [2, 2])[1, 0] == 3)
    }

    @Test func arange() {
        expectValues(Tensor.arange(0, 5), [0, 1, 2, 3, 4], shape: [5])
        expectValues(Tensor.arange(1, 2, step: 0.25), [1, 1.25, 1.5, 1.75])
        expectValues(Tensor.arange(5, 0, step: -2), [5, 3, 1])        // counts down
        expectValues(Tensor.arange(3, 3), [], shape: [0])
        expectValues(Tensor.arange(3, 1), [], shape: [0])             // wrong direction: empty, like PyTorch
        #expect(Tensor.arange(0, 1, step: 0.1).count == 10, "torch.arange(0, 1, 0.1) has 10 values")
    }

    @Test func linspace() {
        expectValues(Tensor.linspace(0, 1, count: 5), [0, 0.25, 0.5, 0.75, 1])
        let values = Tensor.linspace(-1, 0.3, count: 7).scalars
        #expect(values.count == 7)
        #expect(values.first == -1 && values.last == 0.3, "both ends are exact")
        expectClose(values.map(Double.init), (0..<7).map { -1 + 1.3 * Double($0) / 6 }, "linspace(-1, 0.3, 7)", tolerance: .exact)
        expectValues(Tensor.linspace(2, 9, count: 1), [2])
        expectValues(Tensor.linspace(2, 9, count: 0), [], shape: [0])
        expectValues(Tensor.linspace(1, -1, count: 3), [1, 0, -1], "decreasing")
    }

    @Test func eye() {
        expectValues(Tensor.eye(3), [1, 0, 0, 0, 1, 0, 0, 0, 1], shape: [3, 3])
        expectValues(Tensor.eye(2, 3), [1, 0, 0, 0, 1, 0], shape: [2, 3])
        expectValues(Tensor.eye(3, 2), [1, 0, 0, 1, 0, 0], shape: [3, 2])
    }

    @Test func oneHot() {
        expectValues(Tensor.oneHot(IntTensor([2, 0, 1]), classes: 3), [0, 0, 1, 1, 0, 0, 0, 1, 0], shape: [3, 3])
        let batch = Tensor.oneHot(IntTensor([1, 0, 3, 3], shape: [2, 2]), classes: 4)
        #expect(batch.shape == [2, 2, 4])
        #expect(batch[1, 0, 3] == 1 && batch[0, 1, 0] == 1 && batch[0, 0, 0] == 0)
        expectValues(batch.sum(axis: -1), [1, 1, 1, 1], shape: [2, 2], "one 1 per label")
    }

    // MARK: Seeded randomness

    @Test func sameSeedRepeatsExactly() {
        let first = RandomGenerator(seed: 42), second = RandomGenerator(seed: 42)
        #expect((0..<100).map { _ in first.next() } == (0..<100).map { _ in second.next() })
        #expect(first.normal([50]).scalars == second.normal([50]).scalars)
        #expect(first.uniform([50], low: -1, high: 1).scalars == second.uniform([50], low: -1, high: 1).scalars)
        #expect(first.permutation(30) == second.permutation(30))
        #expect(first.bernoulli([40], probability: 0.5).scalars == second.bernoulli([40], probability: 0.5).scalars)
    }

    @Test func differentSeedsDiffer() {
        let streams = [0, 1, 2, 42, 43].map { seed -> [UInt64] in
            let generator = RandomGenerator(seed: UInt64(seed))
            return (0..<8).map { _ in generator.next() }
        }
        #expect(Set(streams.map { $0.description }).count == streams.count)
        #expect(RandomGenerator(seed: 1).normal([20]).scalars != RandomGenerator(seed: 2).normal([20]).scalars)
    }

    @Test func savedStateResumesTheStream() {
        let generator = RandomGenerator(seed: 7)
        _ = generator.normal([5])
        let saved = generator.state
        let expected = generator.uniform([10]).scalars
        generator.state = saved
        #expect(generator.uniform([10]).scalars == expected)
    }

    @Test func uniformStatistics() {
        let values = RandomGenerator(seed: 1).uniform([Self.draws], low: -2, high: 3).scalars
        #expect(values.allSatisfy { $0 >= -2 && $0 < 3 })
        let (mean, variance) = moments(values)
        // Mean 0.5, variance 25/12; the standard error of the mean is 0.005.
        #expect(Swift.abs(mean - 0.5) < 0.03, "mean \(mean)")
        #expect(Swift.abs(variance - 25.0 / 12) < 0.03, "variance \(variance)")
        // Each tenth of the range holds about a tenth of the values.
        var bins = [Int](repeating: 0, count: 10)
        for value in values { bins[Swift.min(9, Int((value + 2) * 2))] += 1 }
        #expect(bins.allSatisfy { Swift.abs($0 - Self.draws / 10) < 500 }, "bins \(bins)")
        let unit = RandomGenerator(seed: 2)
        #expect((0..<10_000).allSatisfy { _ in (0..<1).contains(unit.nextUnitFloat()) })
    }

    @Test func normalStatistics() {
        let values = RandomGenerator(seed: 3).normal([Self.draws], mean: 2, standardDeviation: 3).scalars
        let (mean, variance) = moments(values)
        // Standard errors: mean 0.0095, standard deviation 0.0067.
        #expect(Swift.abs(mean - 2) < 0.05, "mean \(mean)")
        #expect(Swift.abs(variance.squareRoot() - 3) < 0.04, "standard deviation \(variance.squareRoot())")
        // About 68.27% within one standard deviation, 95.45% within two.
        let withinOne = Double(values.filter { Swift.abs($0 - 2) < 3 }.count) / Double(Self.draws)
        let withinTwo = Double(values.filter { Swift.abs($0 - 2) < 6 }.count) / Double(Self.draws)
        #expect(Swift.abs(withinOne - 0.6827) < 0.01, "within 1σ: \(withinOne)")
        #expect(Swift.abs(withinTwo - 0.9545) < 0.005, "within 2σ: \(withinTwo)")
        // Symmetric: as many above the mean as below.
        let above = Double(values.filter { $0 > 2 }.count) / Double(Self.draws)
        #expect(Swift.abs(above - 0.5) < 0.01, "above the mean: \(above)")
    }

    @Test func bernoulliStatistics() {
        let values = RandomGenerator(seed: 4).bernoulli([Self.draws], probability: 0.3).scalars
        #expect(values.allSatisfy { $0 == 0 || $0 == 1 })
        let rate = moments(values).mean
        #expect(Swift.abs(rate - 0.3) < 0.01, "rate \(rate)")
        #expect(RandomGenerator(seed: 5).bernoulli([1000], probability: 0).scalars.allSatisfy { $0 == 0 })
        #expect(RandomGenerator(seed: 5).bernoulli([1000], probability: 1).scalars.allSatisfy { $0 == 1 })
    }

    @Test func permutationIsAPermutation() {
        let generator = RandomGenerator(seed: 6)
        let order = generator.permutation(1000)
        #expect(order.sorted() == Array(0..<1000))
        #expect(order != Array(0..<1000), "shuffled")
        #expect(generator.permutation(1000) != order, "the generator advances")
        #expect(generator.permutation(0).isEmpty)
        #expect(generator.permutation(1) == [0])
    }

    @Test func integersStayInRangeAndCoverIt() {
        let generator = RandomGenerator(seed: 8)
        let values = (0..<2000).map { _ in generator.integer(in: -3..<4) }
        #expect(values.allSatisfy { (-3..<4).contains($0) })
        #expect(Set(values) == Set(-3..<4))
    }

    // MARK: Printing

    @Test func description() {
        #expect(Tensor([1, 2.5, -3]).description == "tensor([1, 2.5, -3], shape: [3])")
        #expect(Tensor(rows: [[1, 2], [3, 4]]).description == "tensor([[1, 2],\n        [3, 4]], shape: [2, 2])")
        #expect(Tensor(scalar: 3.5).description == "tensor(3.5, shape: [])")
        #expect(Tensor([0.123456]).description == "tensor([0.1235], shape: [1])", "four decimals")
        #expect(Tensor.arange(0, 20).description == "tensor([0, 1, 2, ..., 17, 18, 19], shape: [20])", "long axes elided")
        #expect(Tensor([1], requiresGrad: true).description == "tensor([1], requiresGrad, shape: [1])")
        #expect(Tensor([.nan, .infinity, -.infinity, 1e-5, -0.00001]).description
                == "tensor([nan, inf, -inf, 1e-05, -1e-05], shape: [5])")
        #expect(Tensor.zeros([2, 0]).description == "tensor([], shape: [2, 0])")
        #expect(Tensor(rows: [[1, 2, 3], [4, 5, 6]]).T.description == "tensor([[1, 4],\n        [2, 5],\n        [3, 6]], shape: [3, 2])",
                "a view prints in its own order")
        #expect(IntTensor([1, 2, 3]).description == "[1, 2, 3]")
    }
}
