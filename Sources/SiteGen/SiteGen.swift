import Foundation
import SiteResources

/// Renders an analysis directory into a static site.
public enum SiteGen {}
