import ArgumentParser
import Foundation
@testable import nabla
import Testing

/// `nabla attack`'s argument checks: bad values end in a message naming the option, before any file is read.
@Suite struct AttackCommandTests {
    func refusal(_ arguments: [String]) -> String? {
        do {
            _ = try AttackCommand.parse(["runs/x"] + arguments)
            return nil
        } catch {
            return AttackCommand.message(for: error)
        }
    }

    @Test func refusesBadBudgetsTargetsAndMethods() {
        #expect(refusal(["--method", "fgsm", "--epsilon", "-0.1"])?.contains("--epsilon must be a finite number ≥ 0") == true)
        #expect(refusal(["--method", "pgd", "--epsilon", "nan"])?.contains("--epsilon") == true)
        #expect(refusal(["--method", "bim"])?.contains("needs --epsilon") == true)
        #expect(refusal(["--method", "fgsm", "--epsilon", "0.1", "--target", "10"])?.contains("--target 10 is out of range") == true)
        #expect(refusal(["--method", "fgsm", "--epsilon", "0.1", "--target", "-1"])?.contains("out of range") == true)
        #expect(refusal(["--method", "fgsm", "--epsilon", "0.1", "--count", "0"])?.contains("--count") == true)
        #expect(refusal(["--method", "magic", "--epsilon", "0.1"])?.contains("unknown --method") == true)
        #expect(refusal(["--method", "pgd", "--epsilon", "0.1", "--norm", "l1"])?.contains("unknown --norm") == true)
        #expect(refusal(["--method", "deepfool"]) == nil)
        #expect(refusal(["--method", "pgd", "--epsilon", "0.1", "--norm", "l2", "--target", "3", "--no-random-start"]) == nil)
    }

    @Test func attackSettingsFollowTheOptions() throws {
        let pgd = try AttackCommand.parse(["runs/x", "--method", "pgd", "--epsilon", "0.1"]).makeAttack()
        #expect(pgd.name == "pgd")
        let bim = try AttackCommand.parse(["runs/x", "--method", "bim", "--epsilon", "0.08", "--steps", "7"])
        #expect(bim.describe(bim.makeAttack()) == "bim linf eps 0.08, 7 steps of 0.02")
        #expect(pgd.name == "pgd")
    }

    @Test func refusesBadDefencesAndBlackBoxSettings() {
        #expect(refusal(["--method", "pgd", "--epsilon", "0.1", "--defence", "jpeg-101"])?.contains("--defence: unknown defence 'jpeg-101'") == true)
        #expect(refusal(["--method", "pgd", "--epsilon", "0.1", "--defence", "blur"])?.contains("jpeg-Q") == true)
        #expect(refusal(["--method", "pgd", "--epsilon", "0.1", "--defence-gradient", "bpda"])?.contains("needs --defence") == true)
        #expect(refusal(["--method", "pgd", "--epsilon", "0.1", "--defence", "bits-3", "--defence-gradient", "zero"])?.contains("choose bpda or own") == true)
        #expect(refusal(["--method", "universal"])?.contains("needs --epsilon") == true)
        #expect(refusal(["--method", "universal", "--epsilon", "0.1", "--fit-count", "0"])?.contains("--fit-count") == true)
        #expect(refusal(["--method", "onepixel", "--pixels", "0"])?.contains("--pixels") == true)
        #expect(refusal(["--method", "onepixel", "--population", "3"])?.contains("--population") == true)
        #expect(refusal(["--method", "simba", "--epsilon", "-1"])?.contains("--epsilon") == true)
        #expect(refusal(["--method", "simba"]) == nil)
        #expect(refusal(["--method", "pgd", "--epsilon", "0.1", "--defence", "resize-pad-0.8", "--defence-gradient", "own"]) == nil)
    }

    @Test func blackBoxAndDefendedAttacksFollowTheOptions() throws {
        let simba = try AttackCommand.parse(["runs/x", "--method", "simba", "--steps", "100"])
        #expect(simba.describe(simba.makeAttack()) == "simba eps 0.2, up to 100 pixels")
        let onePixel = try AttackCommand.parse(["runs/x", "--method", "onepixel", "--pixels", "3", "--population", "40", "--steps", "5"])
        #expect(onePixel.describe(onePixel.makeAttack()) == "onepixel 3 pixels, population 40, 5 generations")
        let eot = try AttackCommand.parse(["runs/x", "--method", "pgd", "--epsilon", "0.1", "--defence", "resize-pad-0.8", "--eot-samples", "4"])
        #expect(eot.describe(eot.makeAttack()) == "pgd linf eps 0.1, 20 steps of 0.025, random start, EOT over 4 draws")
        let plain = try AttackCommand.parse(["runs/x", "--method", "pgd", "--epsilon", "0.1", "--defence", "jpeg-75"])
        #expect(plain.describe(plain.makeAttack()) == "pgd linf eps 0.1, 20 steps of 0.025, random start")
    }

    @Test func aFolderWithoutAClassifierFails() throws {
        let command = try AttackCommand.parse([NSTemporaryDirectory(), "--method", "fgsm", "--epsilon", "0.1"])
        #expect(throws: ExitCode.self) { try command.run() }
    }
}

/// `nabla explain`'s argument checks.
@Suite struct ExplainCommandTests {
    func refusal(_ arguments: [String]) -> String? {
        do {
            _ = try ExplainCommand.parse(["runs/x"] + arguments)
            return nil
        } catch {
            return ExplainCommand.message(for: error)
        }
    }

    @Test func refusesIndicesOutsideTheTestSetAndUnknownMethods() {
        #expect(refusal(["--method", "ig", "--index", "10000"])?.contains("--index 10000 is outside the test set") == true)
        #expect(refusal(["--method", "ig", "--index", "-1"])?.contains("outside the test set") == true)
        #expect(refusal(["--method", "ig"])?.contains("at least one --index") == true)
        #expect(refusal(["--method", "tcav", "--index", "0"])?.contains("unknown --method") == true)
        #expect(refusal(["--method", "ig", "--index", "0", "--steps", "1"])?.contains("--steps") == true)
        #expect(refusal(["--method", "gradcam", "--index", "0", "--index", "9999"]) == nil)
    }
}
