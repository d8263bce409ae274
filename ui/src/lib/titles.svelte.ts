import type { Inbox } from './inbox.svelte';
import { conversationTitle } from './format';

/**
 * Titles of conversations named by lists that span every account (saved messages, reminders,
 * messages to send later), read once each from the cache as the list first shows them.
 */
export class ConversationTitles {
  private titles = $state<Record<string, string>>({});
  private asked = new Set<string>();

  /** `inbox` is read at each use: a component's props can change. */
  constructor(private readonly inbox: () => Inbox) {}

  /** The title, or "…" until it is read (the conversation's id if it is gone). */
  of(accountId: string, conversationId: string): string {
    const key = `${accountId}/${conversationId}`;
    if (!this.asked.has(key)) {
      this.asked.add(key);
      const inbox = this.inbox();
      void inbox.backend
        .conversation(accountId, conversationId)
        .then((c) => {
          const account = inbox.accounts.find((a) => a.id === accountId);
          this.titles = { ...this.titles, [key]: conversationTitle(c, account, inbox.people[accountId]) };
        })
        .catch(() => (this.titles = { ...this.titles, [key]: conversationId }));
    }
    return this.titles[key] ?? '…';
  }
}
