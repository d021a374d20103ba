/// Text from a file (a path, a grid value, a name) on its way into Markdown: shown as the
/// characters it is, never read as markup, so that a hostile value cannot add a link, an image,
/// a table cell or an HTML element to a report, nor break a line.
public enum MarkdownText {
    /// Escapes what inline Markdown or HTML would read as markup (`& < > \ ` * _ [ ] | ~ #`);
    /// line breaks and other control characters become spaces.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\\", "`", "*", "_", "[", "]", "|", "~", "#": out += "\\" + String(scalar)
            default: out += isBreaking(scalar) ? " " : String(scalar)
            }
        }
        return out
    }

    /// A code span (`text` in backticks), in which Markdown and HTML are inert, when the text
    /// holds no backtick, pipe or line break; otherwise ``escape(_:)``.
    public static func code(_ text: String) -> String {
        text.unicodeScalars.contains { $0 == "`" || $0 == "|" || isBreaking($0) } ? escape(text) : "`\(text)`"
    }

    private static func isBreaking(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
    }
}
