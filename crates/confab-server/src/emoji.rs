//! Emoji names and characters. portal reacts with the character (`"👍"`), protocol with a
//! name (`red_angry_face`). The store keeps the character when the name is known here, so a
//! reaction made in one dialect reads naturally in the other; unknown tokens pass through as
//! given.

/// Known `(name, character)` pairs.
const TABLE: &[(&str, &str)] = &[
    ("thumbs_up", "👍"),
    ("thumbs_down", "👎"),
    ("heart", "❤️"),
    ("red_heart", "❤️"),
    ("joy", "😂"),
    ("face_with_tears_of_joy", "😂"),
    ("smile", "😄"),
    ("grinning", "😀"),
    ("wink", "😉"),
    ("open_mouth", "😮"),
    ("astonished", "😲"),
    ("cry", "😢"),
    ("sob", "😭"),
    ("angry", "😠"),
    ("red_angry_face", "😡"),
    ("pouting_face", "😡"),
    ("thinking", "🤔"),
    ("clap", "👏"),
    ("pray", "🙏"),
    ("fire", "🔥"),
    ("tada", "🎉"),
    ("party_popper", "🎉"),
    ("rocket", "🚀"),
    ("eyes", "👀"),
    ("ok_hand", "👌"),
    ("wave", "👋"),
    ("check", "✅"),
    ("white_check_mark", "✅"),
    ("x", "❌"),
    ("hundred", "💯"),
    ("star", "⭐"),
    ("sunglasses", "😎"),
    ("skull", "💀"),
    ("raised_hands", "🙌"),
    ("muscle", "💪"),
];

/// What the store keeps for an emoji given by a client.
pub fn canonical(given: &str) -> String {
    let stripped = given.trim_matches(':');
    TABLE
        .iter()
        .find(|(name, _)| *name == stripped)
        .map_or_else(|| given.to_string(), |(_, character)| (*character).to_string())
}

/// protocol's name for a stored emoji (the first name listed for it), or the stored text.
pub fn name_of(stored: &str) -> String {
    TABLE
        .iter()
        .find(|(_, c)| *c == stored)
        .map_or_else(|| stored.to_string(), |(name, _)| (*name).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_characters_round_trip() {
        assert_eq!(canonical("red_angry_face"), "😡");
        assert_eq!(canonical(":thumbs_up:"), "👍");
        assert_eq!(canonical("👍"), "👍");
        assert_eq!(name_of("😡"), "red_angry_face");
        assert_eq!(name_of(&canonical("red_angry_face")), "red_angry_face");
    }

    #[test]
    fn unknown_tokens_pass_through() {
        assert_eq!(canonical("blob_dance"), "blob_dance");
        assert_eq!(name_of("🦀"), "🦀");
    }
}
