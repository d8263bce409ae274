// Emoji as the UI shows them. portal reacts with characters; protocol with names such as
// `thumbs_up`, which the UI shows as the character and sends back by name.

/** Reactions the picker offers: [character, protocol name]. */
export const PICKER: [string, string][] = [
  ['👍', 'thumbs_up'],
  ['❤️', 'heart'],
  ['😂', 'joy'],
  ['😮', 'open_mouth'],
  ['😢', 'cry'],
  ['😡', 'red_angry_face'],
  ['🎉', 'tada'],
  ['👏', 'clap'],
  ['🙏', 'pray'],
  ['🔥', 'fire'],
  ['👀', 'eyes'],
  ['✅', 'white_check_mark'],
  ['🤔', 'thinking'],
  ['💯', 'hundred'],
  ['🚀', 'rocket'],
  ['👋', 'wave'],
];

const BY_NAME = new Map(PICKER.map(([char, name]) => [name, char]));
BY_NAME.set('check', '✅');
BY_NAME.set('red_heart', '❤️');
BY_NAME.set('party_popper', '🎉');
BY_NAME.set('pouting_face', '😡');

/** How a stored reaction key is shown. */
export function display(key: string): string {
  return BY_NAME.get(key.replace(/^:|:$/g, '')) ?? key;
}

/** The key to send for a picked emoji in a dialect that reacts by name or by character. */
export function keyFor(char: string, byName: boolean): string {
  if (!byName) return char;
  return PICKER.find(([c]) => c === char)?.[1] ?? char;
}
