import { html, type Html } from '../html.js';
import { layout, type Shell } from '../layout.js';

const TITLES: Record<number, string> = {
  400: 'That request was not right',
  401: 'Sign in needed',
  403: 'Not allowed',
  404: 'Page not found',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported form',
  429: 'Too many attempts',
  500: 'Something went wrong',
  503: 'Unavailable',
};

export function errorTitle(status: number): string {
  return TITLES[status] ?? (status >= 500 ? TITLES[500]! : TITLES[400]!);
}

export function errorView(shell: Omit<Shell, 'title'>, status: number, detail: string): Html {
  const title = errorTitle(status);
  return layout(
    { ...shell, title },
    html`<h1>${title}</h1>
<p>${detail}</p>
<p><a href="/">Go to the home page</a> or search for a crate above.</p>`,
  );
}
