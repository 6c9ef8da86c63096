import Nabla

/// Sub-modules by name, registered under their keys like PyTorch's `nn.ModuleDict`: a model holding
/// `let heads: ModuleDictionary<Linear>` with keys "age" and "label" has `heads.age.weight`,
/// `heads.label.weight`, … The keys keep their **insertion order**, as PyTorch's do, so the state
/// dictionary lists them in the same order; assigning to an existing key replaces that entry in place.
///
/// Keys must be non-empty and contain no ".", which would make state-dictionary names ambiguous.
/// `Element` is a module class or `any Layer`, checked when entries are added (see `ModuleList`).
///
/// ```swift
/// let heads: ModuleDictionary<Linear> = [
///     "label": Linear(inputSize: 64, outputSize: 10, generator: generator),
///     "box": Linear(inputSize: 64, outputSize: 4, generator: generator),
/// ]
/// let logits = heads["label"]!(features)
/// heads.stateKeys()   // ["label.weight", "label.bias", "box.weight", "box.bias"]
/// ```
public final class ModuleDictionary<Element>: Module, ExpressibleByDictionaryLiteral {
    /// The keys in insertion order.
    public private(set) var keys: [String] = []
    private var entries: [String: Element] = [:]

    public init(_ pairs: [(key: String, module: Element)] = []) {
        super.init()
        for (key, module) in pairs {
            precondition(entries[key] == nil, "ModuleDictionary: key \"\(key)\" appears twice")
            self[key] = module
        }
    }

    public convenience init(dictionaryLiteral elements: (String, Element)...) {
        self.init(elements.map { (key: $0.0, module: $0.1) })
    }

    /// The entry for `key`; assigning nil removes it, assigning to a new key appends it.
    public subscript(key: String) -> Element? {
        get { entries[key] }
        set {
            guard let newValue else {
                if entries.removeValue(forKey: key) != nil { keys.removeAll { $0 == key } }
                return
            }
            precondition(!key.isEmpty && !key.contains("."),
                         "ModuleDictionary: key \"\(key)\" must be non-empty and contain no \".\"")
            precondition(newValue is Module, "ModuleDictionary: entries must be modules, got a \(type(of: newValue)) for \"\(key)\"")
            if entries.updateValue(newValue, forKey: key) == nil { keys.append(key) }
        }
    }

    /// The entries in key order.
    public var values: [Element] { keys.map { entries[$0]! } }
    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// The children in insertion order: reflection would see one dictionary property, and a Swift
    /// dictionary's own order changes from run to run.
    override func members() -> [Member] {
        keys.map { Member(key: $0, kind: .child(entries[$0]! as! Module)) }
    }
}
