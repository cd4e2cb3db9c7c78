// The file control shows the app's own words, in the user's language, not WebKit's
// "Choose File / no file selected".
import { fireEvent, render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import DropZone from '../components/DropZone.svelte';
import { setLang } from '../lib/i18n.svelte';
import { translate } from '../lib/i18n';
import { en } from './shell';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));

beforeEach(() => setLang('en'));

function setup(multiple: boolean) {
  const onfiles = vi.fn();
  render(DropZone, { props: { label: 'Files', hint: 'Drop here', multiple, inputTestid: 'in', dropTestid: 'drop', onfiles } });
  return onfiles;
}

describe('DropZone', () => {
  it('hides the native control and shows its own button and words', () => {
    setup(false);
    const input = screen.getByTestId('in') as HTMLInputElement;
    expect(input.type).toBe('file');
    expect(input.classList.contains('file-input-hidden')).toBe(true);
    expect(input.tabIndex).toBe(-1);
    const button = screen.getByTestId('in-button');
    expect(button.textContent).toBe(en('file.choose'));
    expect(screen.getByTestId('in-chosen').textContent).toBe(en('file.none'));
    expect(button.getAttribute('aria-describedby')).toBe(screen.getByTestId('in-chosen').id);
  });

  it('opens the chooser from its button and names the files taken', async () => {
    const onfiles = setup(true);
    const input = screen.getByTestId('in') as HTMLInputElement;
    const click = vi.spyOn(input, 'click');
    await fireEvent.click(screen.getByTestId('in-button'));
    expect(click).toHaveBeenCalledOnce();
    expect(screen.getByTestId('in-button').textContent).toBe(en('file.choose_many'));

    const a = new File(['a'], '사진.jpg');
    await fireEvent.change(input, { target: { files: [a] } });
    expect(onfiles).toHaveBeenCalledWith([a]);
    expect(screen.getByTestId('in-chosen').textContent).toBe('사진.jpg');
    const b = new File(['b'], 'b.pdf');
    await fireEvent.change(input, { target: { files: [a, b] } });
    expect(screen.getByTestId('in-chosen').textContent).toBe(en('file.many', { count: 2, names: '사진.jpg, b.pdf' }));
  });

  it('follows a language switch', () => {
    setup(false);
    setLang('ko');
    flushSync();
    expect(screen.getByTestId('in-button').textContent).toBe(translate('ko', 'file.choose'));
    expect(screen.getByTestId('in-chosen').textContent).toBe(translate('ko', 'file.none'));
    setLang('zh-Hans');
    flushSync();
    expect(screen.getByTestId('in-chosen').textContent).toBe(translate('zh-Hans', 'file.none'));
  });
});
