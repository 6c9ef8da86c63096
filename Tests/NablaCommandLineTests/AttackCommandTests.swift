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
