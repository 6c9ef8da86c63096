import Nabla
@testable import NablaData
import Testing

@Suite struct CSVTests {
    @Test func numericAndCategoricalColumnsWithAHeader() throws {
        let table = try CSV.parse("""
            height,colour,count
            1.5,red,3
            2.25,blue,4
            -1e2,red,5

            """, name: "shapes.csv")
        #expect(table.columnNames == ["height", "colour", "count"])
        #expect(table.rowCount == 3)
        #expect(table.lines == [2, 3, 4])
        #expect(try table.column("height").values == .numeric([1.5, 2.25, -100]))
        #expect(try table.column("colour").values == .categorical(codes: [1, 0, 1], categories: ["blue", "red"]))
        let (features, names) = try table.features()
        #expect(names == ["height", "colour=blue", "colour=red", "count"])
        #expect(features.shape == [3, 4])
        #expect(features.scalars == [1.5, 0, 1, 3, 2.25, 1, 0, 4, -100, 0, 1, 5])
        let (codes, codeNames) = try table.features(excluding: ["height"], encoding: .codes)
        #expect(codeNames == ["colour", "count"] && codes.scalars == [1, 3, 0, 4, 1, 5])
        #expect(try table.targets("height").scalars == [1.5, 2.25, -100])
        #expect(try table.column("colour").oneHotEncoded().scalars == [0, 1, 1, 0, 0, 1])
    }

    @Test func quotedFieldsHoldSeparatorsQuotesAndNewlines() throws {
        let text = "name,note,score\r\n\"Smith, Jo\",\"said \"\"hi\"\"\",1\r\n\"Lee\",\"two\nlines\",2\r\nplain,\"\",3\r\n"
        // A quoted empty field counts as missing, as in pandas.
        expectDataError(.missingValue, containing: ["people.csv:5:", "column 'note'"]) { try CSV.parse(text, name: "people.csv") }
        let table = try CSV.parse(text, name: "people.csv", options: CSVOptions(allowsMissingValues: true))
        guard case .categorical(let codes, let categories) = try table.column("name").values,
              case .categorical(let noteCodes, let notes) = try table.column("note").values else {
            Issue.record("expected categorical columns"); return
        }
        #expect(codes.map { categories[$0] } == ["Smith, Jo", "Lee", "plain"])
        #expect(noteCodes.prefix(2).map { notes[$0] } == ["said \"hi\"", "two\nlines"] && noteCodes[2] == -1)
        #expect(try table.column("score").values == .numeric([1, 2, 3]))
        #expect(table.lines == [2, 3, 5])
    }

    @Test func missingValuesNameTheirLineAndColumn() throws {
        // The quoted field spans lines 3–4, so the "?" is on line 5.
        let text = "a,b,c\n1,x,2\n3,\"multi\nline\",4\n5,y,?\n"
        expectDataError(.missingValue, containing: ["data.csv:5:", "column 'c' (field 3) is '?'", "allowsMissingValues"]) {
            try CSV.parse(text, name: "data.csv")
        }
        expectDataError(.missingValue, containing: ["data.csv:3:", "column 'b' (field 2) is empty"]) {
            try CSV.parse("a,b\n1,2\n3,\n", name: "data.csv")
        }
        for marker in ["NA", "NaN", "?", "N/A", ""] {
            expectDataError(.missingValue, containing: [":2:"]) { try CSV.parse("a,b\n\(marker),1\n", name: "m.csv") }
        }
        let allowed = try CSV.parse(text, name: "data.csv", options: CSVOptions(allowsMissingValues: true))
        guard case .numeric(let c) = try allowed.column("c").values else { Issue.record("c should be numeric"); return }
        #expect(c[0] == 2 && c[1] == 4 && c[2].isNaN)
        let categories = try CSV.parse("k,v\nred,1\n,2\nblue,3\n", name: "k.csv", options: CSVOptions(allowsMissingValues: true))
        #expect(try categories.column("k").values == .categorical(codes: [1, -1, 0], categories: ["blue", "red"]))
        #expect(try categories.column("k").oneHotEncoded().scalars == [0, 1, 0, 0, 1, 0])
        expectDataError(.missingValue, containing: ["k.csv:3:", "no label"]) { try categories.labels("k") }
    }

    @Test func raggedRowsNameTheirLine() {
        expectDataError(.raggedRow, containing: ["r.csv:4:", "2 fields but the header has 3"]) {
            try CSV.parse("a,b,c\n1,2,3\n\n4,5\n", name: "r.csv")
        }
        expectDataError(.raggedRow, containing: ["r.csv:2:", "4 fields"]) { try CSV.parse("a,b,c\n1,2,3,4\n", name: "r.csv") }
        expectDataError(.raggedRow, containing: ["';'"]) { try CSV.parse("a;b\n1;2;3\n", name: "r.csv", options: CSVOptions(separator: ";")) }
    }

    @Test func malformedQuotingNamesItsLine() {
        expectDataError(.invalidFormat, containing: ["q.csv:3:", "never closed"]) { try CSV.parse("a,b\n1,2\n3,\"open\n4,5\n", name: "q.csv") }
        expectDataError(.invalidFormat, containing: ["q.csv:2:", "quote inside unquoted field 2"]) { try CSV.parse("a,b\n1,5\"10\n", name: "q.csv") }
        expectDataError(.invalidFormat, containing: ["q.csv:3:", "text follows a closing quote"]) {
            try CSV.parse("a,b\n1,2\n\"x\"y,3\n", name: "q.csv")
        }
    }

    @Test func separatorsHeadersAndLineEndings() throws {
        let semicolons = try CSV.parse("x;y\n1,5;2\n", name: "eu.csv", options: CSVOptions(separator: ";"))
        #expect(try semicolons.column("x").values == .categorical(codes: [0], categories: ["1,5"]))
        let tabs = try CSV.parse("x\ty\n 1 \t2\n", name: "t.tsv", options: CSVOptions(separator: "\t"))
        #expect(try tabs.column("x").values == .numeric([1]))
        let headless = try CSV.parse("1,2\n3,4", name: "h.csv", options: CSVOptions(hasHeader: false))
        #expect(headless.columnNames == ["column1", "column2"] && headless.rowCount == 2 && headless.lines == [1, 2])
        let bom = try CSV.parse([0xEF, 0xBB, 0xBF] + Array("a,b\r1,2\r\r3,4".utf8), name: "bom.csv")
        #expect(bom.columnNames == ["a", "b"] && bom.lines == [2, 4])
        let forced = try CSV.parse("zip,v\n01234,1\n99999,2\n", name: "z.csv", options: CSVOptions(categoricalColumns: ["zip"]))
        #expect(try forced.column("zip").values == .categorical(codes: [0, 1], categories: ["01234", "99999"]))
        let unnamed = try CSV.parse(",b\n1,2\n", name: "u.csv")
        #expect(unnamed.columnNames == ["column1", "b"])
        let headerOnly = try CSV.parse("a,b\n", name: "e.csv")
        #expect(headerOnly.rowCount == 0)
        #expect(try headerOnly.features().tensor.shape == [0, 2])
    }

    @Test func badRequestsAndEmptyFilesAreErrors() throws {
        expectDataError(.invalidFormat, containing: ["is empty"]) { try CSV.parse("", name: "e.csv") }
        expectDataError(.invalidFormat, containing: ["'a' twice", "columns 1 and 3"]) { try CSV.parse("a,b,a\n1,2,3\n", name: "d.csv") }
        expectDataError(.invalidRequest, containing: ["separator"]) { try CSV.parse("a\n", name: "s.csv", options: CSVOptions(separator: "\"")) }
        let table = try CSV.parse("a,b\n1,x\n", name: "t.csv")
        expectDataError(.invalidRequest, containing: ["no column 'c'", "'a', 'b'"]) { try table.column("c") }
        expectDataError(.invalidRequest, containing: ["no column 'z'"]) { try table.features(excluding: ["z"]) }
        expectDataError(.invalidRequest, containing: ["numeric"]) { try table.column("a").oneHotEncoded() }
        expectDataError(.invalidRequest, containing: ["categorical"]) { try table.targets("b") }
        expectDataError(.notFound) { try CSV.read("/nonexistent/file.csv") }
    }

    @Test func labelsFromCategoricalAndNumericColumns() throws {
        let table = try CSV.parse("species,klass,ratio\nb,3,0.5\na,7,1\nb,3,1.5\nc,5,2\n", name: "l.csv")
        let (species, speciesNames) = try table.labels("species")
        #expect(species.scalars == [1, 0, 1, 2] && speciesNames == ["a", "b", "c"])
        let (klass, klassNames) = try table.labels("klass")
        #expect(klass.scalars == [0, 2, 0, 1] && klassNames == ["3", "5", "7"])
        expectDataError(.invalidRequest, containing: ["l.csv:2:", "holds 0.5"]) { try table.labels("ratio") }
        let digits = try CSV.parse("d\n0\n2\n1\n", name: "d.csv")
        #expect(try digits.labels("d").labels.scalars == [0, 2, 1])
    }

    @Test func readsFilesPlainAndCompressed() throws {
        let folder = TemporaryFolder()
        let text = Array("a,b\n1,x\n2,y\n".utf8)
        let plain = try CSV.read(folder.write("t.csv", text))
        let packed = try CSV.read(folder.write("t.csv.gz", Gzip.compress(text)))
        #expect(plain.columns == packed.columns)
        #expect(plain.name.hasSuffix("t.csv"))
    }

    @Test func oneHotHelperSkipsMissingCodes() {
        #expect(oneHot(codes: [1, 0, -1], categoryCount: 2).scalars == [0, 1, 1, 0, 0, 0])
        #expect(oneHot(codes: [], categoryCount: 3).shape == [0, 3])
    }

    /// Random mixtures of the characters that matter to the parser: every outcome is a table or a DataError.
    @Test func randomTextNeverCrashes() {
        let generator = RandomGenerator(seed: 31)
        let alphabet = Array("ab1.,\"\n\r ?NA".utf8)
        var tables = 0
        for _ in 0..<500 {
            let bytes = (0..<generator.integer(in: 0..<40)).map { _ in alphabet[generator.integer(in: 0..<alphabet.count)] }
            do {
                let table = try CSV.parse(bytes, name: "random.csv", options: CSVOptions(allowsMissingValues: generator.next() % 2 == 0))
                tables += 1
                #expect(table.columns.allSatisfy { $0.numbers.count == table.rowCount })
                _ = try table.features()
            } catch is DataError {
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        #expect(tables > 0)
    }
}
