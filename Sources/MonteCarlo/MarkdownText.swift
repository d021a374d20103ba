import Foundation

/// Text from a file (a path, a grid value, a name) on its way into Markdown: shown as the
/// characters it is, never read as markup, so that a hostile value cannot add a link, an image,
/// a table cell or an HTML element to a report, nor break a line.
public enum MarkdownText {
    /// `s` as literal Markdown text, for REPORT.md: letters, digits, spaces and harmless
    /// punctuation (`. , ; : / = + - ( ) %`, and `_` between two letters or digits, which cannot
    /// open emphasis) stay as they are, so numbers, choices and version strings read unchanged;
    /// `<`, `>`, `&` and `"` become HTML entities; every other ASCII punctuation character is
    /// backslash-escaped (CommonMark: a backslash before ASCII punctuation makes it literal);
    /// control and line-breaking characters (which would end a table row or paragraph) become
    /// U+FFFD; the result is cut to 200 characters.
    public static func escape(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars.prefix(200))
        var out = ""
        for (i, c) in scalars.enumerated() {
            func alphanumeric(_ j: Int) -> Bool {
                scalars.indices.contains(j) && scalars[j].isASCII && CharacterSet.alphanumerics.contains(scalars[j])
            }
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "_" where alphanumeric(i - 1) && alphanumeric(i + 1): out.unicodeScalars.append(c)
            case _ where c.isASCII && CharacterSet.alphanumerics.contains(c): out.unicodeScalars.append(c)
            case " ", ".", ",", ";", ":", "/", "=", "+", "-", "(", ")", "%": out.unicodeScalars.append(c)
            case _ where c.isASCII && CharacterSet.punctuationCharacters.union(.symbols).contains(c):
                out += "\\"
                out.unicodeScalars.append(c)
            case _ where c.isASCII: out += "\u{FFFD}"  // controls, DEL
            case _ where CharacterSet.controlCharacters.contains(c) || CharacterSet.newlines.contains(c)
                || c.properties.generalCategory == .format:
                out += "\u{FFFD}"  // C1 controls, line/paragraph separators, bidi overrides
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A code span (`text` in backticks), in which Markdown and HTML are inert, when the text
    /// holds no backtick, pipe or line break; otherwise ``escape(_:)``.
    public static func code(_ text: String) -> String {
        text.unicodeScalars.contains { $0 == "`" || $0 == "|" || isBreaking($0) } ? escape(text) : "`\(text)`"
    }

    /// Markdown (a rendered sentence) as one cell of a table row: a pipe not already escaped is
    /// escaped, so that "|diag H|" stays in its cell.
    public static func cell(_ markdown: String) -> String {
        var out = "", escaped = false
        for c in markdown {
            if c == "|" && !escaped { out += "\\" }
            out.append(c)
            escaped = c == "\\" && !escaped
        }
        return out
    }

    /// Whether a character could break a line or reorder text: controls, format characters
    /// (bidi overrides) and line and paragraph separators.
    static func isBreaking(_ scalar: Unicode.Scalar) -> Bool {
        [.control, .format, .lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory)
    }
}
