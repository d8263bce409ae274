import { mount } from 'svelte';
import App from './App.svelte';
import { insideTauri, tauriBackend, type Backend } from './lib/backend';
import { FakeBackend } from './lib/fake-backend';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('the #app element is missing from index.html');

// Outside the shell (a plain browser, the page tests), the UI runs on the fake backend.
const backend: Backend = insideTauri() ? tauriBackend : new FakeBackend(fakeOptions());

function fakeOptions() {
  const params = new URLSearchParams(location.search);
  return { hostileBody: params.get('body') ?? undefined, longHistory: Number(params.get('history') ?? 300) };
}

export default mount(App, { target, props: { backend } });
