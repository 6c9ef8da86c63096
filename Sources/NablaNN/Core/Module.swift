import Nabla

/// The base of every layer and model: finds its parameters, buffers and sub-modules by reflection and
/// names them the way PyTorch's `state_dict` does, so checkpoints move between the two.
///
/// Discovery rules, applied to stored properties in declaration order (superclass first):
/// - a `Tensor` (or `Tensor?`) property is a **parameter**, trainable by default (see below);
/// - a `@Buffer` property is a **buffer** (state that is saved but not trained, like running means);
/// - a `Module`, `Module?` or `[Module]` property is a **child**; array elements are named `0`, `1`, …;
/// - a `[String: Module]` property holds children named by their keys, in sorted key order (a Swift
///   dictionary has no order of its own; `ModuleDictionary` keeps insertion order as PyTorch's does);
/// - anything else (sizes, flags, generators) is ignored.
///
/// Keys are the Swift property names in snake_case (`runningMean` → `running_mean`); a class whose
/// readable Swift names differ from PyTorch's overrides `stateKeyOverrides` (e.g. `["selfAttention":
/// "self_attn"]`).
///
/// Parameters are trainable by default, as in PyTorch and mlx-swift: a layer or a user's module declares
/// `let weight = Tensor(...)` and gradients reach it with no opt-in. A module registers its parameters
/// when it is constructed (`Module.init` runs after every subclass has set its stored properties), and a
/// tensor it has not seen before — one assigned to a `var` property later — is registered when discovery
/// next finds it (`parameters()`, `namedParameters()`, `stateDictionary()`, `freeze()` …). Registering
/// sets `requiresGrad = true` once per tensor; after that the flag is the user's, so freezing stays
/// explicit and sticks: `freeze()`, `unfreeze()`, or `tensor.requiresGrad = false` on one parameter.
/// `loadStateDictionary` copies values into the same tensors, so it keeps both training and freezing.
/// State that must not be trained is a `@Buffer`.
///
/// ```swift
/// final class TwoLayer: Module, Layer {
///     let hidden = Linear(inputSize: 4, outputSize: 8, generator: generator)
///     let output = Linear(inputSize: 8, outputSize: 1, generator: generator)
///     func callAsFunction(_ x: Tensor) -> Tensor { output(hidden(x).relu()) }
/// }
/// TwoLayer().namedParameters().map(\.name)   // ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
/// ```
open class Module {
    /// Whether the module is in training mode (dropout active, batch norm using batch statistics).
    public private(set) var isTraining = true

    /// The parameter tensors this module has made trainable, by key: a tensor found under a key that
    /// holds a different tensor here (or none) is new and gets registered. Holding the tensors, rather
    /// than their identifiers, keeps a freed tensor's address from passing for a new one's.
    private var registeredParameters: [String: Tensor] = [:]

    public init() { registerParameters(in: members()) }

    /// Swift property names whose state-dictionary key is not their snake_case form.
    open class var stateKeyOverrides: [String: String] { [:] }

    // MARK: Discovery

    /// Each direct child with its key.
    public func namedChildren() -> [(name: String, module: Module)] {
        members().compactMap { member in
            if case .child(let module) = member.kind { return (member.key, module) }
            return nil
        }
    }

    /// Every parameter of this module and its descendants, with dotted PyTorch-style names.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        collect { member in if case .parameter(let tensor) = member { return tensor } else { return nil } }
    }

    /// Every buffer of this module and its descendants, with dotted names.
    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        collect { member in if case .buffer(let tensor) = member { return tensor } else { return nil } }
    }

    /// All parameters, in the order of `namedParameters()`.
    public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

    /// Parameters that currently receive gradients (not frozen).
    public func trainableParameters() -> [Tensor] { parameters().filter(\.requiresGrad) }

    /// How many scalars the parameters hold (only trainable ones with `trainableOnly`).
    public func parameterCount(trainableOnly: Bool = false) -> Int {
        (trainableOnly ? trainableParameters() : parameters()).reduce(0) { $0 + $1.count }
    }

    /// This module and all descendants, depth first, with dotted names ("" for this one).
    public func namedModules() -> [(name: String, module: Module)] {
        var result: [(String, Module)] = [("", self)]
        for (name, child) in namedChildren() {
            result += child.namedModules().map { (join(name, $0.name), $0.module) }
        }
        return result
    }

    // MARK: Modes

    /// Switches this module and its descendants to training mode.
    public func train() { namedModules().forEach { $0.module.isTraining = true } }

    /// Switches this module and its descendants to evaluation mode.
    public func eval() { namedModules().forEach { $0.module.isTraining = false } }

    /// Stops gradients to every parameter (transfer learning, frozen feature extractors).
    public func freeze() { parameters().forEach { $0.requiresGrad = false } }

    /// Lets gradients reach every parameter again.
    public func unfreeze() { parameters().forEach { $0.requiresGrad = true } }

    /// Clears the accumulated gradient of every parameter.
    public func zeroGradients() { parameters().forEach { $0.grad = nil } }

    // MARK: State dictionary

    /// Parameters and buffers by key, as PyTorch's `state_dict()` (use `stateKeys` for the order).
    public func stateDictionary() -> [String: Tensor] {
        Dictionary((namedParameters() + namedBuffers()).map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// The keys of `stateDictionary()` in PyTorch's order: each module's parameters, then its buffers,
    /// then its children.
    public func stateKeys() -> [String] {
        var keys: [String] = []
        for member in members() {
            switch member.kind {
            case .parameter, .buffer: keys.append(member.key)
            case .child(let module): keys += module.stateKeys().map { join(member.key, $0) }
            }
        }
        return keys
    }

    /// Copies values into the parameters and buffers in place (so optimisers keep their references).
    ///
    /// Keys missing from `state` and keys in `state` this module does not have are returned; in `strict`
    /// mode either throws. A shape mismatch always throws, naming the key and both shapes.
    @discardableResult
    public func loadStateDictionary(_ state: [String: Tensor], strict: Bool = true) throws -> StateLoadReport {
        let own = stateDictionary()
        let report = StateLoadReport(missingKeys: own.keys.filter { state[$0] == nil }.sorted(),
                                     unexpectedKeys: state.keys.filter { own[$0] == nil }.sorted())
        for (key, target) in own {
            guard let source = state[key] else { continue }
            guard source.shape == target.shape else {
                throw StateLoadError.shapeMismatch(key: key, expected: target.shape, found: source.shape)
            }
        }
        if strict && !(report.missingKeys.isEmpty && report.unexpectedKeys.isEmpty) {
            throw StateLoadError.keysDoNotMatch(report)
        }
        withoutGradients {
            for (key, target) in own { if let source = state[key] { target.assign(source) } }
        }
        return report
    }

    // MARK: Reflection

    enum MemberKind {
        case parameter(Tensor)
        case buffer(Tensor)
        case child(Module)
    }

    struct Member {
        let key: String
        let kind: MemberKind
    }

    /// The direct members in declaration order, superclass properties first. Containers whose children
    /// are not one stored property each (`ModuleDictionary`) override this to list them in their order.
    func members() -> [Member] {
        var mirrors: [Mirror] = []
        var current: Mirror? = Mirror(reflecting: self)
        while let mirror = current { mirrors.insert(mirror, at: 0); current = mirror.superclassMirror }
        let overrides = Swift.type(of: self).stateKeyOverrides
        var result: [Member] = []
        for mirror in mirrors {
            for child in mirror.children {
                guard var name = child.label else { continue }
                if name.hasPrefix("_") { name.removeFirst() }
                if name.hasPrefix("$__lazy_storage_$_") { name.removeFirst("$__lazy_storage_$_".count) }
                let key = overrides[name] ?? snakeCase(name)
                result += Module.members(of: child.value, key: key)
            }
        }
        return result
    }

    private static func members(of value: Any, key: String) -> [Member] {
        switch value {
        case let tensor as Tensor: return [Member(key: key, kind: .parameter(tensor))]
        case let buffer as Buffer: return [Member(key: key, kind: .buffer(buffer.wrappedValue))]
        case let module as Module: return [Member(key: key, kind: .child(module))]
        case let modules as [Module]:
            return modules.enumerated().map { Member(key: join(key, String($0.offset)), kind: .child($0.element)) }
        case let modules as [String: Module]:
            // Sorted, so names and the state-dictionary order do not change from run to run.
            return modules.keys.sorted().map { Member(key: join(key, $0), kind: .child(modules[$0]!)) }
        default:
            // Optionals arrive wrapped: unwrap one level and look again.
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .optional, let wrapped = mirror.children.first?.value {
                return members(of: wrapped, key: key)
            }
            return []
        }
    }

    /// Makes each parameter among `members` that this module has not registered before trainable. A
    /// registered tensor is left alone, so a frozen parameter stays frozen.
    private func registerParameters(in members: [Member]) {
        for member in members {
            guard case .parameter(let tensor) = member.kind, registeredParameters[member.key] !== tensor else { continue }
            registeredParameters[member.key] = tensor
            // A computed tensor already records its gradient (and cannot be a leaf); only leaves opt in.
            if tensor.isLeaf { tensor.requiresGrad = true }
        }
    }

    private func collect(_ pick: (MemberKind) -> Tensor?) -> [(name: String, tensor: Tensor)] {
        var result: [(String, Tensor)] = []
        var seen = Set<ObjectIdentifier>()
        func visit(_ module: Module, prefix: String) {
            let members = module.members()
            module.registerParameters(in: members)
            for member in members {
                if case .child(let child) = member.kind {
                    visit(child, prefix: join(prefix, member.key))
                } else if let tensor = pick(member.kind), seen.insert(ObjectIdentifier(tensor)).inserted {
                    // A tensor shared by two modules (tied weights) is listed once, under its first name.
                    result.append((join(prefix, member.key), tensor))
                }
            }
        }
        visit(self, prefix: "")
        return result
    }
}

/// Marks a tensor property as a buffer: saved in the state dictionary, never trained.
@propertyWrapper
public struct Buffer {
    public var wrappedValue: Tensor
    public init(wrappedValue: Tensor) { self.wrappedValue = wrappedValue }
}

/// A module that maps one tensor to one tensor, so it can sit in a `Sequential`.
public protocol Layer: Module {
    func callAsFunction(_ input: Tensor) -> Tensor
}

/// What `loadStateDictionary` found: keys the module has that the state lacks, and the reverse.
public struct StateLoadReport: Equatable, Sendable {
    public let missingKeys: [String]
    public let unexpectedKeys: [String]
}

public enum StateLoadError: Error, CustomStringConvertible, Equatable {
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    case keysDoNotMatch(StateLoadReport)

    public var description: String {
        switch self {
        case let .shapeMismatch(key, expected, found):
            return "state dictionary: '\(key)' has shape \(found) but the module expects \(expected); check that the checkpoint was saved from the same architecture"
        case let .keysDoNotMatch(report):
            return "state dictionary: missing keys \(report.missingKeys), unexpected keys \(report.unexpectedKeys); load with strict: false to accept a partial match"
        }
    }
}

/// `runningMean` → `running_mean`, `linear1` → `linear1`, `inProjWeight` → `in_proj_weight`.
func snakeCase(_ name: String) -> String {
    var result = ""
    for character in name {
        if character.isUppercase {
            if !result.isEmpty { result.append("_") }
            result.append(contentsOf: character.lowercased())
        } else {
            result.append(character)
        }
    }
    return result
}

func join(_ prefix: String, _ name: String) -> String {
    prefix.isEmpty ? name : (name.isEmpty ? prefix : prefix + "." + name)
}
