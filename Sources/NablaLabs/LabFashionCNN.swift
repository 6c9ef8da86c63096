import Nabla
import NablaData
import NablaNN
import NablaTrain
import NablaTrust

/// The plain CNN of `nabla train fashion-cnn`, trained inside a lab (Adam 1e-3, cosine schedule, batches
/// of 64, the dataset's normalisation) and seen from pixel space: the common first stage of the labs that
/// attack or explain a network (attack, explain).
struct LabFashionCNN {
    let classifier: PixelClassifier
    /// The training images it saw (a subset when `trainingExamples` > 0) and the test set.
    let training: any Dataset
    let test: FashionMNIST
    let outcome: TrainingOutcome

    /// Trains for `epochs` on the first `trainingExamples` training images (0: all) as stage "cnn", or
    /// returns nil when the run was interrupted (the lab then returns `.interrupted`).
    static func train(_ context: LabContext, epochs: Int, trainingExamples: Int) throws -> LabFashionCNN? {
        let generator = RandomGenerator(seed: context.seed)
        var training: any Dataset = try FashionDataCache.shared.load(.training, folder: context.dataFolder)
        let test = try FashionDataCache.shared.load(.test, folder: context.dataFolder)
        if trainingExamples > 0 {
            training = DatasetSubset(base: training, indices: Array(0..<min(trainingExamples, training.count)))
        }
        let model = FashionArchitecture.cnn.makeModel(generator)
        let optimizer = OptimizerKind.adam.make(model.parameters(), learningRate: 1e-3)
        let loader = DataLoader(training, batchSize: 64, shuffle: true, generator: generator)
        let scheduler = LearningRateScheduleKind.cosine.makeScheduler(optimizer, totalSteps: loader.batchCount * epochs)
        let normalization = Normalize(mean: [FashionMNIST.mean], standardDeviation: [FashionMNIST.standardDeviation])
        let task = ClassificationTask(model: model, optimizer: optimizer, scheduler: scheduler, loader: loader, dataGenerator: generator,
                                      inputTransform: normalization)
        if !context.isResuming {
            try context.recordConfiguration([
                "model": "the plain CNN of nabla train fashion-cnn", "parameters": model.parameterCount(),
                "input_normalization": ["pixel_scale": "value / 255", "mean": Double(FashionMNIST.mean),
                                        "standard_deviation": Double(FashionMNIST.standardDeviation)]])
        }
        let outcome = try context.train(task, epochs: epochs, stage: "cnn")
        guard outcome.isOver else { return nil }
        let classifier = PixelClassifier(model: model, mean: [FashionMNIST.mean], standardDeviation: [FashionMNIST.standardDeviation], classCount: 10)
        return LabFashionCNN(classifier: classifier, training: training, test: test, outcome: outcome)
    }
}
