import NablaLabs
import Testing

/// The CNN lab's bar follows its `model` setting: the plain CNN is compared with PyTorch's plain CNN,
/// the residual network with the 0.93; the MLP keeps its one bar.
@Suite struct FashionBaselineTests {
    @Test func thePlainCNNIsJudgedAgainstThePlainPeerAndTheResidualAgainstItsOwnBar() throws {
        let lab = FashionClassifierLab.cnn
        let plain = lab.baseline(for: try LabRunner.resolve(lab, quick: false, overrides: FashionClassifierLab.plainCNNSettings))
        let residual = lab.baseline(for: try LabRunner.resolve(lab, quick: false, overrides: []))
        #expect(residual.value == lab.baseline.value && residual.value == 0.93)
        #expect(plain.value < residual.value && plain.source.contains("plain CNN"))
        #expect(plain.passes(0.92, quick: false) && !residual.passes(0.92, quick: false))
        let mlp = FashionClassifierLab.mlp
        #expect(mlp.baseline(for: try LabRunner.resolve(mlp, quick: false, overrides: [])).value == mlp.baseline.value)
    }
}
