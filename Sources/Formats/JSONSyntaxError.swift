import Foundation

/// Why a text is not JSON, and where: `line 3, column 7: expected ',' or '}' in an object`.
public struct JSONSyntaxError: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// 1-based; the column counts bytes.
    public var line: Int
    public var column: Int

    init(_ failure: JSONParser.Failure, in data: Data) {
        message = failure.message
        var line = 1
        var lineStart = 0
        for (offset, byte) in data.prefix(failure.offset).enumerated() where byte == 0x0A {
            line += 1
            lineStart = offset + 1
        }
        self.line = line
        column = failure.offset - lineStart + 1
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}
