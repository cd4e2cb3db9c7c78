// Test helper: a fake shell behind the mocked `invoke`. Each test file must call
// vi.mock('@tauri-apps/api/core', ...) itself (mocks are hoisted per file).
import { invoke } from '@tauri-apps/api/core';
import { translate } from '../lib/i18n';

export type Handler = (args: Record<string, unknown> | undefined) => unknown;

export function fakeShell(handlers: Record<string, Handler>) {
  const mock = vi.mocked(invoke);
  mock.mockReset();
  mock.mockImplementation((async (cmd: string, args?: unknown) => {
    const h = handlers[cmd];
    if (!h) throw { code: 'unmocked', message: `unmocked ${cmd}` };
    return h(args as Record<string, unknown> | undefined);
  }) as typeof invoke);
  return mock;
}

export function callsOf(cmd: string): unknown[][] {
  return vi.mocked(invoke).mock.calls.filter((c) => c[0] === cmd);
}

export const en = (key: string, params?: Record<string, string | number>) => translate('en', key, params);

export function reject(code: string, message: string, field?: string): Handler {
  return () => {
    throw field ? { code, message, field } : { code, message };
  };
}
