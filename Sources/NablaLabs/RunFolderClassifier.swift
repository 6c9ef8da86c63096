import Foundation
import Nabla
import NablaCheckpoint
import NablaNN
import NablaTrust

/// The trained classifier in a `fashion-mlp` / `fashion-cnn` run folder, rebuilt from config.json (which
/// lab, which `model` setting, `input_normalization`) and model.safetensors, as a `PixelClassifier`
/// that takes pixels in [0, 1]. What `nabla attack` and `nabla explain` load.
public enum RunFolderClassifier {
    /// The classifier and a one-line description ("fashion-cnn (cnn), 421642 parameters").
    public static func load(_ folder: String) throws -> (classifier: PixelClassifier, architecture: FashionArchitecture, description: String) {
        guard !folder.isEmpty else { throw LabError("the run folder is an empty path; give the folder a fashion-cnn or fashion-mlp run wrote") }
        let url = URL(fileURLWithPath: folder)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw LabError("\(folder): no such folder; give the folder a fashion-cnn or fashion-mlp run wrote")
        }
        let configURL = url.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: configURL) else {
            throw LabError("\(folder) holds no config.json, so it is not a run folder; give the folder `nabla train fashion-cnn` (or fashion-mlp) wrote")
        }
        guard let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LabError("\(configURL.path) is not a JSON object; the run folder is damaged")
        }
        let lab = config["lab"] as? String ?? "?"
        let settings = config["settings"] as? [String: Any] ?? [:]
        let architecture: FashionArchitecture
        switch lab {
        case FashionClassifierLab.mlp.name: architecture = .mlp
        case FashionClassifierLab.cnn.name: architecture = (settings["model"] as? String) == "residual" ? .residual : .cnn
        default:
            throw LabError("\(folder) is a run of '\(lab)', which has no image classifier to load; give a fashion-cnn or fashion-mlp run folder")
        }
        let weights = url.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weights.path) else {
            throw LabError("\(folder) holds no model.safetensors (a \(lab) run writes it when training ends); finish the run with `nabla train --resume \(folder)`")
        }
        let normalization = config["input_normalization"] as? [String: Any]
        let mean = (normalization?["mean"] as? NSNumber)?.floatValue ?? 0
        let deviation = (normalization?["standard_deviation"] as? NSNumber)?.floatValue ?? 1
        guard deviation > 0, mean.isFinite, deviation.isFinite else {
            throw LabError("\(configURL.path): input_normalization has standard deviation \(deviation) and mean \(mean); the run folder is damaged")
        }
        let model = architecture.makeModel(RandomGenerator(seed: 0))
        do {
            try model.loadSafetensors(from: weights.path)
        } catch {
            throw LabError("\(weights.path) does not hold the weights of \(lab) (\(architecture.rawValue)): \(error)")
        }
        let classifier = PixelClassifier(model: model, mean: [mean], standardDeviation: [deviation], classCount: 10)
        return (classifier, architecture, "\(lab) (\(architecture.rawValue)), \(model.parameterCount()) parameters")
    }
}
