import NablaData

/// The fortunes corpus as character tokens, split for language modelling: the setting of `nabla bench
/// language` and the `char-gpt` lab (nanoGPT's `shakespeare_char` preparation, on fortunes).
///
/// The entries are split 90/10 with `seed`; the tokeniser is trained on the whole corpus (so validation
/// has no unknown characters) with no special tokens (the `%` lines between entries mark their ends).
public struct FortuneTokens: Sendable {
    public let tokenizer: CharacterTokenizer
    public let training: [Int]
    public let validation: [Int]
    public let entryCounts: (training: Int, validation: Int)

    public init(folder: String = FortuneCorpus.defaultFolder, seed: UInt64 = 0, validationFraction: Double = 0.1) throws {
        let corpus = try FortuneCorpus.read(folder: folder)
        guard corpus.entries.count >= 2 else {
            throw DataError(.invalidRequest, file: folder, "the corpus has only \(corpus.entries.count) entry; a training/validation split needs at least 2")
        }
        let (training, validation) = corpus.split(validationFraction: validationFraction, seed: seed)
        tokenizer = try CharacterTokenizer(training: [corpus.text], specialTokens: [])
        self.training = try tokenizer.encode(training.text)
        self.validation = try tokenizer.encode(validation.text)
        entryCounts = (training.entries.count, validation.entries.count)
    }
}
