import Foundation
import Nabla
import NablaClassic
import NablaData
import NablaNN
import NablaTrain
import NablaTrust
import NablaViz

/// Explainable ML (HW9): what does the Fashion-MNIST CNN look at, and what do its layers know?
///
/// The lab trains the plain CNN of `nabla train fashion-cnn`, then explains its prediction on one test
/// image of each of several classes with every attribution method side by side — gradient saliency,
/// SmoothGrad, integrated gradients (with its completeness error), occlusion, Grad-CAM, LIME and Kernel SHAP
/// (both on a grid of 4 × 4 segments) — so their agreements and artefacts can be compared on the same
/// pictures. Then it probes each layer with a linear classifier (how separable the classes have become)
/// and draws the test images' features in two dimensions (PCA and t-SNE, coloured by class) for the
/// pixels and for the last hidden layer. Baseline: the last hidden layer's linear probe beats a linear
/// classifier on the pixels (≈ 0.84 on Fashion-MNIST).
public struct ExplainLab: Lab {
    public let name = "explain"
    public let lecture = "Explainable ML"
    public let summary = "saliency, SmoothGrad, IG, occlusion, Grad-CAM, LIME and Kernel SHAP side by side; linear probes per layer; t-SNE/PCA of features"
    public let baseline = Baseline(metric: "last_hidden_probe_accuracy", value: 0.86,
                                   source: "a linear classifier on the raw pixels of Fashion-MNIST reaches about 0.84; the network's last hidden layer should be more separable",
                                   quickValue: 0.75)

    public init() {}

    public var settings: [LabSetting] {
        [.integer("epochs", 4, quick: 1, in: 1...100, "passes over the training set for the CNN"),
         .integer("training_examples", 0, quick: 12_000, in: 0...60_000, "train on only this many images (0: all 60,000)"),
         .integer("explained_images", 6, quick: 4, in: 1...10, "test images explained (the first of as many different classes)"),
         .integer("surrogate_samples", 1000, quick: 300, in: 10...100_000, "masked copies per image for LIME and Kernel SHAP"),
         .integer("ig_steps", 50, quick: 32, in: 2...1000, "path points of integrated gradients"),
         .integer("probe_training", 3000, quick: 1000, in: 20...60_000, "training images the linear probes are fitted on"),
         .integer("probe_test", 1000, quick: 500, in: 10...10_000, "test images the linear probes are scored on"),
         .integer("embedded_points", 1000, quick: 300, in: 10...5000, "test images drawn by PCA and t-SNE"),
         .integer("maximization_steps", 200, quick: 100, in: 1...10_000, "gradient-ascent steps of activation maximisation")]
    }

    public var tinySettings: [String] {
        ["epochs=1", "training_examples=96", "explained_images=2", "surrogate_samples=20", "ig_steps=4",
         "probe_training=40", "probe_test=20", "embedded_points=30", "maximization_steps=3"]
    }

    public func run(_ context: LabContext) throws -> LabResult {
        let settings = context.settings
        guard let cnn = try LabFashionCNN.train(context, epochs: settings.integer("epochs"),
                                                trainingExamples: settings.integer("training_examples")) else { return .interrupted }
        let (classifier, training, test, outcome) = (cnn.classifier, cnn.training, cnn.test, cnn.outcome)

        // The first test image of each of the first classes met.
        var chosen: [Int] = [], seen: Set<Int> = []
        let wanted = settings.integer("explained_images")
        for index in 0..<test.count where chosen.count < wanted {
            let label = test.batch(at: [index]).labels.scalars[0]
            if seen.insert(label).inserted { chosen.append(index) }
        }
        let batch = test.batch(at: chosen)
        let images = batch.inputs, labels = batch.labels.scalars
        let predicted = classifier.predictions(images)
        let segmentation = ImageSegmentation.grid(height: 28, width: 28, cell: 4)
        let samples = settings.integer("surrogate_samples")
        var timings: [[String]] = []
        func timed(_ name: String, _ body: () throws -> Tensor) rethrows -> (String, Tensor) {
            let start = Date()
            let result = try body()
            timings.append([name, String(format: "%.2f", Date().timeIntervalSince(start))])
            return (name, result)
        }
        let integrated = Attribution.integratedGradients(classifier, images: images, classes: predicted, steps: settings.integer("ig_steps"))
        let methods: [(String, Tensor)] = try [
            timed("saliency") { Attribution.saliency(classifier, images: images, classes: predicted) },
            timed("SmoothGrad") { Attribution.smoothGrad(classifier, images: images, classes: predicted, samples: 25, generator: context.generator(stream: 1)) },
            timed("integrated gradients") { Attribution.integratedGradients(classifier, images: images, classes: predicted, steps: settings.integer("ig_steps")).attributions },
            timed("occlusion") { Attribution.occlusion(classifier, images: images, classes: predicted, window: 4, stride: 2, fill: 0) },
            timed("Grad-CAM") { Attribution.gradCAM(classifier, images: images, classes: predicted, layer: 4) },
            timed("LIME") { try Attribution.lime(classifier, images: images, classes: predicted, segmentation: segmentation, samples: samples,
                                                 generator: context.generator(stream: 2)) },
            timed("Kernel SHAP") { try Attribution.kernelSHAP(classifier, images: images, classes: predicted, segmentation: segmentation, samples: samples,
                                                              generator: context.generator(stream: 3)) }]
        var canvases = Canvas.images(fromBatch: images)
        var captions = (0..<chosen.count).map { ImageCaption(["#\(chosen[$0]) \(FashionMNIST.classNames[labels[$0]])",
                                                              "pred \(FashionMNIST.classNames[predicted[$0]])"],
                                                             isHighlighted: predicted[$0] != labels[$0]) }
        for (name, attributions) in methods {
            canvases += AttributionPictures.heatMaps(images: images, attributions: attributions)
            captions += (0..<chosen.count).map { _ in ImageCaption([name]) }
        }
        let grid = ImageGrid(images: canvases, captions: captions, columns: chosen.count, upscale: 4,
                             title: "seven explanations of each prediction")
        let completeness = integrated.completenessError.map(Double.init)

        // Linear probes on each layer, and the features in two dimensions.
        let probeTrainingCount = min(settings.integer("probe_training"), training.count)
        let probeTraining = training.batch(at: Array(0..<probeTrainingCount))
        let probeTestCount = min(settings.integer("probe_test"), test.count)
        let probeTest = test.batch(at: Array(test.count - probeTestCount..<test.count))
        let layerNames = ["pixels", "conv1 + ReLU", "max pool 1", "conv2 + ReLU", "max pool 2", "fc 128 + ReLU", "logits"]
        let probes = try LayerProbe.run(classifier, layers: [-1, 1, 2, 4, 5, 8, 9], names: layerNames,
                                        trainingImages: probeTraining.inputs, trainingLabels: probeTraining.labels.scalars,
                                        testImages: probeTest.inputs, testLabels: probeTest.labels.scalars)
        for probe in probes { context.log("probe \(probe.name) (\(probe.featureCount) features): accuracy \(String(format: "%.3f", probe.accuracy))") }
        let embeddedCount = min(settings.integer("embedded_points"), test.count)
        let embedded = test.batch(at: Array(0..<embeddedCount))
        let embeddedLabels = embedded.labels.scalars
        var scatters: [(figure: any Figure, description: String)] = []
        for (layer, name) in [(-1, "pixels"), (8, "last hidden layer (fc 128)")] {
            let features = LayerProbe.matrix(LayerProbe.features(classifier, images: embedded.inputs, layer: layer))
            let pca = try PrincipalComponentAnalysis(componentCount: 2).fit(features).transform(features)
            let tsne = try TSNE(perplexity: min(30, Double(embeddedCount - 1) / 3), seed: context.seed).fit(features).embedding
            for (method, points) in [("PCA", pca), ("t-SNE", tsne)] {
                let title = "\(method) of the \(name)"
                scatters.append((ScatterPlot(title: title, xLabel: "", yLabel: "", x: (0..<embeddedCount).map { points[$0, 0] },
                                             y: (0..<embeddedCount).map { points[$0, 1] }, classes: embeddedLabels,
                                             classNames: FashionMNIST.classNames), title))
            }
        }
        let maximized = try maximizationSection(classifier, steps: settings.integer("maximization_steps"), context: context)
        let lastHidden = probes.first { $0.layer == 8 }?.accuracy ?? .nan
        let pixels = probes.first { $0.layer == -1 }?.accuracy ?? .nan
        let sections: [ReportSection] = [
            .figure("Seven explanations of the same predictions", grid,
                    caption: "Top row: the images with their true and predicted class. Each further row: one method's attribution magnitude "
                        + "(summed over channels, scaled per image). LIME and Kernel SHAP: \(samples) masked copies, 4×4-pixel segments set to black."),
            .table("Integrated gradients: completeness", headers: ["image", "class", "|sum of attributions - (score(x) - score(black))|"],
                   rows: zip(chosen, completeness).enumerated().map { ["#\($0.element.0)", FashionMNIST.classNames[predicted[$0.offset]], String(format: "%.2e", $0.element.1)] },
                   caption: "\(settings.integer("ig_steps")) path points, trapezoid rule, black baseline."),
            .table("Seconds per method (all \(chosen.count) images)", headers: ["method", "seconds"], rows: timings),
            .lineChart("Linear probe accuracy by layer", xLabel: "layer (0: pixels)", yLabel: "test accuracy",
                       series: [LineChart.Series(name: "probe", x: probes.indices.map(Double.init), y: probes.map(\.accuracy))],
                       caption: probes.enumerated().map { "\($0.offset): \($0.element.name)" }.joined(separator: ", ")
                           + ". Logistic regression on standardised features of \(probeTrainingCount) training images, scored on \(probeTestCount) test images."),
            .table("Linear probes", headers: ["layer", "features", "test accuracy"],
                   rows: probes.map { [$0.name, "\($0.featureCount)", String(format: "%.3f", $0.accuracy)] }),
            maximized.section,
            ReportSection(title: "The test images' features in two dimensions", caption: "\(embeddedCount) test images coloured by class.",
                          content: .figures(scatters)),
            .text("What to look for", """
                The gradient methods (saliency, SmoothGrad, integrated gradients) light up edges and the pixels inside the \
                garment whose change moves the score most; SmoothGrad is the gradient with its speckle averaged away. \
                Occlusion, LIME and Kernel SHAP ask what happens when parts are removed, so they mark regions, not pixels; \
                Grad-CAM is coarse (the 14×14 feature maps) but class-specific. Integrated gradients' attributions add up to \
                the score difference from the black image (the completeness column).

                The probes show the classes becoming linearly separable layer by layer: the raw pixels already give a \
                decent linear classifier on Fashion-MNIST, and the last hidden layer gives a better one. t-SNE of the last \
                hidden layer separates the classes that PCA of the pixels mixes (shirts, pullovers and coats stay close).

                Activation maximisation shows what each class's score and each filter respond to: class pictures carry the \
                garment's outline (trouser legs, sleeves, the sole of a shoe) drawn in strokes, not a photograph, and the \
                second convolution's filters respond to oriented edges and textures repeated across the image.
                """)]
        return LabResult(headline: lastHidden,
                         summary: [("pixel_probe_accuracy", pixels), ("test_accuracy_on_probe_images", classifier.accuracy(probeTest.inputs, labels: probeTest.labels.scalars)),
                                   ("ig_largest_completeness_error", completeness.max() ?? .nan),
                                   ("maximized_classes_recognised", maximized.recognised),
                                   ("probe_accuracies", Dictionary(uniqueKeysWithValues: probes.map { ($0.name, $0.accuracy) })),
                                   ("training_seconds", outcome.state.trainingSeconds)],
                         sections: sections)
    }

    /// Activation maximisation: a picture for each class's logit and for eight filters of the second
    /// convolution (before its ReLU, which would give a filter silent on grey no gradient to start from), each captioned with whether the network classifies the class picture as its class.
    func maximizationSection(_ classifier: PixelClassifier, steps: Int, context: LabContext) throws -> (section: ReportSection, recognised: Int) {
        let objectives: [ActivationMaximization.Objective] = (0..<10).map { .classScore($0) } + (0..<8).map { .filter(layer: 3, channel: $0) }
        let search = ActivationMaximization(steps: steps)
        let (pictures, _) = try search.images(classifier, objectives: objectives, imageShape: [1, 28, 28], generator: context.generator(stream: 4))
        let predicted = classifier.predictions(pictures)
        let recognised = (0..<10).filter { predicted[$0] == $0 }.count
        context.log("activation maximisation: \(recognised) of 10 class pictures classified as their class")
        var captions = (0..<10).map { ImageCaption([FashionMNIST.classNames[$0], "pred \(FashionMNIST.classNames[predicted[$0]])"],
                                                   isHighlighted: predicted[$0] != $0) }
        captions += (0..<8).map { ImageCaption(["conv2 filter \($0)"]) }
        let grid = ImageGrid(images: Canvas.images(fromBatch: pictures), captions: captions, columns: 10, upscale: 4,
                             title: "what each class and filter looks for")
        return (.figure("Activation maximisation: the input each class score and filter responds to most", grid,
                        caption: "\(steps) steps of normalised gradient ascent from grey, total-variation and L2 penalties, a blur every "
                            + "\(search.blurEvery) steps. Top row: the ten class logits (red: the network classifies the picture otherwise); "
                            + "bottom: the summed response of eight channels of conv2 (before the ReLU)."), recognised)
    }
}
