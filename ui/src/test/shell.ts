// Test helper: a fake shell behind the mocked `invoke`. Each test file must call
// vi.mock('@tauri-apps/api/core', ...) itself (mocks are hoisted per file).
import { invoke } from '@tauri-apps/api/core';
import { translate } from '../lib/i18n';
import type { Commands, ErrorCode, ErrorParam } from '../lib/api';

// Handlers are typed by the generated command table: a mock that answers with a shape
// the shell no longer returns, or reads an argument it no longer takes, fails the type
// check as the screens would.
export type Handler<K extends keyof Commands> = (
  args: Commands[K]['args'],
) => Commands[K]['result'] | Promise<Commands[K]['result']>;
export type Handlers = { [K in keyof Commands]?: Handler<K> };

export function fakeShell(handlers: Handlers) {
  const mock = vi.mocked(invoke);
  mock.mockReset();
  mock.mockImplementation((async (cmd: string, args?: unknown) => {
    const h = (handlers as Record<string, ((a: unknown) => unknown) | undefined>)[cmd];
    if (!h) throw { code: 'unmocked', message: `unmocked ${cmd}` };
    return h(args);
  }) as typeof invoke);
  return mock;
}

/** The calls of one command: `[name, arguments, options]`, typed as the shell takes them. */
export function callsOf<K extends keyof Commands>(cmd: K): [K, Commands[K]['args'], unknown][] {
  return vi.mocked(invoke).mock.calls.filter((c) => c[0] === cmd) as unknown as [K, Commands[K]['args'], unknown][];
}

export const en = (key: string, params?: Record<string, string | number>) => translate('en', key, params);

/** A shell error as the shell sends it: a code, its params, and an English message
 * for support that the UI must not show. */
export function reject(
  code: ErrorCode,
  message: string,
  field?: string,
  params: Record<string, ErrorParam> = {},
): () => never {
  return () => {
    throw field ? { code, params: { field, ...params }, message, field } : { code, params, message };
  };
}
