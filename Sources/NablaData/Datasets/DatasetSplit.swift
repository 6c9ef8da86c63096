import Nabla

/// The examples of another data set at chosen indices, without copying them.
///
/// ```swift
/// let firstHundred = DatasetSubset(base: trainingSet, indices: Array(0..<100))
/// ```
public struct DatasetSubset: Dataset {
    public let base: any Dataset
    /// Positions in `base`, in this subset's order.
    public let indices: [Int]
    public let labels: IntTensor

    public init(base: any Dataset, indices: [Int]) {
        let baseLabels = base.labels.scalars
        self.labels = IntTensor(indices.map { index in
            precondition(index >= 0 && index < baseLabels.count, "DatasetSubset: index \(index) is outside 0..<\(baseLabels.count)")
            return baseLabels[index]
        })
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }
    public var exampleShape: [Int] { base.exampleShape }

    public func batch(at positions: [Int]) -> Batch {
        base.batch(at: positions.map { position in
            precondition(position >= 0 && position < indices.count, "DatasetSubset.batch: index \(position) is outside 0..<\(indices.count)")
            return indices[position]
        })
    }
}

/// How much of a data set goes to validation.
public enum ValidationSize: Sendable {
    /// A fraction of the examples in [0, 1], rounded to the nearest count.
    case fraction(Double)
    /// An exact number of examples.
    case count(Int)
}

extension Dataset {
    /// Splits the examples at random into a training part and a validation part, disjoint and together
    /// covering every example. The draw comes from `generator`, so a seed repeats the split.
    ///
    /// With `stratified`, every class keeps (as nearly as rounding allows) the same share in both parts;
    /// the validation part still has exactly the requested size. Both parts list their examples in the
    /// original order: shuffling is the loader's job.
    ///
    /// ```swift
    /// let generator = RandomGenerator(seed: 0)
    /// let (training, validation) = try fashion.split(validation: .fraction(0.1), stratified: true, generator: generator)
    /// // 54,000 and 6,000 examples, 600 of each class in validation
    /// ```
    ///
    /// Throws `DataError` (`.invalidRequest`) when the size is negative or larger than the data set, since
    /// it usually comes from a user's option.
    public func split(validation size: ValidationSize, stratified: Bool = false,
                      generator: RandomGenerator) throws -> (training: DatasetSubset, validation: DatasetSubset) {
        let validationCount: Int
        switch size {
        case .fraction(let fraction):
            guard fraction >= 0 && fraction <= 1 else {
                throw DataError(.invalidRequest, "validation fraction \(fraction) is outside [0, 1]")
            }
            validationCount = Int((fraction * Double(count)).rounded())
        case .count(let requested):
            guard requested >= 0 && requested <= count else {
                throw DataError(.invalidRequest, "validation size \(requested) is outside 0...\(count), the number of examples")
            }
            validationCount = requested
        }

        var isValidation = [Bool](repeating: false, count: count)
        if stratified {
            for index in stratifiedChoice(labels: labels.scalars, total: validationCount, generator: generator) {
                isValidation[index] = true
            }
        } else {
            for index in generator.permutation(count).prefix(validationCount) { isValidation[index] = true }
        }
        let training = (0..<count).filter { !isValidation[$0] }
        let validation = (0..<count).filter { isValidation[$0] }
        return (DatasetSubset(base: self, indices: training), DatasetSubset(base: self, indices: validation))
    }
}

/// `total` indices drawn so that each label's share matches its share of all labels: each class gets the
/// floor of its exact quota, and the leftover places go to the largest remainders (ties to the smaller
/// label, so the result depends only on the generator).
private func stratifiedChoice(labels: [Int], total: Int, generator: RandomGenerator) -> [Int] {
    var members: [Int: [Int]] = [:]
    for (index, label) in labels.enumerated() { members[label, default: []].append(index) }
    let classes = members.keys.sorted()
    let exact = classes.map { Double(members[$0]!.count) * Double(total) / Double(max(labels.count, 1)) }
    var quotas = exact.map { Int($0.rounded(.down)) }
    let leftover = total - quotas.reduce(0, +)
    let byRemainder = classes.indices.sorted { (exact[$0] - Double(quotas[$0]), -$0) > (exact[$1] - Double(quotas[$1]), -$1) }
    for position in byRemainder.prefix(leftover) { quotas[position] += 1 }

    var chosen: [Int] = []
    chosen.reserveCapacity(total)
    for (position, label) in classes.enumerated() {
        let group = members[label]!
        let order = generator.permutation(group.count)
        chosen += order.prefix(min(quotas[position], group.count)).map { group[$0] }
    }
    return chosen
}
