// Test helper: chooses an option in the app's Select (button + listbox) as a user would.
import { fireEvent, screen } from '@testing-library/svelte';

export async function pick(testid: string, value: string): Promise<void> {
  await fireEvent.click(screen.getByTestId(testid));
  const option = screen
    .getAllByTestId(`${testid}-option`)
    .find((o) => o.getAttribute('data-value') === value);
  if (!option) throw new Error(`${testid} has no option ${value}`);
  await fireEvent.click(option);
}
