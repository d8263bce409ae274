//! Emoji names and characters. portal reacts with the character (`"👍"`), protocol with a
//! name (`red_angry_face`). The store keeps the character when the name is known (the table
//! is `confab-emoji`, shared with the client), so a reaction made in one dialect reads
//! naturally in the other; unknown tokens pass through as given.

/// What the store keeps for an emoji given by a client.
pub fn canonical(given: &str) -> String {
    confab_emoji::canonical(given)
}

/// protocol's name for a stored emoji (its preferred name), or the stored text.
pub fn name_of(stored: &str) -> String {
    confab_emoji::to_name(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_characters_round_trip() {
        assert_eq!(canonical("red_angry_face"), canonical("😡"));
        assert_eq!(canonical(":thumbs_up:"), canonical("👍"));
        assert_eq!(name_of("😡"), "red_angry_face");
        assert_eq!(name_of(&canonical("red_angry_face")), "red_angry_face");
    }

    #[test]
    fn unknown_tokens_pass_through() {
        assert_eq!(canonical("blob_dance"), "blob_dance");
        assert_eq!(name_of("🦀"), "crab");
    }
}
