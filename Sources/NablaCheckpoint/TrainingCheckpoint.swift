import Foundation
import Nabla
import NablaData
import NablaNN
import NablaOptim

/// Everything a training loop needs to continue exactly where it stopped: the model's parameters and
/// buffers, the optimiser's state and hyper-parameters, the schedules' positions, the random generators'
/// states, and the loop's own records (epoch, step, metrics so far).
///
/// It is one safetensors file, so the tensors and the metadata that describes them are replaced together
/// by one atomic rename: a crash while saving leaves the previous checkpoint whole.
///
/// ```text
/// tensors     model.<key>                     parameters and buffers, PyTorch's keys after "model."
///             optimizer.state.<index>.<name>  the optimiser's buffers (exp_avg, momentum_buffer, ...)
/// __metadata__
///             format                          "nabla.training-checkpoint"
///             nabla.optimizer                 JSON: type, parameter groups (hyper-parameters and indices),
///                                             per-parameter scalars (step, ...)
///             nabla.scheduler, nabla.plateau  JSON: schedule positions
///             nabla.generators                JSON: generator name → its four state words (hex)
///             record.<key>                    JSON: the caller's records
/// ```
///
/// Python reads it with `safetensors.numpy.load_file` (tensors) and `safe_open(...).metadata()`.
///
/// ```swift
/// var checkpoint = try TrainingCheckpoint(model: model, optimizer: optimizer, scheduler: scheduler,
///                                         generators: ["data": generator])
/// try checkpoint.setRecord(epoch, forKey: "epoch")
/// try checkpoint.write(to: "runs/a/checkpoint.safetensors")
/// // later, with freshly built objects:
/// let saved = try TrainingCheckpoint.read("runs/a/checkpoint.safetensors")
/// try saved.restore(model: model, optimizer: optimizer, scheduler: scheduler, generators: ["data": generator])
/// let epoch = try saved.record(Int.self, forKey: "epoch")
/// ```
public struct TrainingCheckpoint {
    public static let formatName = "nabla.training-checkpoint"

    /// Parameters and buffers by PyTorch key (copies taken when the checkpoint was made).
    public var model: [String: Tensor]
    public var optimizer: OptimizerStateDictionary?
    public var scheduler: LearningRateSchedulerState?
    public var plateau: PlateauState?
    /// Generator name → its four state words.
    public var generators: [String: [UInt64]]
    /// The caller's records, as JSON text by key.
    public var records: [String: String]

    /// Captures the state of live training objects, copying every tensor. Throws `CheckpointError` when
    /// the optimiser cannot export its state (a custom optimiser whose state type does not conform to
    /// `OptimizerParameterState`).
    public init(model: Module, optimizer: (any Optimizer)? = nil, scheduler: LearningRateScheduler? = nil,
                plateau: ReduceLearningRateOnPlateau? = nil, generators: [String: RandomGenerator] = [:]) throws {
        self.model = model.stateDictionary().mapValues(copy)
        if let optimizer {
            guard let saving = optimizer as? any OptimizerStateSaving else {
                throw CheckpointError(file: nil, "the optimiser \(type(of: optimizer)) cannot export its state; its state and configuration types must conform to OptimizerParameterState and OptimizerHyperParameters")
            }
            var state = saving.stateDictionary()
            for index in state.state.keys { state.state[index]!.tensors = state.state[index]!.tensors.mapValues(copy) }
            self.optimizer = state
        }
        self.scheduler = scheduler?.stateDictionary()
        self.plateau = plateau?.stateDictionary()
        self.generators = generators.mapValues(\.state)
        records = [:]
    }

    /// Stores `value` as JSON under `key`, to be read back with `record(_:forKey:)`.
    public mutating func setRecord<Value: Encodable>(_ value: Value, forKey key: String) throws {
        records[key] = String(decoding: try Self.encoder.encode(value), as: UTF8.self)
    }

    /// The record stored under `key`, or nil when there is none. Throws `CheckpointError` when it does not
    /// decode as `type`.
    public func record<Value: Decodable>(_ type: Value.Type, forKey key: String) throws -> Value? {
        guard let text = records[key] else { return nil }
        do {
            return try Self.decoder.decode(Value.self, from: Data(text.utf8))
        } catch {
            throw CheckpointError(file: nil, "the record '\(key)' does not decode as \(Value.self): \(error)")
        }
    }

    // MARK: Restoring

    /// Puts the saved state into freshly built training objects of the same kind. Checks everything that
    /// can be checked first (model keys and shapes, optimiser groups and buffers, schedule size,
    /// generator names), so a checkpoint that does not fit throws `CheckpointError` before anything is
    /// half loaded.
    public func restore(model: Module, optimizer: (any Optimizer)? = nil, scheduler: LearningRateScheduler? = nil,
                        plateau: ReduceLearningRateOnPlateau? = nil, generators: [String: RandomGenerator] = [:],
                        file: String? = nil) throws {
        func failure(_ message: String) -> CheckpointError { CheckpointError(file: file, message) }

        let own = model.stateDictionary()
        let mismatches = own.keys.sorted().compactMap { key -> String? in
            guard let saved = self.model[key], saved.shape != own[key]!.shape else { return nil }
            return "'\(key)' is \(describe(saved.shape)) in the checkpoint but \(describe(own[key]!.shape)) in the model"
        }
        let missing = own.keys.filter { self.model[$0] == nil }.sorted()
        let unexpected = self.model.keys.filter { own[$0] == nil }.sorted()
        guard mismatches.isEmpty && missing.isEmpty && unexpected.isEmpty else {
            var problems: [String] = []
            if !mismatches.isEmpty { problems.append("shape mismatches: " + mismatches.joined(separator: "; ")) }
            if !missing.isEmpty { problems.append("missing keys: " + missing.joined(separator: ", ")) }
            if !unexpected.isEmpty { problems.append("unexpected keys: " + unexpected.joined(separator: ", ")) }
            throw failure("the checkpoint does not fit the model: " + problems.joined(separator: "; "))
        }
        guard (optimizer == nil) == (self.optimizer == nil) else {
            throw failure(optimizer == nil ? "the checkpoint holds optimiser state but no optimiser was given to restore it into"
                                           : "the checkpoint holds no optimiser state")
        }
        guard (scheduler == nil) == (self.scheduler == nil) else {
            throw failure(scheduler == nil ? "the checkpoint holds a learning-rate schedule position but no scheduler was given"
                                           : "the checkpoint holds no learning-rate schedule position")
        }
        guard (plateau == nil) == (self.plateau == nil) else {
            throw failure(plateau == nil ? "the checkpoint holds a plateau scheduler's state but none was given"
                                         : "the checkpoint holds no plateau scheduler state")
        }
        guard Set(generators.keys) == Set(self.generators.keys) else {
            throw failure("the checkpoint holds generators \(self.generators.keys.sorted()) but \(generators.keys.sorted()) were given")
        }
        for (name, words) in self.generators where words.count != 4 || words.allSatisfy({ $0 == 0 }) {
            throw failure("generator '\(name)': the saved state \(words) is not four words, not all zero")
        }
        if let scheduler, let saved = self.scheduler, saved.initialLearningRates.count != scheduler.initialLearningRates.count {
            throw failure("the saved schedule covers \(saved.initialLearningRates.count) parameter groups, the scheduler \(scheduler.initialLearningRates.count)")
        }

        // The optimiser checks everything before it changes anything.
        if let optimizer, let saved = self.optimizer {
            guard let saving = optimizer as? any OptimizerStateSaving else {
                throw failure("the optimiser \(type(of: optimizer)) cannot import state")
            }
            do {
                try saving.loadStateDictionary(saved)
            } catch let error as OptimizerStateError {
                throw failure("the optimiser state does not fit: \(error.description)")
            }
        }
        try model.loadStateDictionary(self.model, strict: true)
        do {
            if let scheduler, let saved = self.scheduler { try scheduler.loadStateDictionary(saved) }
            if let plateau, let saved = self.plateau { try plateau.loadStateDictionary(saved) }
        } catch let error as OptimizerStateError {
            throw failure(error.description)
        }
        for (name, generator) in generators { generator.state = self.generators[name]! }
    }

    /// Every distinct `RandomGenerator` the model's modules hold (dropout masks, ...), named by module
    /// path and property (`"3.generator"`), for `init(generators:)` and `restore(generators:)`. A
    /// generator already in `excluding` (e.g. the data loader's, when the model shares it) is left out.
    public static func generators(of model: Module, excluding: [RandomGenerator] = []) -> [String: RandomGenerator] {
        var seen = Set(excluding.map(ObjectIdentifier.init))
        var result: [String: RandomGenerator] = [:]
        for (path, module) in model.namedModules() {
            var mirrors: [Mirror] = []
            var current: Mirror? = Mirror(reflecting: module)
            while let mirror = current { mirrors.insert(mirror, at: 0); current = mirror.superclassMirror }
            for mirror in mirrors {
                for child in mirror.children {
                    guard let generator = child.value as? RandomGenerator, let label = child.label,
                          seen.insert(ObjectIdentifier(generator)).inserted else { continue }
                    result[path.isEmpty ? label : path + "." + label] = generator
                }
            }
        }
        return result
    }

    // MARK: Files

    /// Writes the checkpoint atomically: a temporary file in the same folder, flushed to disk, renamed
    /// over `path`. The previous file at `path` stays whole until the new one is complete.
    public func write(to path: String) throws {
        var tensors: [String: SafetensorsTensor] = [:]
        for (key, tensor) in model { tensors["model." + key] = .float(tensor) }
        var metadata = ["format": Self.formatName, "nabla.version": "1"]
        if let optimizer {
            var record = OptimizerRecord(type: optimizer.optimizer, parameterGroups: optimizer.parameterGroups.map {
                GroupRecord(hyperParameters: $0.hyperParameters, parameters: $0.parameters)
            }, state: [:])
            for (index, state) in optimizer.state {
                for (name, tensor) in state.tensors { tensors["optimizer.state.\(index).\(name)"] = .float(tensor) }
                record.state[String(index)] = ParameterRecord(scalars: state.scalars, tensors: state.tensors.keys.sorted())
            }
            metadata["nabla.optimizer"] = try Self.json(record)
        }
        if let scheduler { metadata["nabla.scheduler"] = try Self.json(scheduler) }
        if let plateau { metadata["nabla.plateau"] = try Self.json(plateau) }
        metadata["nabla.generators"] = try Self.json(generators.mapValues { $0.map { String($0, radix: 16) } })
        for (key, text) in records { metadata["record." + key] = text }
        try Safetensors.write(tensors, metadata: metadata, to: path)
    }

    /// Reads a checkpoint written by `write(to:)`. Throws `DataError` for a file that is not valid
    /// safetensors and `CheckpointError` for one that is not a training checkpoint or is inconsistent.
    public static func read(_ path: String) throws -> TrainingCheckpoint {
        let file = try Safetensors.read(path)
        func failure(_ message: String) -> CheckpointError { CheckpointError(file: path, message) }
        guard file.metadata["format"] == formatName else {
            throw failure("is not a Nabla training checkpoint (its metadata has format \(file.metadata["format"].map { "'\($0)'" } ?? "none"), not '\(formatName)')")
        }
        guard file.metadata["nabla.version"] == "1" else {
            throw failure("is a training checkpoint of version \(file.metadata["nabla.version"] ?? "none"), which this Nabla does not read (it reads version 1)")
        }
        func decode<Value: Decodable>(_ type: Value.Type, _ key: String) throws -> Value? {
            guard let text = file.metadata[key] else { return nil }
            do {
                return try decoder.decode(Value.self, from: Data(text.utf8))
            } catch let error as DecodingError {
                throw failure("its metadata '\(key)' is not valid: \(describe(error)); the file was edited or damaged")
            } catch {
                throw failure("its metadata '\(key)' is not valid JSON; the file was edited or damaged")
            }
        }

        var model: [String: Tensor] = [:]
        var optimizerTensors: [String: Tensor] = [:]
        for entry in file.entries {
            if entry.name.hasPrefix("model.") {
                model[String(entry.name.dropFirst(6))] = try file.tensor(entry.name)
            } else if entry.name.hasPrefix("optimizer.state.") {
                optimizerTensors[entry.name] = try file.tensor(entry.name)
            } else {
                throw failure("holds a tensor '\(entry.name)' that belongs to no part of a training checkpoint")
            }
        }

        var optimizer: OptimizerStateDictionary?
        if let record = try decode(OptimizerRecord.self, "nabla.optimizer") {
            var state: [Int: OptimizerStateDictionary.ParameterState] = [:]
            for (key, parameter) in record.state {
                guard let index = Int(key), index >= 0 else { throw failure("optimizer state key '\(key)' is not a parameter index") }
                var tensors: [String: Tensor] = [:]
                for name in parameter.tensors {
                    guard let tensor = optimizerTensors.removeValue(forKey: "optimizer.state.\(index).\(name)") else {
                        throw failure("the optimiser state of parameter \(index) lists '\(name)' but the file has no tensor 'optimizer.state.\(index).\(name)'")
                    }
                    tensors[name] = tensor
                }
                state[index] = .init(tensors: tensors, scalars: parameter.scalars)
            }
            optimizer = OptimizerStateDictionary(optimizer: record.type, state: state, parameterGroups: record.parameterGroups.map {
                .init(hyperParameters: $0.hyperParameters, parameters: $0.parameters)
            })
        }
        // Non-finite weights mean the run had diverged when it saved: resuming would only continue from
        // NaN, so the checkpoint is refused with the tensor named (checked after the checksums, which
        // tell a damaged file from a diverged run).
        for (prefix, tensors) in [("model.", model), ("", optimizerTensors)] {
            for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
                if let position = tensor.scalars.firstIndex(where: { !$0.isFinite }) {
                    throw failure("tensor '\(prefix)\(name)' holds \(tensor.scalars[position]) at element \(position): the run had diverged when this checkpoint was saved; resume from an earlier checkpoint or start again with a lower learning rate")
                }
            }
        }
        if let stray = optimizerTensors.keys.sorted().first {
            throw failure("holds the optimiser tensor '\(stray)' that the optimiser metadata does not list")
        }
        var generators: [String: [UInt64]] = [:]
        for (name, words) in try decode([String: [String]].self, "nabla.generators") ?? [:] {
            let values = words.compactMap { UInt64($0, radix: 16) }
            guard values.count == 4, words.count == 4, values.contains(where: { $0 != 0 }) else {
                throw failure("generator '\(name)' has the state \(words), not four hexadecimal words, not all zero")
            }
            generators[name] = values
        }
        var records: [String: String] = [:]
        for (key, text) in file.metadata where key.hasPrefix("record.") { records[String(key.dropFirst(7))] = text }

        var checkpoint = TrainingCheckpoint(model: model, optimizer: optimizer, generators: generators, records: records)
        checkpoint.scheduler = try decode(LearningRateSchedulerState.self, "nabla.scheduler")
        checkpoint.plateau = try decode(PlateauState.self, "nabla.plateau")
        return checkpoint
    }

    private init(model: [String: Tensor], optimizer: OptimizerStateDictionary?, generators: [String: [UInt64]], records: [String: String]) {
        self.model = model
        self.optimizer = optimizer
        self.generators = generators
        self.records = records
    }

    // MARK: JSON

    /// Sorted keys for stable files; NaN and infinities (a diverged loss) as Python's json writes them.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }()

    private static func json<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

private struct OptimizerRecord: Codable {
    var type: String
    var parameterGroups: [GroupRecord]
    var state: [String: ParameterRecord]

    enum CodingKeys: String, CodingKey {
        case type
        case parameterGroups = "param_groups"
        case state
    }
}

private struct GroupRecord: Codable {
    var hyperParameters: [String: OptimizerHyperParameter]
    var parameters: [Int]

    enum CodingKeys: String, CodingKey {
        case hyperParameters = "hyper_parameters"
        case parameters = "params"
    }
}

private struct ParameterRecord: Codable {
    var scalars: [String: Double]
    /// The names of the parameter's buffers, each stored as the tensor `optimizer.state.<index>.<name>`.
    var tensors: [String]
}

/// A contiguous copy that shares nothing with `tensor`.
private func copy(_ tensor: Tensor) -> Tensor {
    tensor.withUnsafeBufferPointer { source in
        Tensor(shape: tensor.shape) { target in
            if let base = source.baseAddress, !source.isEmpty { target.baseAddress!.update(from: base, count: source.count) }
        }
    }
}

/// A JSON decoding error as "key 'a.b': expected a number" instead of Swift's dump of its context.
func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return keys.isEmpty ? "the top level" : "key '" + keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[") + "'"
    }
    switch error {
    case .typeMismatch(let type, let context): return "\(path(context)): expected \(readableType(type))"
    case .valueNotFound(let type, let context): return "\(path(context)): expected \(readableType(type)), found null"
    case .keyNotFound(let key, let context):
        return "\(context.codingPath.isEmpty ? "" : path(context) + ": ")key '\(key.stringValue)' is missing"
    case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
    @unknown default: return "\(error)"
    }
}

private func readableType(_ type: Any.Type) -> String {
    switch type {
    case is Int.Type, is Int64.Type, is UInt64.Type: return "an integer"
    case is Double.Type, is Float.Type: return "a number"
    case is String.Type: return "a string"
    case is Bool.Type: return "true or false"
    default: return String(describing: type).contains("Array") ? "a list" : "an object"
    }
}
