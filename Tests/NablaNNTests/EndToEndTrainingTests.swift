import Nabla
@testable import NablaNN
import Testing

// Whole models trained to a stated loss: layers, losses, autodiff and an update rule together. The
// update rule is a tiny Adam written here (the optimiser module is tested on its own), applied in place
// as a real optimiser would.

/// Adam with PyTorch's defaults (β₁ 0.9, β₂ 0.999, ε 10⁻⁸ added after the square root, bias correction).
private final class TinyAdam {
    let parameters: [Tensor]
    let learningRate: Float
    private var firstMoments: [[Float]], secondMoments: [[Float]]
    private var step = 0

    init(_ parameters: [Tensor], learningRate: Float) {
        self.parameters = parameters
        self.learningRate = learningRate
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.count) }
        secondMoments = firstMoments
    }

    func update() {
        step += 1
        let correction1 = 1 - Float.pow(0.9, step), correction2 = 1 - Float.pow(0.999, step)
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.grad?.scalars else { continue }
            parameter.withUnsafeMutableBufferPointer { values in
                for element in values.indices {
                    let g = gradient[element]
                    firstMoments[index][element] = 0.9 * firstMoments[index][element] + 0.1 * g
                    secondMoments[index][element] = 0.999 * secondMoments[index][element] + 0.001 * g * g
                    let denominator = (secondMoments[index][element] / correction2).squareRoot() + 1e-8
                    values[element] -= learningRate * (firstMoments[index][element] / correction1) / denominator
                }
            }
            parameter.grad = nil
        }
    }
}

private extension Float {
    static func pow(_ base: Float, _ exponent: Int) -> Float { (0..<exponent).reduce(1) { value, _ in value * base } }
}

/// Trains `model` on one fixed batch until the loss falls below `target` or `maximumSteps` pass; returns
/// the last loss and the number of steps taken.
private func train(_ model: Module, learningRate: Float, target: Float, maximumSteps: Int,
                   loss: () -> Tensor) -> (loss: Float, steps: Int) {
    let optimizer = TinyAdam(model.trainableParameters(), learningRate: learningRate)
    var last = Float.infinity
    for step in 1...maximumSteps {
        let value = loss()
        last = value.item
        if last < target { return (last, step) }
        value.backward()
        optimizer.update()
    }
    return (last, maximumSteps)
}

extension NablaNNSuite {
    @Suite struct EndToEndTrainingTests {
        /// Eight 8×8 images of three classes (a vertical bar, a horizontal bar, a diagonal), each at a
        /// random place with noise; a conv → relu → pool → flatten → linear network must fit them to a
        /// cross-entropy below 0.05 within 150 Adam steps.
        @Test func smallCNNOverfitsAHandfulOfImages() {
            let generator = RandomGenerator(seed: 91)
            let labels = [0, 1, 2, 0, 1, 2, 0, 1]
            var pixels = generator.normal([8, 1, 8, 8], standardDeviation: 0.1).scalars
            for (image, label) in labels.enumerated() {
                let place = generator.integer(in: 1..<7)
                for step in 0..<8 {
                    let (row, column) = label == 0 ? (step, place) : label == 1 ? (place, step) : (step, step)
                    pixels[image * 64 + row * 8 + column] += 1
                }
            }
            let images = Tensor(pixels, shape: [8, 1, 8, 8])
            let classes = IntTensor(labels)
            let model = Sequential(
                Conv2d(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: 1, generator: generator), ReLU(),
                MaxPool2d(kernelSize: 2), Flatten(), Linear(inputSize: 4 * 4 * 4, outputSize: 3, generator: generator))

            let initial = crossEntropy(model(images), classes).item
            let (loss, steps) = train(model, learningRate: 0.02, target: 0.05, maximumSteps: 150) {
                crossEntropy(model(images), classes)
            }
            #expect(loss < 0.05, "cross-entropy \(loss) after \(steps) steps (from \(initial))")
            #expect(model(images).argmax(axis: 1) == classes)
            print("small CNN: cross-entropy \(initial) → \(loss) in \(steps) steps")
        }

        /// The four XOR points: no linear model fits them, a two-layer MLP must reach a binary
        /// cross-entropy below 0.05 within 300 Adam steps.
        @Test func twoLayerMLPLearnsXOR() {
            let generator = RandomGenerator(seed: 92)
            let inputs = Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2])
            let targets = Tensor([0, 1, 1, 0], shape: [4, 1])
            let model = Sequential(Linear(inputSize: 2, outputSize: 8, generator: generator), Tanh(),
                                   Linear(inputSize: 8, outputSize: 1, generator: generator))
            let (loss, steps) = train(model, learningRate: 0.05, target: 0.05, maximumSteps: 300) {
                binaryCrossEntropyWithLogits(model(inputs), targets)
            }
            #expect(loss < 0.05, "binary cross-entropy \(loss) after \(steps) steps")
            #expect((model(inputs) .> 0).scalars == targets.scalars)
            print("XOR MLP: binary cross-entropy \(loss) in \(steps) steps")
        }
    }
}
