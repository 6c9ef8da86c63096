import Foundation
import Nabla
import NablaCheckpoint
import NablaData

/// A trained character-level GPT in a folder (a `char-gpt` run folder): `gpt.json` (the configuration),
/// `tokenizer.json` and `model.safetensors` (nanoGPT's parameter names), each written atomically.
///
/// ```swift
/// try GPTRunFiles.save(model: model, tokenizer: tokenizer, to: folder)
/// let (model, tokenizer) = try GPTRunFiles.load(from: folder)
/// ```
public enum GPTRunFiles {
    public static let configurationFile = "gpt.json"
    public static let tokenizerFile = "tokenizer.json"
    public static let weightsFile = "model.safetensors"

    public static func save(model: GPT, tokenizer: CharacterTokenizer, to folder: String) throws {
        let c = model.configuration
        let json = JSONValue.object([
            JSONMember(key: "vocabulary_size", value: .integer(c.vocabularySize)),
            JSONMember(key: "context_length", value: .integer(c.contextLength)),
            JSONMember(key: "layers", value: .integer(c.layerCount)),
            JSONMember(key: "heads", value: .integer(c.headCount)),
            JSONMember(key: "embedding", value: .integer(c.embeddingSize)),
            JSONMember(key: "dropout", value: .number(String(Double(c.dropout)))),
            JSONMember(key: "bias", value: .bool(c.bias)),
            JSONMember(key: "tied_weights", value: .bool(c.tiesWeights)),
        ])
        try writeFileAtomically(json.jsonText + "\n", to: folder + "/" + configurationFile)
        try tokenizer.save(to: folder + "/" + tokenizerFile)
        try model.saveSafetensors(to: folder + "/" + weightsFile)
    }

    /// The model (in evaluation mode) and tokeniser saved in `folder`. Throws a `DataError` naming what is
    /// missing or wrong (a run folder of another lab, an unfinished run).
    public static func load(from folder: String) throws -> (model: GPT, tokenizer: CharacterTokenizer) {
        let path = folder + "/" + configurationFile
        guard FileReading.exists(path) else {
            throw DataError(.notFound, file: path, "no GPT configuration here; give the folder of a finished char-gpt run (nabla lab run char-gpt)")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(ArraySlice(try FileReading.bytes(at: path)))
        } catch let error as JSONParseError {
            throw DataError(.invalidFormat, file: path, "not JSON: \(error)")
        }
        func integer(_ key: String) throws -> Int {
            guard let number = value[key]?.nonNegativeInteger, number > 0 else {
                throw DataError(.invalidFormat, file: path, "'\(key)' must be a positive integer")
            }
            return number
        }
        var configuration = GPTConfiguration(vocabularySize: try integer("vocabulary_size"), contextLength: try integer("context_length"),
                                             layerCount: try integer("layers"), headCount: try integer("heads"),
                                             embeddingSize: try integer("embedding"))
        guard configuration.embeddingSize % configuration.headCount == 0 else {
            throw DataError(.invalidFormat, file: path, "'embedding' \(configuration.embeddingSize) is not a multiple of 'heads' \(configuration.headCount)")
        }
        if case .bool(let bias)? = value["bias"] { configuration.bias = bias }
        if case .bool(let tied)? = value["tied_weights"] { configuration.tiesWeights = tied }
        let tokenizer = try CharacterTokenizer.load(from: folder + "/" + tokenizerFile)
        guard tokenizer.vocabularySize == configuration.vocabularySize else {
            throw DataError(.invalidFormat, file: folder + "/" + tokenizerFile,
                            "the tokeniser has \(tokenizer.vocabularySize) tokens but the model \(configuration.vocabularySize)")
        }
        let model = GPT(configuration, generator: RandomGenerator(seed: 0))
        do {
            try model.loadSafetensors(from: folder + "/" + weightsFile)
        } catch let error as CheckpointError {
            throw DataError(.invalidFormat, file: folder + "/" + weightsFile, error.message)
        }
        model.eval()
        return (model, tokenizer)
    }
}
