/// One action: an index into a discrete space or a vector in a box space.
public enum Action: Equatable, Sendable {
    case discrete(Int)
    case continuous([Float])

    /// The index of a discrete action; a precondition names the environment otherwise.
    func index(for environment: String, count: Int) -> Int {
        guard case .discrete(let index) = self, (0..<count).contains(index) else {
            preconditionFailure("\(environment): expected a discrete action in 0..<\(count), got \(self)")
        }
        return index
    }

    /// The vector of a continuous action; a precondition names the environment otherwise.
    func vector(for environment: String, dimension: Int) -> [Float] {
        guard case .continuous(let values) = self, values.count == dimension else {
            preconditionFailure("\(environment): expected a continuous action of \(dimension) values, got \(self)")
        }
        return values
    }
}
