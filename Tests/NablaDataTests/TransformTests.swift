import Nabla
@testable import NablaData
import NablaTestSupport
import Testing

@Suite struct TransformTests {
    /// `count` random images `N×C×H×W` with values in [0, 1).
    func images(_ shape: [Int], seed: UInt64 = 7) -> Tensor { RandomGenerator(seed: seed).uniform(shape) }

    @Test func normalizeStandardisesEachChannel() {
        // Channel 0 uniform in [0, 1): mean 1/2, std 1/√12; channel 1 the same shifted by 3 and scaled by 2.
        let base = images([200, 1, 8, 8])
        let inputs = Tensor.concat([base, base * 2 + 3], axis: 1)
        let root12 = Float(12).squareRoot()
        let output = Normalize(mean: [0.5, 4], standardDeviation: [1 / root12, 2 / root12]).apply(inputs, generator: RandomGenerator(seed: 0))
        #expect(output.shape == inputs.shape)
        for channel in 0..<2 {
            let values = output.sliced(axis: 1, start: channel, end: channel + 1).scalars.map(Double.init)
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            #expect(abs(mean) < 0.02 && abs(variance.squareRoot() - 1) < 0.02, "channel \(channel): mean \(mean), variance \(variance)")
        }
        // Exactly PyTorch's formula (a division, not a multiplication by the reciprocal).
        let one = Normalize(mean: [0.2860], standardDeviation: [0.3530]).apply(Tensor([0.5], shape: [1, 1, 1, 1]), generator: RandomGenerator(seed: 0))
        #expect(one.scalars == [(Float(0.5) - 0.2860) / 0.3530])
        // Tables: one mean per feature column.
        let table = Normalize(mean: [1, 2], standardDeviation: [1, 2]).apply(Tensor([1, 2, 3, 6], shape: [2, 2]), generator: RandomGenerator(seed: 0))
        #expect(table.scalars == [0, 0, 2, 2])
        #expect(!Normalize(mean: [0], standardDeviation: [1]).isRandom)
    }

    @Test func horizontalFlipMirrorsWithTheGivenProbability() {
        let inputs = Tensor((0..<12).map(Float.init), shape: [1, 2, 2, 3])
        #expect(RandomHorizontalFlip(probability: 1).apply(inputs, generator: RandomGenerator(seed: 1)).scalars
                == [2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9])
        #expect(RandomHorizontalFlip(probability: 0).apply(inputs, generator: RandomGenerator(seed: 1)).scalars == inputs.scalars)
        let many = images([1000, 1, 2, 2])
        let flipped = RandomHorizontalFlip().apply(many, generator: RandomGenerator(seed: 4))
        let changed = (0..<1000).filter { flipped[$0, 0, 0, 0] != many[$0, 0, 0, 0] }.count
        #expect((430...570).contains(changed), "\(changed) of 1000 flipped")
    }

    @Test func randomCropShiftsWithinThePaddingAndZeroFills() {
        let inputs = images([300, 2, 5, 6])
        let output = RandomCrop(padding: 2).apply(inputs, generator: RandomGenerator(seed: 5))
        #expect(output.shape == inputs.shape)
        var shifts = Set<[Int]>()
        for image in 0..<300 {
            // Find the shift that explains the image: output[y][x] = input[y + dy][x + dx] or 0 outside.
            let match = (-2...2).flatMap { dy in (-2...2).map { dx in [dy, dx] } }.first { shift in
                (0..<2).allSatisfy { channel in (0..<5).allSatisfy { row in (0..<6).allSatisfy { column in
                    let sourceRow = row + shift[0], sourceColumn = column + shift[1]
                    let expected = (0..<5).contains(sourceRow) && (0..<6).contains(sourceColumn) ? inputs[image, channel, sourceRow, sourceColumn] : 0
                    return output[image, channel, row, column] == expected
                } } }
            }
            guard let match else { Issue.record("image \(image) is not a shifted copy"); return }
            shifts.insert(match)
        }
        #expect(shifts.count == 25, "all 25 shifts should occur in 300 images, saw \(shifts.count)")
        let smaller = RandomCrop(height: 3, width: 4).apply(inputs, generator: RandomGenerator(seed: 5))
        #expect(smaller.shape == [300, 2, 3, 4])
        #expect(RandomCrop().apply(inputs, generator: RandomGenerator(seed: 5)).scalars == inputs.scalars)
    }

    @Test func rotationByZeroIsIdentityAndByNinetyTurnsCounterClockwise() {
        let inputs = images([3, 2, 5, 5])
        #expect(RandomRotation(degrees: 0).apply(inputs, generator: RandomGenerator(seed: 1)).scalars == inputs.scalars)
        // A single bright pixel right of centre ends up above centre after a quarter turn counter-clockwise.
        var pixel = [Float](repeating: 0, count: 25)
        pixel[2 * 5 + 4] = 1
        let turned = RandomRotation(degrees: 90...90).apply(Tensor(pixel, shape: [1, 1, 5, 5]), generator: RandomGenerator(seed: 1))
        #expect(abs(turned[0, 0, 0, 2] - 1) < 1e-5)
        #expect(turned.scalars.map { abs($0) }.reduce(0, +) < 1 + 1e-4)
    }

    @Test func smallRotationsKeepACentredShape() {
        // A centred disc barely changes its total brightness under a small turn, and stays centred.
        let size = 21
        let disc = (0..<size * size).map { index -> Float in
            let row = Float(index / size) - 10, column = Float(index % size) - 10
            return row * row + column * column <= 25 ? 1 : 0
        }
        let inputs = Tensor(disc + disc, shape: [2, 1, size, size])
        let output = RandomRotation(degrees: 10).apply(inputs, generator: RandomGenerator(seed: 8))
        let before = disc.reduce(0, +)
        for image in 0..<2 {
            let after = output.sliced(axis: 0, start: image, end: image + 1).scalars.reduce(0, +)
            #expect(abs(after - before) / before < 0.03)
        }
        #expect(output.shape == inputs.shape)
    }

    @Test func randomTransformsRepeatForASeedAndDifferOtherwise() {
        let inputs = images([16, 1, 12, 12])
        let transforms: [any BatchTransform] = [RandomCrop(padding: 3), RandomHorizontalFlip(), RandomRotation(degrees: 20)]
        for transform in transforms {
            let first = transform.apply(inputs, generator: RandomGenerator(seed: 21)).scalars
            #expect(transform.apply(inputs, generator: RandomGenerator(seed: 21)).scalars == first, "\(type(of: transform))")
            #expect(transform.apply(inputs, generator: RandomGenerator(seed: 22)).scalars != first, "\(type(of: transform))")
            #expect(transform.isRandom)
            // The input is never changed in place.
            #expect(inputs.scalars == images([16, 1, 12, 12]).scalars)
        }
    }
}
