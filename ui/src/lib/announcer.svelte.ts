/**
 * What a screen reader is told about messages arriving in the open conversation, through one
 * polite live region. A message arriving after a quiet spell is read at once; those arriving
 * within `gap` of an announcement are held and read together once the gap has passed ("4 new
 * messages from Ada and Grace. Latest, Grace: …"), so a burst of thirty is a few
 * announcements, not thirty.
 */
export class Announcer {
  /** The live region's text. */
  text = $state('');

  private lastAt = Number.NEGATIVE_INFINITY;
  private held: { who: string; body: string }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly gap = 2500,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** A message from `who` arrived in the open conversation. */
  message(who: string, body: string) {
    const since = this.now() - this.lastAt;
    if (this.timer === undefined && since >= this.gap) {
      this.say(`${who}: ${body}`);
      return;
    }
    this.held.push({ who, body });
    this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.gap - since));
  }

  /** Another conversation was opened: what was held belonged to the one before. */
  reset() {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.held = [];
    this.text = '';
    this.lastAt = Number.NEGATIVE_INFINITY;
  }

  private flush() {
    this.timer = undefined;
    const held = this.held;
    this.held = [];
    const latest = held.at(-1);
    if (!latest) return;
    if (held.length === 1) {
      this.say(`${latest.who}: ${latest.body}`);
      return;
    }
    const senders = [...new Set(held.map((m) => m.who))];
    const from = senders.length <= 3 ? senders.join(', ').replace(/, ([^,]*)$/, ' and $1') : `${senders.length} people`;
    this.say(`${held.length} new messages from ${from}. Latest, ${latest.who}: ${latest.body}`);
  }

  private say(text: string) {
    this.lastAt = this.now();
    // The same words twice would leave the region unchanged, and unread: the second time
    // differs by an invisible space.
    this.text = text === this.text ? `${text}\u00a0` : text;
  }
}
