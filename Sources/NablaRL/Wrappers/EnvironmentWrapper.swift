/// An environment that wraps another and changes part of its behaviour (Gymnasium's `Wrapper`): the
/// name, spaces, state and observation pass through to `wrapped` unless the wrapper gives its own.
public protocol EnvironmentWrapper: Environment {
    var wrapped: Environment { get }
}

extension EnvironmentWrapper {
    public var name: String { wrapped.name }
    public var observationSpace: Space { wrapped.observationSpace }
    public var actionSpace: Space { wrapped.actionSpace }
    public var state: [Double] {
        get { wrapped.state }
        set { wrapped.state = newValue }
    }
    public var observation: [Float] { wrapped.observation }
    public var frameState: [Double] { wrapped.frameState }
    public func accepts(savedState: [Double]) -> Bool { wrapped.accepts(savedState: savedState) }
}
