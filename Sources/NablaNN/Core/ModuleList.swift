import Nabla

/// An ordered list of sub-modules whose parameters are registered under `0`, `1`, …, like PyTorch's
/// `nn.ModuleList`: a model holding `let blocks: ModuleList<Block>` has keys `blocks.0.weight`,
/// `blocks.1.weight`, … Unlike `Sequential` it does not chain its elements; the owner decides how to call
/// them (skip connections, shared inputs, per-layer outputs).
///
/// `Element` is a module class (`Linear`, your own block) or `any Layer` for a mix of layers; a Swift
/// generic cannot say "a subclass of Module or an existential of one", so that is checked when elements
/// are added. A plain `[Module]` property is discovered the same way; this type adds PyTorch's name and
/// list editing.
///
/// ```swift
/// final class Tower: Module, Layer {
///     let blocks = ModuleList<any Layer>([Linear(inputSize: 8, outputSize: 8, generator: generator), ReLU()])
///     func callAsFunction(_ x: Tensor) -> Tensor { blocks.reduce(x) { value, block in block(value) } }
/// }
/// Tower().stateKeys()   // ["blocks.0.weight", "blocks.0.bias"]
/// ```
public final class ModuleList<Element>: Module, RandomAccessCollection, MutableCollection {
    public private(set) var elements: [Element]

    public override class var stateKeyOverrides: [String: String] { ["elements": ""] }

    public init(_ elements: [Element] = []) {
        elements.forEach(Self.checkModule)
        self.elements = elements
    }

    public var startIndex: Int { elements.startIndex }
    public var endIndex: Int { elements.endIndex }

    public subscript(position: Int) -> Element {
        get { elements[position] }
        set {
            Self.checkModule(newValue)
            elements[position] = newValue
        }
    }

    public func append(_ element: Element) {
        Self.checkModule(element)
        elements.append(element)
    }

    public func append(contentsOf newElements: [Element]) {
        newElements.forEach(Self.checkModule)
        elements.append(contentsOf: newElements)
    }

    public func insert(_ element: Element, at index: Int) {
        Self.checkModule(element)
        elements.insert(element, at: index)
    }

    @discardableResult
    public func remove(at index: Int) -> Element { elements.remove(at: index) }

    private static func checkModule(_ element: Element) {
        precondition(element is Module, "ModuleList: elements must be modules, got a \(type(of: element))")
    }
}
