import Nabla
import NablaData
import NablaNN

/// A checkpoint that cannot be read, or does not fit what it is loaded into. Its description names the
/// file and every key at fault.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    public let file: String?
    public let message: String

    public init(file: String?, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { (file.map { $0 + ": " } ?? "") + message }
}

extension Module {
    /// Writes the parameters and buffers as a float32 safetensors file with PyTorch's key names,
    /// atomically. The default metadata `{"format": "pt"}` is what `safetensors.torch.save_file` writes.
    ///
    /// ```swift
    /// try model.saveSafetensors(to: "model.safetensors")
    /// // Python: model.load_state_dict(safetensors.torch.load_file("model.safetensors"))
    /// ```
    public func saveSafetensors(to path: String, metadata: [String: String] = ["format": "pt"]) throws {
        try Safetensors.write(stateDictionary(), metadata: metadata, to: path)
    }

    /// Loads parameters and buffers from a safetensors file (e.g. one `safetensors.torch.save_file`
    /// wrote from the equivalent PyTorch module), in place. Any floating or integer element type is
    /// accepted and converted to float32.
    ///
    /// Every shape mismatch is reported by name, in either mode. With `strict`, keys the module has
    /// that the file lacks, and keys the file has that the module lacks, are errors too; without it they
    /// are returned, and only the keys both have are loaded. Nothing changes when it throws.
    @discardableResult
    public func loadSafetensors(from path: String, strict: Bool = true) throws -> StateLoadReport {
        try loadStateDictionary(from: Safetensors.read(path), strict: strict)
    }

    /// Loads the tensors of `file` whose names start with `prefix` (the prefix removed); see
    /// `loadSafetensors(from:strict:)`.
    @discardableResult
    public func loadStateDictionary(from file: SafetensorsFile, prefix: String = "", strict: Bool = true) throws -> StateLoadReport {
        let own = stateDictionary()
        var available: [String: SafetensorsEntry] = [:]
        for entry in file.entries where entry.name.hasPrefix(prefix) {
            available[String(entry.name.dropFirst(prefix.count))] = entry
        }
        let mismatches = own.keys.sorted().compactMap { key -> String? in
            guard let entry = available[key], entry.shape != own[key]!.shape else { return nil }
            return "'\(prefix + key)' is \(describe(entry.shape)) in the file but \(describe(own[key]!.shape)) in the model"
        }
        let missing = own.keys.filter { available[$0] == nil }.sorted()
        let unexpected = available.keys.filter { own[$0] == nil }.sorted()
        var problems: [String] = []
        if !mismatches.isEmpty { problems.append("shape mismatches: " + mismatches.joined(separator: "; ")) }
        if strict && !missing.isEmpty { problems.append("missing keys (in the model, not in the file): " + missing.map { prefix + $0 }.joined(separator: ", ")) }
        if strict && !unexpected.isEmpty { problems.append("unexpected keys (in the file, not in the model): " + unexpected.map { prefix + $0 }.joined(separator: ", ")) }
        guard problems.isEmpty else {
            let hint = mismatches.isEmpty ? "; load with strict: false to accept a partial match" : "; check that the file was saved from the same architecture"
            throw CheckpointError(file: file.name, "does not fit the \(type(of: self)): " + problems.joined(separator: "; ") + hint)
        }
        var state: [String: Tensor] = [:]
        for key in own.keys {
            guard let entry = available[key] else { continue }
            state[key] = try file.tensor(entry.name)
        }
        // Unexpected keys only need to be named in the report, not converted: a scalar stands in for each.
        for key in unexpected { state[key] = Tensor(scalar: 0) }
        return try loadStateDictionary(state, strict: false)
    }
}

/// `[10, 784]` → `10×784`.
func describe(_ shape: [Int]) -> String {
    shape.isEmpty ? "a scalar" : shape.map(String.init).joined(separator: "×")
}
