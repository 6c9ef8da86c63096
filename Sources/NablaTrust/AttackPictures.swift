import Nabla
import NablaViz

/// Pictures of an attack: originals, their perturbations and the adversarial images.
public enum AttackPictures {
    /// Three rows of the same images: the originals with their true class and clean prediction, the
    /// perturbations amplified to fill the grey range (mid-grey is no change; the factor is in the caption,
    /// in ASCII as the bitmap font has no Greek), and the adversarial images with what the classifier now says (red where it is wrong).
    public static func grid(originals: Tensor, adversarial: Tensor, labels: [Int], cleanPredictions: [Int],
                            adversarialPredictions: [Int], classNames: [String], title: String) -> ImageGrid {
        let count = originals.shape[0]
        precondition(adversarial.shape == originals.shape && labels.count == count && cleanPredictions.count == count
                     && adversarialPredictions.count == count, "AttackPictures.grid: images and labels disagree in number")
        func name(_ index: Int) -> String { classNames.indices.contains(index) ? classNames[index] : "\(index)" }
        let perturbation = (adversarial - originals).contiguous()
        let largest = max(perturbation.abs().max().item, 1e-12)
        // Map [−largest, largest] onto [0, 1]; the amplification says how much the change was magnified.
        let amplified = perturbation * (0.5 / largest) + 0.5
        let amplification = 0.5 / largest
        var images = Canvas.images(fromBatch: originals)
        images += Canvas.images(fromBatch: amplified)
        images += Canvas.images(fromBatch: adversarial)
        let norms = imageNorms(perturbation).scalars
        var captions = (0..<count).map { ImageCaption(["true \(name(labels[$0]))", "pred \(name(cleanPredictions[$0]))"],
                                                      isHighlighted: cleanPredictions[$0] != labels[$0]) }
        captions += (0..<count).map { ImageCaption(["change x\(String(format: "%.1f", amplification))", "L2 \(String(format: "%.2f", norms[$0]))"]) }
        captions += (0..<count).map { ImageCaption(["pred \(name(adversarialPredictions[$0]))"],
                                                   isHighlighted: adversarialPredictions[$0] != labels[$0]) }
        return ImageGrid(images: images, captions: captions, columns: count, upscale: 3, title: title)
    }
}
