// The one door between the UI and the shell. Everything the UI asks of Confab goes through a
// Backend, so the UI also runs in a plain browser (tests, design work) with a fake one.
import { invoke } from '@tauri-apps/api/core';

export interface AppInfo {
  name: string;
  version: string;
}

export interface Backend {
  appInfo(): Promise<AppInfo>;
}

export const tauriBackend: Backend = {
  appInfo: () => invoke<AppInfo>('app_info'),
};

/** True when the page runs inside the Tauri shell rather than a plain browser. */
export function insideTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

export function describe(info: AppInfo): string {
  return `${info.name} ${info.version}`;
}
