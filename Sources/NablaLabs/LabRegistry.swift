/// Every lab `nabla lab` knows, in the order of the course. To add a lab, write its file in
/// Sources/NablaLabs/ and add one line here.
public enum LabRegistry {
    public static let all: [any Lab] = [
        RegressionLab(),
        GenerativeVsLogisticLab(),
        FashionClassifierLab.mlp,
        CriticalPointsLab(),
        OptimizersLab(),
        BatchNormLab(),
        FashionClassifierLab.cnn,
        GNNKarateLab(),
        GNNNeighborGraphLab(),
        GNNGraphClassificationLab(),
        AttackLab(),
        AdversarialTrainingLab(),
        ExplainLab(),
        TransferAttackLab(),
        AutoEncoderLab(),
        VAELab(),
        GANLab(),
        AnomalyLab(),
        DistillationLab(),
        CartPoleLab(),
        DQNLab(),
        PolicyGradientLab(),
        CharGPTLab(),
        LifelongLab(),
        MetaSinusoidLab(),
    ]

    /// The lab called `name`; throws `LabError` listing the known names otherwise.
    public static func lab(named name: String) throws -> any Lab {
        guard let lab = all.first(where: { $0.name == name }) else {
            throw LabError("unknown lab '\(name)'; the labs are: \(all.map(\.name).joined(separator: ", ")) (see nabla lab list)")
        }
        return lab
    }
}
