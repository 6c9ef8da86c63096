import ArgumentParser
import Foundation
import Nabla
import NablaData
import NablaLabs
import NablaTrust
import NablaViz

/// `nabla explain RUN_DIR --method M --index I...`: what the classifier of a fashion-cnn / fashion-mlp run
/// looks at in chosen test images, as heat maps (PNG) and the attributions themselves (NPY).
struct ExplainCommand: ParsableCommand {
    static let methods = ["saliency", "smoothgrad", "ig", "occlusion", "gradcam", "lime", "shap"]

    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain the predictions of a fashion-cnn or fashion-mlp run on chosen test images (heat maps and NPY).",
        discussion: """
        Attributions of the predicted class: saliency (gradient), smoothgrad (noisy gradients averaged), ig \
        (integrated gradients from a black image; the completeness error is printed), occlusion (score drop under \
        a grey patch), gradcam (the CNN's last convolution block), lime (a weighted ridge regression on which 4×4 \
        segments were kept in 1000 masked copies) and shap (Kernel SHAP: Shapley values of the same segments). Writes RUN_DIR/explain-METHOD.png and \
        RUN_DIR/explain-METHOD.npy (N×1×28×28 float32), or under --output.
        """
    )

    @Argument(help: ArgumentHelp("The folder a fashion-cnn or fashion-mlp run wrote.", valueName: "RUN_DIR")) var runFolder: String
    @Option(help: "saliency, smoothgrad, ig, occlusion, gradcam, lime or shap.") var method: String
    @Option(parsing: .unconditionalSingleValue, help: "Test image numbers (0-9999); repeat for several.") var index: [Int] = []
    @Option(parsing: .unconditional, help: "ig: path points; smoothgrad: noisy samples; lime, shap: masked copies (default 50, 25, 1000).") var steps: Int?
    @Option(help: "Folder for the PNG and NPY (default RUN_DIR).") var output: String?
    @Option(help: "Folder holding the Fashion-MNIST files.") var dataFolder: String?

    func validate() throws {
        guard Self.methods.contains(method) else { throw ValidationError("unknown --method '\(method)'; choose one of: \(Self.methods.joined(separator: ", "))") }
        guard !index.isEmpty else { throw ValidationError("give at least one --index (a test image number, 0-9999)") }
        if let bad = index.first(where: { !(0..<10_000).contains($0) }) {
            throw ValidationError("--index \(bad) is outside the test set; image numbers run 0...9999")
        }
        if let steps, !(2...10_000).contains(steps) { throw ValidationError("--steps must lie in 2...10000, not \(steps)") }
    }

    func run() throws {
        try reportingInputErrors {
            let (classifier, architecture, description) = try RunFolderClassifier.load(runFolder)
            if method == "gradcam" && architecture == .mlp {
                throw LabError("gradcam needs a convolutional network; \(runFolder) holds a fashion-mlp. Choose another --method")
            }
            let test = try FashionMNIST(.test, folder: dataFolder)
            let batch = test.batch(at: index)
            let images = batch.inputs
            let predicted = classifier.predictions(images)
            let generator = RandomGenerator(seed: 0)
            var attributions: Tensor
            var note = ""
            switch method {
            case "saliency": attributions = Attribution.saliency(classifier, images: images, classes: predicted)
            case "smoothgrad": attributions = Attribution.smoothGrad(classifier, images: images, classes: predicted, samples: steps ?? 25, generator: generator)
            case "ig":
                let result = Attribution.integratedGradients(classifier, images: images, classes: predicted, steps: steps ?? 50)
                attributions = result.attributions
                note = "completeness error per image: " + result.completenessError.map { String(format: "%.4g", $0) }.joined(separator: ", ")
            case "lime", "shap":
                let segmentation = ImageSegmentation.grid(height: images.shape[2], width: images.shape[3], cell: 4)
                attributions = method == "lime"
                    ? try Attribution.lime(classifier, images: images, classes: predicted, segmentation: segmentation, samples: steps ?? 1000, generator: generator)
                    : try Attribution.kernelSHAP(classifier, images: images, classes: predicted, segmentation: segmentation, samples: steps ?? 1000, generator: generator)
            case "occlusion": attributions = Attribution.occlusion(classifier, images: images, classes: predicted, window: 4, stride: 2, fill: 0.5)
            default:
                // The last block at full detail: the ReLU after the second convolution (14×14), or the residual network's last block (7×7).
                let layer = architecture == .cnn ? 4 : 9
                attributions = Attribution.gradCAM(classifier, images: images, classes: predicted, layer: layer)
            }
            let folder = URL(fileURLWithPath: output ?? runFolder)
            let png = folder.appendingPathComponent("explain-\(method).png"), npy = folder.appendingPathComponent("explain-\(method).npy")
            let labels = batch.labels.scalars
            var canvases: [Canvas] = [], captions: [ImageCaption] = []
            let heat = AttributionPictures.heatMaps(images: images, attributions: attributions)
            for (position, canvas) in Canvas.images(fromBatch: images).enumerated() {
                canvases += [canvas, heat[position]]
                captions += [ImageCaption(["#\(index[position]) true \(FashionMNIST.classNames[labels[position]])"]),
                             ImageCaption(["\(method): \(FashionMNIST.classNames[predicted[position]])"], isHighlighted: predicted[position] != labels[position])]
            }
            let grid = ImageGrid(images: canvases, captions: captions, columns: min(10, canvases.count), upscale: 4,
                                 title: "\(method) on \(description)")
            do {
                try grid.writePNG(to: png)
                try NPY.write(attributions.contiguous(), to: npy.path)
            } catch {
                throw LabError("could not write the explanation: \(describeFileError(error, path: folder.path))")
            }
            print("model: \(description)")
            for (position, image) in index.enumerated() {
                print("image \(image): true \(FashionMNIST.classNames[labels[position]]), predicted \(FashionMNIST.classNames[predicted[position]])")
            }
            if !note.isEmpty { print(note) }
            print("heat maps: \(png.path)")
            print("attributions: \(npy.path)")
        }
    }
}
