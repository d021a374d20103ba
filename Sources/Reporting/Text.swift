import Foundation
import MonteCarlo

/// The only ways text read from a results folder (grid values, study names, manifest strings)
/// reaches a gnuplot script or an error message (Markdown: ``MarkdownText``). Such text is data: someone else's
/// results folder must not be able to add Markdown or HTML to the report, nor commands to a plot.
public enum Text {
    /// `s` as it may appear in a gnuplot title or key entry (`set title "…"`, `title '…'`):
    /// a finite number is re-rendered from its parsed value by ``format(_:)``; anything else
    /// keeps only ASCII letters, digits, space, `.`, `+` and `-`, each other character becoming
    /// `?`, cut to 40 characters. So no quote, backslash, newline, `;`, backtick, `@`, `$`, `(`
    /// or enhanced-text markup (`^ _ { } & ~`) from a data file ever enters a script: in a quoted
    /// gnuplot string these characters could end the string, start a command or a macro, or
    /// format the text. Data itself reaches gnuplot only as numbers in data files.
    public static func plotLabel(_ s: String) -> String {
        if s.utf8.count <= 40, s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || [0x2B, 0x2D, 0x2E, 0x65, 0x45].contains($0) }),
           let x = Double(s), x.isFinite {
            return format(x)
        }
        let kept = s.unicodeScalars.prefix(40).map { c -> Character in
            c.isASCII && (CharacterSet.alphanumerics.contains(c) || " .+-".unicodeScalars.contains(c)) ? Character(c) : "?"
        }
        return String(kept)
    }

    /// `s` in double quotes for an error message: one line (controls as \u{…}), at most 60
    /// characters.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars.prefix(60) {
            if c.properties.generalCategory == .control || c.properties.generalCategory == .format
                || CharacterSet.newlines.contains(c) || c == "\"" || c == "\\" {
                out += c == "\"" ? "\\\"" : c == "\\" ? "\\\\" : "\\u{\(String(c.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out + (s.unicodeScalars.count > 60 ? "…\"" : "\"")
    }
}
