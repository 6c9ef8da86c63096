import Nabla
@testable import NablaLabs

/// A small stand-in for the Fashion-MNIST subset, so lab tests run in a few seconds: Gaussian features
/// whose class is the largest of ten fixed random projections (learnable, not trivially).
func syntheticSubset(training: Int = 256, validation: Int = 128, features: Int = 20, seed: UInt64 = 5) -> FashionSubset {
    let generator = RandomGenerator(seed: seed)
    let projection = generator.normal([features, 10])
    func draw(_ count: Int) -> (Tensor, IntTensor) {
        let inputs = generator.normal([count, features])
        return (inputs, matmul(inputs, projection).argmax(axis: 1))
    }
    let (trainingInputs, trainingLabels) = draw(training)
    let (validationInputs, validationLabels) = draw(validation)
    return FashionSubset(trainingInputs: trainingInputs, trainingLabels: trainingLabels,
                         validationInputs: validationInputs, validationLabels: validationLabels)
}
