import Foundation
import Testing
import SiteResources

@Test func bundledFoldersExist() {
    #expect(FileManager.default.fileExists(atPath: SiteResources.templates.path))
    #expect(FileManager.default.fileExists(atPath: SiteResources.assets.path))
}
