import Foundation
import Nabla
import NablaCheckpoint
import NablaData
import NablaNN
import NablaOptim
import Testing

/// Checkpoints and weight files that were damaged after they were written (issue 12): a flipped data
/// byte, a NaN weight, an edited checksum list. Each is refused with the tensor named; files without
/// checksums (older Nabla files, files from PyTorch) still load.
@Suite struct DamagedCheckpointTests {
    func smallModel(seed: UInt64 = 1) -> Sequential {
        let generator = RandomGenerator(seed: seed)
        return Sequential(Linear(inputSize: 3, outputSize: 4, generator: generator), ReLU(), Linear(inputSize: 4, outputSize: 2, generator: generator))
    }

    /// The file's bytes with the byte at `offset` from the start of tensor `name`'s data flipped.
    func flipping(_ path: String, tensor name: String, at offset: Int = 1) throws -> [UInt8] {
        var bytes = try FileReading.bytes(at: path)
        let file = try Safetensors.parse(bytes, name: path)
        let entry = try #require(file.entry(name))
        let headerLength = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        bytes[8 + headerLength + entry.begin + offset] ^= 0x10
        return bytes
    }

    @Test func aFlippedByteInATrainingCheckpointIsRefusedNamingTheTensor() throws {
        let folder = ScratchFolder()
        let model = smallModel()
        let optimizer = Adam(model.parameters(), configuration: .init(learningRate: 0.01))
        let path = folder.file("checkpoint.safetensors")
        try TrainingCheckpoint(model: model, optimizer: optimizer).write(to: path)
        // The round trip passes, and the file carries its checksums.
        let back = try TrainingCheckpoint.read(path)
        #expect(back.model.keys.sorted() == model.stateDictionary().keys.sorted())
        #expect(try Safetensors.read(path).hasChecksums)

        for name in ["model.0.weight", "model.2.bias"] {
            let damaged = folder.file("damaged.safetensors")
            try writeFileAtomically(try flipping(path, tensor: name), to: damaged)
            do {
                _ = try TrainingCheckpoint.read(damaged)
                Issue.record("a flipped byte in \(name) was not noticed")
            } catch let error as DataError {
                #expect(error.kind == .corrupt)
                #expect(error.description.contains("tensor '\(name)' is damaged"), "\(error)")
                #expect(error.description.contains(damaged))
            }
        }
    }

    @Test func aNaNWeightInATrainingCheckpointIsRefused() throws {
        let folder = ScratchFolder()
        let model = smallModel()
        var weights = model.stateDictionary()
        // Written with a valid checksum over the NaN, as a diverged run would write it.
        weights["0.bias"] = Tensor([0, .nan, 0, 0])
        let tensors = Dictionary(uniqueKeysWithValues: weights.map { ("model." + $0.key, SafetensorsTensor.float($0.value)) })
        let path = folder.file("diverged.safetensors")
        try Safetensors.write(tensors, metadata: ["format": "nabla.training-checkpoint", "nabla.version": "1", "nabla.generators": "{}"], to: path)
        do {
            _ = try TrainingCheckpoint.read(path)
            Issue.record("a NaN weight was resumed from")
        } catch let error as CheckpointError {
            #expect(error.description.contains("'model.0.bias'") && error.description.contains("nan"), "\(error)")
            #expect(error.description.contains("lower learning rate"))
        } catch let error as DataError where error.message.contains("format") {
            Issue.record("the test's metadata does not match the checkpoint format: \(error)")
        }
    }

    @Test func moduleWeightsCarryChecksumsAndOldFilesStillLoad() throws {
        let folder = ScratchFolder()
        let model = smallModel()
        let path = folder.file("model.safetensors")
        try model.saveSafetensors(to: path)
        #expect(try Safetensors.read(path).metadata["format"] == "pt")
        #expect(try Safetensors.read(path).hasChecksums)
        let other = smallModel(seed: 9)
        _ = try other.loadSafetensors(from: path)
        #expect(other.stateDictionary()["0.weight"]!.scalars == model.stateDictionary()["0.weight"]!.scalars)

        let damaged = folder.file("damaged.safetensors")
        try writeFileAtomically(try flipping(path, tensor: "2.weight", at: 5), to: damaged)
        do {
            _ = try other.loadSafetensors(from: damaged)
            Issue.record("a damaged weight file loaded")
        } catch let error as DataError {
            #expect(error.description.contains("tensor '2.weight' is damaged"), "\(error)")
        }

        // A file without checksums (as PyTorch or an older Nabla wrote it) loads unchecked.
        let old = folder.file("old.safetensors")
        try Safetensors.write(model.stateDictionary(), metadata: ["format": "pt"], checksums: false, to: old)
        #expect(!(try Safetensors.read(old).hasChecksums))
        _ = try other.loadSafetensors(from: old)
    }

    @Test func anEditedChecksumListIsRefused() throws {
        let tensors: [String: SafetensorsTensor] = ["a": .float(Tensor([1, 2])), "b": .float(Tensor([3]))]
        let good = try Safetensors.encode(tensors, checksums: true)
        #expect(try Safetensors.parse(good, name: "good").names == ["a", "b"])
        // Without checksums the bytes are exactly the Python library's (no metadata added).
        #expect(try Safetensors.parse(Safetensors.encode(tensors), name: "plain").metadata.isEmpty)
        for (metadata, fragment) in [(#"{"a":"00000000","b":"00000000"}"#, "is damaged"), (#"{"a":"zz"}"#, "8 hex digits"),
                                     ("[]", "JSON object"), (#"{"b":"00000000"}"#, "no checksum")] {
            let bytes = try Safetensors.encode(tensors, metadata: [Safetensors.checksumKey: metadata])
            do {
                _ = try Safetensors.parse(bytes, name: "edited")
                Issue.record("edited checksums \(metadata) were accepted")
            } catch let error as DataError {
                #expect(error.description.contains(fragment), "\(error)")
            }
        }
    }
}
