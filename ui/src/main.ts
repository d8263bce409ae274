import { mount } from 'svelte';
import App from './App.svelte';
import QuickReply from './components/QuickReply.svelte';
import { insideTauri, tauriBackend, type Backend } from './lib/backend';
import { FakeBackend } from './lib/fake-backend';
import { REST_AFTER_MS, restCarets } from './lib/caret';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('the #app element is missing from index.html');

// Outside the shell (a plain browser, the page tests), the UI runs on the fake backend.
const backend: Backend = insideTauri() ? tauriBackend : new FakeBackend(fakeOptions());
// The page tests read what the UI asked of the fake.
if (backend instanceof FakeBackend) Object.assign(globalThis, { confabFake: backend });

function fakeOptions() {
  const params = new URLSearchParams(location.search);
  return {
    hostileBody: params.get('body') ?? undefined,
    longHistory: Number(params.get('history') ?? 300),
    extraConversations: Number(params.get('conversations') ?? 0),
  };
}

// An idle caret stops blinking, as GTK's do, so an open window costs nothing while nobody types.
// The page tests shorten the wait.
restCarets(document, backend instanceof FakeBackend ? Number(new URLSearchParams(location.search).get('rest') ?? REST_AFTER_MS) : REST_AFTER_MS);

// A notification's Reply opens this page in a small window of its own.
const params = new URLSearchParams(location.search);
const quick = params.get('quick');
const conversation = params.get('conversation');
export default quick && conversation
  ? mount(QuickReply, { target, props: { backend, accountId: quick, conversationId: conversation } })
  : mount(App, { target, props: { backend } });
