import Foundation
import Testing
@testable import NablaTrain

@Suite struct RunFolderTests {
    @Test func refusesAnEmptyPath() {
        #expect(throws: RunFolderError.self) { try RunFolderWriter(folder: URL(fileURLWithPath: ""), mode: .create(overwrite: false)) }
    }
}
