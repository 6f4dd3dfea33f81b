/**
 * Shared setup for jsdom component tests. Import it first in a test file that has
 * `@jest-environment jsdom`.
 *
 * The root Jest transform compiles JSX with swc's classic runtime (React.createElement), while Vite
 * builds the app with the automatic runtime; putting React on globalThis makes both work. Setting
 * `jsc.transform.react.runtime: 'automatic'` in jest.config.js would make this unnecessary.
 */
import './polyfills';
import * as React from 'react';
import { configure, render, type RenderResult } from '@testing-library/react';
import { ThemeProvider } from '@zendeskgarden/react-theming';
import type { ReactElement } from 'react';
import { createTranslator, type Locale, type Messages } from '../../../app/i18n/i18n';
import en from '../../../app/i18n/locales/en.json';
import { I18nProvider } from '../../../app/i18n/I18nProvider';

(globalThis as unknown as { React: typeof React }).React = React;

// waitFor's default 1 s is too short when CI runs suites in parallel on two busy cores.
configure({ asyncUtilTimeout: 10_000 });

// Garden's CommonJS build requires react-merge-refs, which ships ESM only and the root Jest config only
// transforms jose. Same one-line function; drop this once jest.config.js transforms react-merge-refs.
jest.mock('react-merge-refs', () => ({
  mergeRefs:
    (refs: unknown[]) =>
    (value: unknown): void =>
      refs.forEach((ref) => {
        if (typeof ref === 'function') ref(value);
        else if (ref !== null && ref !== undefined) (ref as { current: unknown }).current = value;
      }),
}));

export function renderWithTheme(
  ui: ReactElement,
  { locale = 'en', messages = en }: { locale?: Locale; messages?: Messages } = {},
): RenderResult {
  return render(
    <ThemeProvider>
      <I18nProvider locale={locale} messages={messages}>
        {ui}
      </I18nProvider>
    </ThemeProvider>,
  );
}

export const t = createTranslator(en);
