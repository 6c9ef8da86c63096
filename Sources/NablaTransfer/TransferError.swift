/// An impossible request to a task sampler or a transfer method: more classes per episode than the data
/// has, more examples per class than a class holds. Its description names the request, what the data
/// allows, and what to change.
public struct TransferError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
