#if canImport(Glibc)
import Glibc
#endif
import Nabla
@testable import NablaClassic
import NablaData
import NablaTestSupport
import Testing

@Suite(.enabled(if: TestData.hasBuiltInData, "needs Debian's python3-sklearn data files"))
struct DatasetTests {
    @Test func builtInSetsHaveTheirPublishedShapes() throws {
        let expected: [(ClassicDataset.BuiltIn, Int, Int, Int?)] = [
            (.iris, 150, 4, 3), (.wine, 178, 13, 3), (.breastCancer, 569, 30, 2), (.digits, 1797, 64, 10),
            (.diabetes, 442, 10, nil), (.boston, 506, 13, nil),
        ]
        for (set, rows, columns, classes) in expected {
            let data = try ClassicDataset.builtIn(set)
            #expect(data.features.rowCount == rows && data.features.columnCount == columns, "\(set)")
            #expect(data.featureNames.count == columns, "\(set) names")
            if let classes {
                #expect(data.classNames.count == classes && Set(data.labels!).count == classes, "\(set) classes")
            } else {
                #expect(data.values?.count == rows, "\(set) targets")
            }
        }
        let iris = try ClassicDataset.builtIn(.iris)
        #expect(iris.classNames == ["setosa", "versicolor", "virginica"])
        #expect(iris.features.row(0) == [5.1, 3.5, 1.4, 0.2])
        let boston = try ClassicDataset.builtIn(.boston)
        #expect(boston.featureNames.first == "CRIM" && boston.values!.first == 24)
    }

    @Test func aMissingFolderSaysHowToInstall() {
        #expect(throws: DataError.self) { _ = try ClassicDataset.builtIn(.iris, folder: "/nonexistent") }
        do { _ = try ClassicDataset.builtIn(.wine, folder: "/nonexistent") } catch {
            #expect("\(error)".contains("python3-sklearn"))
        }
    }
}

@Suite struct CSVDatasetTests {
    @Test func aCSVKeepsFloat64PrecisionAndOneHotEncodesCategories() throws {
        let path = "/tmp/nabla-classic-test-\(UInt64.random(in: 0..<UInt64.max)).csv"
        let text = "size,colour,price\n1.000000001,red,10.5\n2,blue,20.25\n3,red,30\n"
        try Array(text.utf8).withUnsafeBufferPointer { bytes in
            guard let file = fopen(path, "w") else { throw ClassicError(.emptyData, method: "test", "cannot write \(path)") }
            fwrite(bytes.baseAddress, 1, bytes.count, file)
            fclose(file)
        }
        defer { remove(path) }
        let data = try ClassicDataset.csv(path, target: "price")
        #expect(data.featureNames == ["size", "colour=blue", "colour=red"])
        #expect(data.features.row(0) == [1.000000001, 0, 1])
        #expect(data.values == [10.5, 20.25, 30])
        let classes = try ClassicDataset.csv(path, target: "colour")
        #expect(classes.labels == [1, 0, 1] && classes.classNames == ["blue", "red"])
        #expect(throws: DataError.self) { _ = try ClassicDataset.csv(path, target: "weight") }
    }
}
