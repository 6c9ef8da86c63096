import Nabla
@testable import NablaNN
import NablaTestSupport
import Testing

// Support for the whole NablaNN test target: the serialised suite every test nests in, and the check of
// a layer against PyTorch's module reference values (Tests/Golden/modules.json) through the shared
// golden loader.

/// Every suite of this target is nested here and runs one test at a time. Why: whether operations are
/// recorded for differentiation was one process-wide switch when these tests were written (the core has
/// since made it per thread); tests running side by side could then record nothing. The target takes a
/// few seconds either way.
@Suite(.serialized) enum NablaNNSuite {}

/// Loads the modules.json case `name` into `module` (strict: exactly PyTorch's keys, buffers included),
/// runs `forward` in the case's training mode, and compares the output, the input gradient, every
/// parameter's gradient and the buffers after the pass with PyTorch's. Prints the largest errors.
func expectMatchesModuleGolden(_ name: String, module: Module, forward: (Tensor) -> Tensor,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
    let golden = try Golden.case(name, "modules", in: "modules.json")
    try module.loadStateDictionary(golden.tensors("state_dict"))
    if case .bool(false) = try golden.field("train") { module.eval() } else { module.train() }

    let input = try golden.tensor("input")
    input.requiresGrad = true
    let output = forward(input)
    var errors = ["output": expectClose(output, try golden.tensor("output"), "\(name) output", sourceLocation: sourceLocation)]
    output.backward(gradient: try golden.tensor("grad_output"))
    errors["grad_input"] = expectClose(input.grad, try golden.tensor("grad_input"), "\(name) input gradient",
                                       sourceLocation: sourceLocation)

    let parameters = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.name, $0.tensor) })
    let expectedGradients = try golden.tensors("grads")
    #expect(Set(parameters.keys) == Set(expectedGradients.keys), "\(name): parameter names", sourceLocation: sourceLocation)
    for (parameter, expected) in expectedGradients.sorted(by: { $0.key < $1.key }) {
        errors["grad \(parameter)"] = expectClose(parameters[parameter]?.grad, expected, "\(name) gradient of \(parameter)",
                                                  sourceLocation: sourceLocation)
    }
    let buffers = Dictionary(uniqueKeysWithValues: module.namedBuffers().map { ($0.name, $0.tensor) })
    for (buffer, expected) in try golden.tensors("buffers_after").sorted(by: { $0.key < $1.key }) {
        errors["buffer \(buffer)"] = expectClose(buffers[buffer], expected, "\(name) buffer \(buffer) after the pass",
                                                 sourceLocation: sourceLocation)
    }
    let summary = errors.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2e", $0.value))" }
    print("golden \(name) (\(golden.fields["torch"]?.string ?? "")): max |error| \(summary.joined(separator: ", "))")
}
