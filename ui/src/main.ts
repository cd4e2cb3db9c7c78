import '@fontsource/noto-sans/400.css';
import '@fontsource/noto-sans/700.css';
import '@fontsource/noto-sans-kr/400.css';
import '@fontsource/noto-sans-kr/700.css';
import '@fontsource/noto-sans-sc/400.css';
import '@fontsource/noto-sans-sc/700.css';
import './app.css';

import { mount } from 'svelte';
import App from './App.svelte';
import { showError } from './lib/app.svelte';
import { currentLang } from './lib/i18n.svelte';

document.documentElement.lang = currentLang();

// A safety net: every call is wrapped, but nothing may ever surface as an unhandled rejection.
window.addEventListener('unhandledrejection', (e) => {
  e.preventDefault();
  showError(e.reason);
});

const target = document.getElementById('app');
if (!target) throw new Error('#app missing');
export default mount(App, { target });
