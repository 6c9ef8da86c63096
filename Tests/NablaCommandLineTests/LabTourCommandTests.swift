import ArgumentParser
@testable import nabla
import NablaLabs
import Testing

/// `nabla lab tour --labs a,b,c`: the subset in the order given, each lab once; unknown or empty names
/// end in a message that lists the labs.
@Suite struct LabTourCommandTests {
    func chosen(_ arguments: [String]) throws -> [String] {
        try LabTourCommand.parse(arguments).chosenLabs().map(\.name)
    }

    @Test func runsTheNamedSubsetInOrder() throws {
        #expect(try chosen(["--labs", "batch-norm,regression"]) == ["batch-norm", "regression"])
        #expect(try chosen(["--labs", "regression, optimizers", "--lab", "fashion-mlp"]) == ["fashion-mlp", "regression", "optimizers"])
        #expect(try chosen(["--labs", "regression,regression"]) == ["regression"])
        #expect(try chosen([]) == LabRegistry.all.map(\.name))
    }

    @Test func unknownOrEmptyNamesListTheLabs() {
        for (arguments, expected) in [(["--labs", "regression,nosuch"], "unknown lab 'nosuch'"),
                                      (["--labs", "regression,,optimizers"], "has an empty name"),
                                      (["--labs", ""], "has an empty name")] {
            do {
                _ = try chosen(arguments)
                Issue.record("\(arguments) was accepted")
            } catch {
                let message = "\(error)"
                #expect(message.contains(expected), "\(message)")
                #expect(message.contains("regression") && message.contains("fashion-cnn"), "\(message)")
            }
        }
    }
}
