// The app's own select (button + listbox): no native <select> is left to GTK's fonts,
// and the keyboard works as in the WAI-ARIA select-only combobox pattern.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fireEvent, render, screen } from '@testing-library/svelte';
import Select from '../components/Select.svelte';

const ROOT = join(__dirname, '..');

function svelteFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? svelteFiles(p) : p.endsWith('.svelte') ? [p] : [];
  });
}

describe('native widgets', () => {
  const files = svelteFiles(ROOT);
  it('scans the components', () => {
    expect(files.some((f) => f.endsWith('Select.svelte'))).toBe(true);
  });
  it.each(files.map((f) => [relative(ROOT, f), f]))('%s has no native <select>', (_name, file) => {
    // WebKitGTK draws a select's menu with the system fonts: CJK options become boxes.
    // Comments may name it; markup may not (a component named Select is fine).
    const code = readFileSync(file, 'utf8')
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/<select[\s>]/);
  });
});

const OPTIONS = [
  { value: 'apple', label: 'Apple' },
  { value: 'banana', label: 'Banana' },
  { value: 'blueberry', label: 'Blueberry' },
  { value: 'cherry', label: 'Cherry' },
  { value: 'kimchi', label: '김치' },
];

function setup(value = 'banana') {
  const onchange = vi.fn();
  render(Select, { props: { id: 'fruit', testid: 'fruit', options: OPTIONS, value, onchange } });
  const button = screen.getByTestId('fruit');
  return { button, onchange };
}

const listbox = () => screen.getByRole('listbox', { hidden: true });
const activeValue = (button: HTMLElement) => {
  const id = button.getAttribute('aria-activedescendant');
  return id ? document.getElementById(id)?.dataset.value : undefined;
};

describe('Select', () => {
  it('is one combobox button labelled with the chosen option, the list closed', () => {
    const { button } = setup();
    expect(button.tagName).toBe('BUTTON');
    expect(button.getAttribute('role')).toBe('combobox');
    expect(button.getAttribute('aria-expanded')).toBe('false');
    expect(button.getAttribute('aria-controls')).toBe(listbox().id);
    expect(button.textContent).toContain('Banana');
    expect(button.dataset.value).toBe('banana');
    expect(listbox().hidden).toBe(true);
    // Closed, the list holds no options: they are made when it opens.
    expect(screen.queryAllByTestId('fruit-option')).toHaveLength(0);
  });

  it('makes its options when opened, none of them a Tab stop, and drops them when closed', async () => {
    const { button } = setup();
    await fireEvent.click(button);
    const options = screen.getAllByTestId('fruit-option');
    expect(options.map((o) => o.dataset.value)).toEqual(OPTIONS.map((o) => o.value));
    // Focus stays on the button.
    for (const o of options) expect(o.getAttribute('tabindex')).toBeNull();
    await fireEvent.keyDown(button, { key: 'Escape' });
    expect(listbox().hidden).toBe(true);
    expect(screen.queryAllByTestId('fruit-option')).toHaveLength(0);
  });

  it('opens on ArrowDown at the chosen option, moves, and picks with Enter', async () => {
    const { button, onchange } = setup();
    await fireEvent.keyDown(button, { key: 'ArrowDown' });
    expect(button.getAttribute('aria-expanded')).toBe('true');
    expect(activeValue(button)).toBe('banana');
    await fireEvent.keyDown(button, { key: 'ArrowDown' });
    await fireEvent.keyDown(button, { key: 'ArrowDown' });
    expect(activeValue(button)).toBe('cherry');
    await fireEvent.keyDown(button, { key: 'ArrowUp' });
    expect(activeValue(button)).toBe('blueberry');
    await fireEvent.keyDown(button, { key: 'Enter' });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    expect(button.dataset.value).toBe('blueberry');
    expect(onchange).toHaveBeenCalledExactlyOnceWith('blueberry');
  });

  it('goes to the ends with Home and End, and stays at the ends', async () => {
    const { button } = setup();
    await fireEvent.keyDown(button, { key: 'End' });
    expect(activeValue(button)).toBe('kimchi');
    await fireEvent.keyDown(button, { key: 'ArrowDown' });
    expect(activeValue(button)).toBe('kimchi');
    await fireEvent.keyDown(button, { key: 'Home' });
    expect(activeValue(button)).toBe('apple');
    await fireEvent.keyDown(button, { key: 'ArrowUp' });
    expect(activeValue(button)).toBe('apple');
  });

  it('picks with Space', async () => {
    const { button, onchange } = setup();
    await fireEvent.keyDown(button, { key: ' ' });
    await fireEvent.keyDown(button, { key: 'Home' });
    await fireEvent.keyDown(button, { key: ' ' });
    expect(button.dataset.value).toBe('apple');
    expect(onchange).toHaveBeenCalledWith('apple');
  });

  it('closes on Escape without changing, and keeps the Escape from the form around it', async () => {
    const { button, onchange } = setup();
    const outer = vi.fn();
    const listen = (e: KeyboardEvent) => e.key === 'Escape' && !e.defaultPrevented && outer();
    window.addEventListener('keydown', listen);
    await fireEvent.keyDown(button, { key: 'ArrowDown' });
    await fireEvent.keyDown(button, { key: 'ArrowDown' });
    await fireEvent.keyDown(button, { key: 'Escape' });
    window.removeEventListener('keydown', listen);
    expect(button.getAttribute('aria-expanded')).toBe('false');
    expect(button.dataset.value).toBe('banana');
    expect(onchange).not.toHaveBeenCalled();
    expect(outer).not.toHaveBeenCalled();
  });

  it('finds options by typing their first letters, and cycles on one repeated letter', async () => {
    const { button } = setup('apple');
    await fireEvent.keyDown(button, { key: 'b' });
    expect(button.getAttribute('aria-expanded')).toBe('true');
    expect(activeValue(button)).toBe('banana');
    await fireEvent.keyDown(button, { key: 'l' });
    expect(activeValue(button)).toBe('blueberry');
    await new Promise((r) => setTimeout(r, 700));
    await fireEvent.keyDown(button, { key: 'c' });
    expect(activeValue(button)).toBe('cherry');
    await new Promise((r) => setTimeout(r, 700));
    await fireEvent.keyDown(button, { key: 'b' });
    await fireEvent.keyDown(button, { key: 'b' });
    expect(activeValue(button)).toBe('blueberry');
    await new Promise((r) => setTimeout(r, 700));
    await fireEvent.keyDown(button, { key: '김' });
    expect(activeValue(button)).toBe('kimchi');
  });

  it('picks by click and closes on a click outside', async () => {
    const { button, onchange } = setup();
    await fireEvent.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    const cherry = screen.getAllByTestId('fruit-option').find((o) => o.dataset.value === 'cherry')!;
    expect(cherry.getAttribute('role')).toBe('option');
    await fireEvent.click(cherry);
    expect(button.dataset.value).toBe('cherry');
    expect(onchange).toHaveBeenCalledWith('cherry');

    await fireEvent.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    expect(screen.getAllByTestId('fruit-option').find((o) => o.dataset.value === 'cherry')!.getAttribute('aria-selected')).toBe('true');
    await fireEvent.pointerDown(document.body);
    expect(button.getAttribute('aria-expanded')).toBe('false');
    expect(button.dataset.value).toBe('cherry');
  });

  it('takes the active option on Tab, as the pattern says', async () => {
    const { button } = setup();
    await fireEvent.keyDown(button, { key: 'ArrowDown' });
    await fireEvent.keyDown(button, { key: 'ArrowDown' });
    await fireEvent.keyDown(button, { key: 'Tab' });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    expect(button.dataset.value).toBe('blueberry');
  });
});
