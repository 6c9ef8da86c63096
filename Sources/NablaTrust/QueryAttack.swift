import Nabla

/// An attack that sees only the classifier's output probabilities (a black box), and counts how many
/// times it asks: its cost is the number of queries, not gradient steps.
public protocol QueryCountingAttack: AdversarialAttack {
    /// The adversarial images and, per image, the number of classifier queries spent on it.
    func perturbCountingQueries(_ classifier: PixelClassifier, images: Tensor, labels: [Int], goal: AttackGoal,
                                generator: RandomGenerator) -> (adversarial: Tensor, queries: [Int])
}

extension QueryCountingAttack {
    public func perturb(_ classifier: PixelClassifier, images: Tensor, labels: [Int], goal: AttackGoal,
                        generator: RandomGenerator) -> Tensor {
        perturbCountingQueries(classifier, images: images, labels: labels, goal: goal, generator: generator).adversarial
    }
}

/// What a black-box attack may read of the classifier: probabilities, one query per image, no gradients.
struct ProbabilityOracle {
    let classifier: PixelClassifier
    let goal: AttackGoal
    let labels: [Int]

    /// The score the attack climbs for image `index` (which decides the class that matters), for each of
    /// `candidates` (M × C×H×W flattened, in [0, 1]): minus the true class's probability (untargeted) or
    /// the target's probability; and whether each candidate already succeeds.
    func scores(_ candidates: [Float], owners: [Int], imageShape: [Int]) -> (scores: [Float], success: [Bool]) {
        guard !owners.isEmpty else { return ([], []) }
        let probabilities = withoutGradients {
            classifier.logits(Tensor(candidates, shape: [owners.count] + imageShape)).softmax(axis: 1).contiguous().scalars
        }
        let classes = classifier.classCount
        var scores: [Float] = [], success: [Bool] = []
        for (row, owner) in owners.enumerated() {
            let slice = probabilities[row * classes..<(row + 1) * classes]
            let predicted = slice.indices.max { probabilities[$0] < probabilities[$1] }! - row * classes
            scores.append(goal.targets.map { probabilities[row * classes + $0[owner]] } ?? -probabilities[row * classes + labels[owner]])
            success.append(goal.succeeded(prediction: predicted, label: labels[owner], index: owner))
        }
        return (scores, success)
    }
}

/// SimBA (Guo et al., 2019), simple black-box attack in the pixel basis: take the coordinates in a random
/// order; for each, try subtracting ε, and if the score (the true class's probability going down, or
/// the target's going up) does not improve, try adding ε; keep whichever improves. At most two queries per
/// coordinate, stopping as soon as the image is misclassified. Each pixel changes at most once, so the L∞
/// distance is at most ε and the L2 distance grows like ε√(changes).
///
/// ```swift
/// let simba = SimBA(epsilon: 0.2, maximumIterations: 784)
/// let (adversarial, queries) = simba.perturbCountingQueries(classifier, images: x, labels: y, goal: .untargeted, generator: generator)
/// ```
public struct SimBA: QueryCountingAttack {
    public let name = "simba"
    /// The change tried on one pixel.
    public var epsilon: Float
    /// Coordinates tried per image (at most the number of pixels × channels).
    public var maximumIterations: Int

    public init(epsilon: Float = 0.2, maximumIterations: Int = 784) {
        precondition(epsilon >= 0 && maximumIterations >= 0,
                     "SimBA: epsilon \(epsilon) and maximum iterations \(maximumIterations) must not be negative")
        self.epsilon = epsilon
        self.maximumIterations = maximumIterations
    }

    public func perturbCountingQueries(_ classifier: PixelClassifier, images: Tensor, labels: [Int], goal: AttackGoal,
                                       generator: RandomGenerator) -> (adversarial: Tensor, queries: [Int]) {
        precondition(images.rank == 4 && images.shape[0] == labels.count,
                     "simba: images \(images.shape) must be N×C×H×W with one label each (\(labels.count) labels)")
        let count = labels.count, shape = Array(images.shape.dropFirst()), size = shape.reduce(1, *)
        var pixels = images.contiguous().scalars
        let oracle = ProbabilityOracle(classifier: classifier, goal: goal, labels: labels)
        var (scores, done) = oracle.scores(pixels, owners: Array(0..<count), imageShape: shape)
        var queries = [Int](repeating: 1, count: count)
        let orders = (0..<count).map { _ in generator.permutation(size) }
        for iteration in 0..<min(maximumIterations, size) {
            // Each active image tries its next coordinate, first downwards, then (where that failed) upwards.
            var pending = (0..<count).filter { !done[$0] }
            if pending.isEmpty { break }
            for sign: Float in [-1, 1] {
                var candidates: [Float] = [], owners: [Int] = []
                for n in pending {
                    let index = n * size + orders[n][iteration]
                    let moved = min(1, max(0, pixels[index] + sign * epsilon))
                    guard moved != pixels[index] else { continue }  // clipped away: nothing to ask
                    candidates += pixels[n * size..<(n + 1) * size]
                    candidates[candidates.count - size + orders[n][iteration]] = moved
                    owners.append(n)
                }
                let (candidateScores, success) = oracle.scores(candidates, owners: owners, imageShape: shape)
                var improved = Set<Int>()
                for (row, n) in owners.enumerated() {
                    queries[n] += 1
                    guard candidateScores[row] > scores[n] else { continue }
                    pixels.replaceSubrange(n * size..<(n + 1) * size, with: candidates[row * size..<(row + 1) * size])
                    scores[n] = candidateScores[row]
                    done[n] = success[row]
                    improved.insert(n)
                }
                pending = pending.filter { !improved.contains($0) }
            }
        }
        return (Tensor(pixels, shape: images.shape), queries)
    }
}

/// The one-pixel attack (Su, Vargas and Sakurai, 2019): change only `pixels` pixels, to any value, found
/// by differential evolution — no gradient, only the output probabilities. A candidate is
/// (row, column, value per channel) per changed pixel; each generation every candidate `a` meets a trial
/// `b + F·(c − d)` from three other random members (DE/rand/1, F = 0.5 as in the paper) and the better of
/// the two stays. The search stops at the first candidate that fools the network; an image already
/// misclassified is left unchanged.
public struct OnePixelAttack: QueryCountingAttack {
    public let name = "onepixel"
    public var pixels: Int
    public var populationSize: Int
    public var generations: Int
    public var mutation: Float = 0.5

    public init(pixels: Int = 1, populationSize: Int = 100, generations: Int = 30) {
        precondition(pixels >= 1 && populationSize >= 4 && generations >= 0,
                     "OnePixelAttack: pixels \(pixels) must be ≥ 1, population \(populationSize) ≥ 4 and generations \(generations) ≥ 0")
        self.pixels = pixels
        self.populationSize = populationSize
        self.generations = generations
    }

    public func perturbCountingQueries(_ classifier: PixelClassifier, images: Tensor, labels: [Int], goal: AttackGoal,
                                       generator: RandomGenerator) -> (adversarial: Tensor, queries: [Int]) {
        precondition(images.rank == 4 && images.shape[0] == labels.count,
                     "onepixel: images \(images.shape) must be N×C×H×W with one label each (\(labels.count) labels)")
        let shape = Array(images.shape.dropFirst()), (channels, height, width) = (shape[0], shape[1], shape[2])
        let size = shape.reduce(1, *), genes = pixels * (2 + channels)
        let original = images.contiguous().scalars
        let oracle = ProbabilityOracle(classifier: classifier, goal: goal, labels: labels)
        var result = original, queries = [Int](repeating: 0, count: labels.count)

        /// The image `n` with the candidate's pixels written in (coordinates rounded and clipped).
        func apply(_ candidate: ArraySlice<Float>, to n: Int) -> [Float] {
            var image = Array(original[n * size..<(n + 1) * size])
            let genes = Array(candidate)
            for p in 0..<pixels {
                let row = min(height - 1, max(0, Int(genes[p * (2 + channels)].rounded())))
                let column = min(width - 1, max(0, Int(genes[p * (2 + channels) + 1].rounded())))
                for c in 0..<channels { image[c * height * width + row * width + column] = min(1, max(0, genes[p * (2 + channels) + 2 + c])) }
            }
            return image
        }
        // An image the network already gets wrong (or puts in the target class) is left as it is: one query.
        let (_, alreadyFooled) = oracle.scores(original, owners: Array(labels.indices), imageShape: shape)
        for n in labels.indices {
            queries[n] = 1
            if alreadyFooled[n] { continue }
            var population = (0..<populationSize).flatMap { _ in
                (0..<pixels).flatMap { _ in
                    [generator.nextUnitFloat() * Float(height - 1), generator.nextUnitFloat() * Float(width - 1)]
                        + (0..<channels).map { _ in generator.nextUnitFloat() }
                }
            }
            func evaluate(_ members: [Float]) -> (scores: [Float], success: [Bool], images: [[Float]]) {
                let candidates = (0..<populationSize).map { apply(members[$0 * genes..<($0 + 1) * genes], to: n) }
                queries[n] += populationSize
                let (scores, success) = oracle.scores(candidates.flatMap { $0 }, owners: Array(repeating: n, count: populationSize), imageShape: shape)
                return (scores, success, candidates)
            }
            var (fitness, success, candidates) = evaluate(population)
            var generation = 0
            while !success.contains(true) && generation < generations {
                generation += 1
                var trials = population
                for member in 0..<populationSize {
                    var picks: [Int] = []
                    while picks.count < 3 {
                        let pick = generator.integer(in: 0..<populationSize)
                        if pick != member && !picks.contains(pick) { picks.append(pick) }
                    }
                    for gene in 0..<genes {
                        trials[member * genes + gene] = population[picks[0] * genes + gene]
                            + mutation * (population[picks[1] * genes + gene] - population[picks[2] * genes + gene])
                    }
                }
                let trial = evaluate(trials)
                for member in 0..<populationSize where trial.scores[member] >= fitness[member] {
                    population.replaceSubrange(member * genes..<(member + 1) * genes, with: trials[member * genes..<(member + 1) * genes])
                    fitness[member] = trial.scores[member]
                    success[member] = trial.success[member]
                    candidates[member] = trial.images[member]
                }
            }
            // The successful candidate if any, else the fittest.
            let best = success.firstIndex(of: true) ?? fitness.indices.max { fitness[$0] < fitness[$1] }!
            result.replaceSubrange(n * size..<(n + 1) * size, with: candidates[best])
        }
        return (Tensor(result, shape: images.shape), queries)
    }
}
