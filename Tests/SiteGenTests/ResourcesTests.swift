import Foundation
import SiteResources
import Testing

@Test func bundledFoldersExist() {
    #expect(FileManager.default.fileExists(atPath: SiteResources.templates.path))
    #expect(FileManager.default.fileExists(atPath: SiteResources.assets.path))
}
