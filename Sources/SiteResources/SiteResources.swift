import Foundation

/// Locates the bundled `templates/` and `assets/` folders.
public enum SiteResources {
    public static var templates: URL { Bundle.module.resourceURL!.appendingPathComponent("templates") }
    public static var assets: URL { Bundle.module.resourceURL!.appendingPathComponent("assets") }
}
