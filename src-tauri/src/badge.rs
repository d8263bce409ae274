//! The unread count drawn as a small icon, for the Windows taskbar's overlay (Windows has no
//! number badge: an app lays a 16 px icon over its taskbar button). A filled circle in the
//! app's accent colour with the count in white, `99+` past 99, from a 3x5 pixel font drawn at
//! twice its size, so no font file or rasterizer is needed.

/// The icon's side, in pixels (Windows scales it to the overlay's size).
pub const SIZE: usize = 32;

const ACCENT: [u8; 4] = [0x4f, 0x46, 0xe5, 0xff];
const WHITE: [u8; 4] = [0xff; 4];

/// 3x5 glyphs, a row per byte (bits 2..0, left to right).
fn glyph(c: char) -> [u8; 5] {
    match c {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b010, 0b010, 0b010],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        '+' => [0b000, 0b010, 0b111, 0b010, 0b000],
        _ => [0; 5],
    }
}

/// The text the badge shows for a count.
pub fn label(count: i64) -> String {
    if count > 99 {
        "99+".to_string()
    } else {
        count.max(0).to_string()
    }
}

/// RGBA pixels, `SIZE` x `SIZE`, row by row.
pub fn icon(count: i64) -> Vec<u8> {
    let mut pixels = vec![0u8; SIZE * SIZE * 4];
    let mut put = |x: usize, y: usize, colour: [u8; 4]| {
        if x < SIZE && y < SIZE {
            let at = (y * SIZE + x) * 4;
            pixels[at..at + 4].copy_from_slice(&colour);
        }
    };
    let centre = (SIZE as f32 - 1.0) / 2.0;
    for y in 0..SIZE {
        for x in 0..SIZE {
            let (dx, dy) = (x as f32 - centre, y as f32 - centre);
            if dx * dx + dy * dy <= (SIZE as f32 / 2.0).powi(2) {
                put(x, y, ACCENT);
            }
        }
    }
    // Glyphs at 3x (9x15) for one or two digits, 2x (6x10) for `99+`, a column apart, centred.
    let text = label(count);
    let scale = if text.len() > 2 { 2 } else { 3 };
    let width = text.len() * (3 * scale) + (text.len() - 1) * scale;
    let (left, top) = ((SIZE - width) / 2, (SIZE - 5 * scale) / 2);
    for (i, c) in text.chars().enumerate() {
        let x0 = left + i * (4 * scale);
        for (row, bits) in glyph(c).iter().enumerate() {
            for col in 0..3 {
                if bits & (0b100 >> col) != 0 {
                    for sy in 0..scale {
                        for sx in 0..scale {
                            put(x0 + col * scale + sx, top + row * scale + sy, WHITE);
                        }
                    }
                }
            }
        }
    }
    pixels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(pixels: &[u8], x: usize, y: usize) -> [u8; 4] {
        let i = (y * SIZE + x) * 4;
        [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]]
    }

    fn white(pixels: &[u8]) -> usize {
        pixels.chunks(4).filter(|p| *p == WHITE).count()
    }

    #[test]
    fn a_count_is_white_on_an_accent_circle_with_clear_corners() {
        let one = icon(1);
        assert_eq!(one.len(), SIZE * SIZE * 4);
        assert_eq!(at(&one, 0, 0), [0; 4], "the corners are transparent");
        assert_eq!(at(&one, 2, SIZE / 2), ACCENT, "the circle reaches the edges");
        // "1" at scale 3: 9x15, its stem in the middle column.
        assert_eq!(at(&one, SIZE / 2, SIZE / 2), WHITE);
        assert_eq!(white(&one), 8 * 9, "the glyph 1 has eight lit cells of 3x3 pixels");
    }

    #[test]
    fn the_number_changes_the_picture_and_big_counts_say_99_plus() {
        assert_ne!(icon(7), icon(8));
        assert_eq!(label(5), "5");
        assert_eq!(label(100), "99+");
        assert_eq!(icon(100), icon(5000), "past 99 every count looks the same");
        assert!(white(&icon(100)) > white(&icon(1)));
    }
}
