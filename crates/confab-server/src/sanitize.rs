//! managem's body sanitizer: "Links, emojis and profanity are sanitized."
//!
//! Exactly what happens, in this order:
//! 1. Links: every whitespace-separated token that starts (case-insensitively, after any
//!    opening `(`, `<`, `[` or quote) with `http://`, `https://`, `ftp://`, `mailto:` or `www.`
//!    is replaced by `[link removed]`; the surrounding whitespace is kept.
//! 2. Emojis: characters in U+1F000–U+1FAFF, U+2600–U+27BF, U+2B00–U+2BFF, U+1F1E6–U+1F1FF,
//!    U+E0020–U+E007F (tags), the variation selector U+FE0F and the zero-width joiner U+200D
//!    are removed.
//! 3. Profanity: a word (a run of letters) whose lowercase form is in [`PROFANITY`], or starts
//!    with one of [`PROFANE_STEMS`], has every letter replaced by `*` (same length).
//! 4. Runs of spaces left by removals collapse to one space and the ends are trimmed;
//!    newlines are kept.

const PROFANITY: &[&str] = &[
    "arse", "arsehole", "ass", "asshole", "bastard", "bitch", "bollocks", "bullshit", "crap", "damn", "dick", "piss",
    "prick", "shit", "slut", "twat", "wanker",
];

const PROFANE_STEMS: &[&str] = &["fuck", "shit", "cunt", "motherfuck"];

const LINK_PREFIXES: &[&str] = &["http://", "https://", "ftp://", "mailto:", "www."];

/// Sanitizes a managem message body as described in the module docs.
pub fn sanitize(body: &str) -> String {
    let without_links = replace_links(body);
    let without_emoji: String = without_links.chars().filter(|c| !is_emoji(*c)).collect();
    let clean = mask_profanity(&without_emoji);
    tidy_spaces(&clean)
}

fn replace_links(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut token = String::new();
    for c in body.chars() {
        if c.is_whitespace() {
            push_token(&mut out, &token);
            token.clear();
            out.push(c);
        } else {
            token.push(c);
        }
    }
    push_token(&mut out, &token);
    out
}

fn push_token(out: &mut String, token: &str) {
    let bare = token
        .trim_start_matches(['(', '<', '[', '"', '\''])
        .to_ascii_lowercase();
    if LINK_PREFIXES.iter().any(|prefix| bare.starts_with(prefix)) {
        out.push_str("[link removed]");
    } else {
        out.push_str(token);
    }
}

fn is_emoji(c: char) -> bool {
    matches!(u32::from(c),
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xE0020..=0xE007F | 0xFE0F | 0x200D)
}

fn mask_profanity(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |out: &mut String, word: &mut String| {
        let lower = word.to_lowercase();
        let profane = PROFANITY.contains(&lower.as_str()) || PROFANE_STEMS.iter().any(|stem| lower.starts_with(stem));
        if profane {
            out.extend(word.chars().map(|_| '*'));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphabetic() {
            word.push(c);
        } else {
            flush(&mut out, &mut word);
            out.push(c);
        }
    }
    flush(&mut out, &mut word);
    out
}

fn tidy_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split('\n') {
        let mut previous_space = false;
        let mut tidy = String::with_capacity(line.len());
        for c in line.chars() {
            if c == ' ' || c == '\t' {
                if !previous_space {
                    tidy.push(' ');
                }
                previous_space = true;
            } else {
                tidy.push(c);
                previous_space = false;
            }
        }
        out.push_str(tidy.trim());
        out.push('\n');
    }
    out.pop();
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn links_are_replaced() {
        assert_eq!(sanitize("see https://evil.example/x now"), "see [link removed] now");
        assert_eq!(sanitize("(www.example.com)"), "[link removed]");
        assert_eq!(sanitize("mail me: MAILTO:a@b.c"), "mail me: [link removed]");
    }

    #[test]
    fn emojis_are_removed() {
        assert_eq!(sanitize("great 👍🏽 job 🎉"), "great job");
        assert_eq!(sanitize("❤️ love"), "love");
        assert_eq!(sanitize("family 👨‍👩‍👧 photo"), "family photo");
    }

    #[test]
    fn profanity_is_masked_keeping_length() {
        assert_eq!(sanitize("this is shit"), "this is ****");
        assert_eq!(sanitize("Fucking hell, DAMN."), "******* hell, ****.");
        assert_eq!(
            sanitize("class assessment"),
            "class assessment",
            "only whole words match"
        );
    }

    #[test]
    fn newlines_survive_and_plain_text_is_untouched() {
        assert_eq!(
            sanitize("Hello,\nthe order ships Monday."),
            "Hello,\nthe order ships Monday."
        );
    }
}
